"""The preference-finetuning stages (SFT, reward model, PPO, DPO) behind the thin scripts in ``PPO/`` and ``DPO/``.

Every stage trains a LoRA adapter with a TRL 1.12 trainer (``SFTTrainer``, ``RewardTrainer``,
``trl.experimental.ppo.PPOTrainer``, ``DPOTrainer``), evaluates on held-out pairs before and after training, prints the
metric that says it learned something, and saves the adapter (with its tokenizer) to ``<output_dir>/final_checkpoint``
for ``merge_peft_adapter.py``. Settings come from a preset (``small``: the embedded SmolLM2-135M on a CPU, the default;
``smoke``: a handful of steps; ``gpt4all-j``: the original 7B recipe) overridden by command-line flags.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

from .data import ORIGINAL_DATASET, dataset_label, load_preference_dataset, tokenize_prompt, tokenize_response
from .errors import ToMLabError
from .io import atomic_write_json
from .models import cpu_has_fast_bf16, display_name, quantization_config, resolve_model

STAGES = ("sft", "reward", "ppo", "dpo")
STAGE_TITLES = {"sft": "SFT", "reward": "reward model", "ppo": "PPO", "dpo": "DPO"}
FINAL = "final_checkpoint"
STAGE_FILE = "tomlab_stage.json"

# ------------------------------------------------------------------------------------------------------ settings
#: Defaults of every stage before a preset applies.
BASE = dict(
    model_name="embedded", revision=None, dataset=None, dataset_revision=None, prompt_column="prompt",
    chosen_column="chosen", rejected_column="rejected", split="train", eval_split=None, eval_size=200,
    max_train_samples=None, max_eval_samples=None, seed=42, dtype="auto", load_in_8bit=False, load_in_4bit=False,
    bf16=None, fp16=None, gradient_checkpointing=False, report_to="none", resume_from_checkpoint=None,
    trust_remote_code=False, logging_steps=10, eval_steps=None, save_steps=500, save_total_limit=2,
    optim="adamw_torch", lr_scheduler_type="cosine", warmup_steps=0, weight_decay=0.0, gradient_accumulation_steps=1,
    num_train_epochs=1.0, max_steps=-1, per_device_train_batch_size=4, per_device_eval_batch_size=8,
    learning_rate=1e-4, lora_r=16, lora_alpha=32, lora_dropout=0.05, lora_target_modules=None, max_length=512,
    max_prompt_length=256,
    # SFT
    packing=False, completion_only_loss=True,
    # PPO
    reward_model_name=None, response_length=53, kl_coef=0.05, num_ppo_epochs=4, num_mini_batches=1,
    total_episodes=None, temperature=0.7, missing_eos_penalty=None, local_rollout_forward_batch_size=64,
    num_sample_generations=0,
    # DPO
    beta=0.1,
)

#: Named settings. ``all`` applies to every stage, then the stage's own entry.
PRESETS = {
    # The embedded SmolLM2-135M-Instruct on a 2-core CPU: the offline dataset, one pass, LoRA on all linear layers.
    "small": {
        "all": dict(model_name="embedded", lora_target_modules="all-linear", per_device_eval_batch_size=16,
                    max_eval_samples=200, logging_steps=10, save_steps=200),
        "sft": dict(learning_rate=2e-4, per_device_train_batch_size=8, warmup_steps=20, weight_decay=0.05,
                    max_length=256, max_train_samples=1600),
        "reward": dict(learning_rate=1e-4, per_device_train_batch_size=8, lora_r=8, lora_alpha=32, lora_dropout=0.1,
                       max_length=384, max_train_samples=1600, max_eval_samples=100),
        "ppo": dict(learning_rate=1e-5, per_device_train_batch_size=8, num_mini_batches=2, num_ppo_epochs=2,
                    kl_coef=0.2, response_length=40, total_episodes=256, temperature=0.7, missing_eos_penalty=1.0,
                    local_rollout_forward_batch_size=8, max_prompt_length=256, logging_steps=1,
                    per_device_eval_batch_size=4, num_sample_generations=2, max_eval_samples=32, save_steps=16),
        "dpo": dict(learning_rate=5e-5, per_device_train_batch_size=8, warmup_steps=10, beta=0.1, lora_r=8,
                    lora_alpha=16, max_length=384, max_prompt_length=256, max_train_samples=800,
                    max_eval_samples=100),
    },
    # A handful of steps per stage: the chain's `make finetune SMOKE=1` and quick checks.
    "smoke": {
        "all": dict(model_name="embedded", lora_target_modules="all-linear", max_train_samples=64,
                    max_eval_samples=16, per_device_eval_batch_size=8, logging_steps=1, save_steps=1000),
        "sft": dict(learning_rate=2e-4, per_device_train_batch_size=4, max_steps=4, max_length=256),
        "reward": dict(learning_rate=1e-4, per_device_train_batch_size=4, max_steps=4, lora_r=8, lora_alpha=32,
                       lora_dropout=0.1, max_length=384),
        "ppo": dict(learning_rate=1e-5, per_device_train_batch_size=4, num_mini_batches=2, num_ppo_epochs=1,
                    kl_coef=0.2, response_length=16, total_episodes=12, local_rollout_forward_batch_size=4,
                    missing_eos_penalty=1.0, per_device_eval_batch_size=4, num_sample_generations=1),
        "dpo": dict(learning_rate=5e-5, per_device_train_batch_size=4, max_steps=4, lora_r=8, lora_alpha=16,
                    max_length=384),
    },
    # The original recipe (GPT4All-J v1.3-groovy, 6B) on GPUs; see docs/finetuning.md for what changed with TRL 1.12.
    "gpt4all-j": {
        "all": dict(model_name=None, dataset=ORIGINAL_DATASET, gradient_checkpointing=True, report_to="none",
                    logging_steps=10, save_steps=500, eval_steps=500, per_device_eval_batch_size=4),
        "sft": dict(model_name="nomic-ai/gpt4all-j", revision="v1.3-groovy", learning_rate=1e-4,
                    lr_scheduler_type="cosine", warmup_steps=100, weight_decay=0.05, per_device_train_batch_size=4,
                    max_steps=10000, packing=True, completion_only_loss=False, max_length=256, lora_r=16,
                    lora_alpha=32, lora_dropout=0.05, load_in_8bit=True),
        "reward": dict(learning_rate=2e-5, per_device_train_batch_size=1, num_train_epochs=1.0, max_length=512,
                       lora_r=8, lora_alpha=32, lora_dropout=0.1, eval_size=200, lr_scheduler_type="linear"),
        "ppo": dict(learning_rate=1.41e-7, per_device_train_batch_size=32, gradient_accumulation_steps=1,
                    num_mini_batches=32, num_ppo_epochs=1, kl_coef=0.2, response_length=128, temperature=1.0,
                    lora_r=16, lora_alpha=32, lora_dropout=0.05, lora_target_modules="q_proj,v_proj",
                    load_in_4bit=True, local_rollout_forward_batch_size=32, num_sample_generations=10),
        "dpo": dict(beta=0.1, learning_rate=5e-6, lr_scheduler_type="cosine", warmup_steps=250, weight_decay=0.05,
                    per_device_train_batch_size=4, optim="paged_adamw_32bit", lora_r=8, lora_alpha=16,
                    lora_dropout=0.05, lora_target_modules="q_proj,k_proj,v_proj,out_proj,fc_in,fc_out,wte",
                    max_prompt_length=256, max_length=512, max_steps=8500, load_in_4bit=True),
    },
}
DEFAULT_PRESET = "small"


def _bool(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def build_parser(stage: str, description: str, output_dir: str) -> argparse.ArgumentParser:
    """The command line of one stage. Every default is None: the preset fills what is not given."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), default=None,
                    help=f"named settings (default {DEFAULT_PRESET}: the embedded model on a CPU; smoke: a few steps; "
                         "gpt4all-j: the original 7B recipe)")
    g = ap.add_argument_group("model and data")
    g.add_argument("--model_name", "--model_name_or_path", "--model_path", dest="model_name",
                   help="hub id, local folder or 'embedded' (SmolLM2-135M-Instruct); for RM/PPO/DPO the merged SFT model")
    g.add_argument("--revision", "--model_revision", dest="revision", help="hub revision of --model_name")
    if stage == "ppo":
        g.add_argument("--reward_model_name", help="the merged reward model (sequence classification, 1 label)")
    g.add_argument("--dataset", "--dataset_name", dest="dataset",
                   help="hub id, local .json/.jsonl/.csv/.parquet file or folder; default: data/context_qa_pairs")
    g.add_argument("--dataset_revision")
    g.add_argument("--prompt_column")
    g.add_argument("--chosen_column")
    g.add_argument("--rejected_column")
    g.add_argument("--split", help="training split (default train)")
    g.add_argument("--eval_split", help="held-out split (default: validation/test/eval if present)")
    g.add_argument("--eval_size", type=int, help="rows held out from the start when there is no eval split (200)")
    g.add_argument("--max_train_samples", type=int)
    g.add_argument("--max_eval_samples", type=int)
    g.add_argument("--trust_remote_code", action="store_true", default=None,
                   help="allow custom model code from the hub (off unless given)")
    g = ap.add_argument_group("output")
    g.add_argument("--output_dir", default=None, help=f"checkpoints and final adapter (default {output_dir})")
    g.add_argument("--overwrite", action="store_true", help="reuse a non-empty --output_dir (replaces its checkpoints)")
    g.add_argument("--resume_from_checkpoint", help="a checkpoint folder, or 'last' for the newest in --output_dir")
    g.add_argument("--report_to", choices=["none", "tensorboard", "wandb"])
    g.add_argument("--logging_steps", type=int)
    g.add_argument("--eval_steps", type=int)
    g.add_argument("--save_steps", type=int)
    g.add_argument("--save_total_limit", type=int)
    g = ap.add_argument_group("training")
    g.add_argument("--learning_rate", type=float)
    g.add_argument("--per_device_train_batch_size", "--batch_size", dest="per_device_train_batch_size", type=int)
    g.add_argument("--per_device_eval_batch_size", type=int)
    g.add_argument("--gradient_accumulation_steps", type=int)
    g.add_argument("--num_train_epochs", type=float)
    g.add_argument("--max_steps", type=int, help="stop after this many optimizer steps (-1: epochs decide)")
    g.add_argument("--lr_scheduler_type")
    g.add_argument("--warmup_steps", type=int)
    g.add_argument("--weight_decay", type=float)
    g.add_argument("--optim", help="optimizer name of transformers (adamw_torch, paged_adamw_32bit, ...)")
    g.add_argument("--seed", type=int)
    if stage in ("sft", "reward", "dpo"):
        g.add_argument("--max_length", "--seq_length", dest="max_length", type=int,
                       help="longest prompt+answer in tokens")
    if stage in ("ppo", "dpo"):
        g.add_argument("--max_prompt_length", type=int, help="prompts are cut to their last N tokens")
    if stage == "sft":
        g.add_argument("--packing", type=_bool, metavar="BOOL", help="pack sequences into --max_length blocks")
        g.add_argument("--completion_only_loss", type=_bool, metavar="BOOL",
                       help="loss on the answer only (default true; the gpt4all-j preset packs full texts)")
    if stage == "ppo":
        g.add_argument("--response_length", type=int, help="max new tokens per rollout (stops at EOS)")
        g.add_argument("--kl_coef", "--init_kl_coef", dest="kl_coef", type=float, help="KL penalty (fixed in TRL 1.12)")
        g.add_argument("--num_ppo_epochs", "--ppo_epochs", dest="num_ppo_epochs", type=int)
        g.add_argument("--num_mini_batches", type=int, help="mini-batches per rollout batch")
        g.add_argument("--total_episodes", type=int, help="prompts to roll out in all (default: one epoch)")
        g.add_argument("--temperature", type=float)
        g.add_argument("--missing_eos_penalty", type=float, help="subtracted from the score of an unfinished answer")
        g.add_argument("--local_rollout_forward_batch_size", type=int)
        g.add_argument("--num_sample_generations", type=int, help="sample tables printed during training")
    if stage == "dpo":
        g.add_argument("--beta", type=float)
    g = ap.add_argument_group("LoRA and hardware")
    g.add_argument("--lora_r", type=int)
    g.add_argument("--lora_alpha", type=int)
    g.add_argument("--lora_dropout", type=float)
    g.add_argument("--lora_target_modules", help="comma-separated module names, 'all-linear', or 'default' (peft's)")
    g.add_argument("--load_in_8bit", type=_bool, nargs="?", const=True, metavar="BOOL",
                   help="8-bit base (bitsandbytes, CUDA); '--load_in_8bit false' undoes a preset's")
    g.add_argument("--load_in_4bit", type=_bool, nargs="?", const=True, metavar="BOOL",
                   help="4-bit NF4 base (bitsandbytes, CUDA); '--load_in_4bit false' undoes a preset's")
    g.add_argument("--dtype", choices=["auto", "float32", "bfloat16", "float16"],
                   help="weights dtype (auto: the mixed-precision dtype, else float32)")
    g.add_argument("--bf16", type=_bool, metavar="BOOL",
                   help="bf16 mixed precision (default: on CUDA with bf16 and on CPUs with native bf16 matmul)")
    g.add_argument("--fp16", type=_bool, metavar="BOOL", help="fp16 mixed precision")
    g.add_argument("--gradient_checkpointing", type=_bool, metavar="BOOL")
    ap.set_defaults(_stage=stage, _output_dir=output_dir)
    return ap


def resolve_settings(stage: str, ns: argparse.Namespace) -> SimpleNamespace:
    """Base defaults < the script's output dir < preset (all, then stage) < explicit flags."""
    preset = ns.preset or DEFAULT_PRESET
    values = dict(BASE)
    values["output_dir"] = ns._output_dir
    values.update(PRESETS[preset].get("all", {}))
    values.update(PRESETS[preset].get(stage, {}))
    for key, value in vars(ns).items():
        if key.startswith("_") or value is None:
            continue
        values[key] = value
    values["preset"] = preset
    values["stage"] = stage
    values["overwrite"] = bool(ns.overwrite)
    s = SimpleNamespace(**values)
    if not s.model_name:
        raise ToMLabError(f"--model_name is required with --preset {preset} for this stage "
                          "(the merged SFT model, e.g. runs/ppo_sft)")
    if stage == "ppo" and not s.reward_model_name:
        raise ToMLabError("--reward_model_name is required: the merged reward model (e.g. runs/ppo_rm)")
    if s.load_in_8bit and s.load_in_4bit:
        raise ToMLabError("--load_in_8bit and --load_in_4bit exclude each other")
    if s.bf16 and s.fp16:
        raise ToMLabError("--bf16 and --fp16 exclude each other")
    for key in ("per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps", "lora_r"):
        if getattr(s, key) is not None and getattr(s, key) < 1:
            raise ToMLabError(f"--{key} must be at least 1")
    if s.learning_rate <= 0:
        raise ToMLabError("--learning_rate must be positive")
    if s.report_to == "tensorboard" and not (importlib.util.find_spec("tensorboard")
                                             or importlib.util.find_spec("tensorboardX")):
        raise ToMLabError("--report_to tensorboard needs the tensorboard package: pip install tensorboard")
    if s.report_to == "wandb" and not importlib.util.find_spec("wandb"):
        raise ToMLabError("--report_to wandb needs the wandb package: pip install wandb")
    if s.optim.startswith("paged_") or "8bit" in s.optim:
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ToMLabError(f"--optim {s.optim} needs bitsandbytes (CUDA): pip install -e '.[gpu]', "
                              "or pass --optim adamw_torch")
    return s


# ---------------------------------------------------------------------------------------------- environment
def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _precision(s) -> tuple[bool, bool]:
    """(bf16, fp16) mixed precision. CUDA: bf16 where supported, else fp16. CPU: bf16 where the CPU has native bf16
    matmul (avx512_bf16/AMX: ~2.5x faster than float32 here), else float32."""
    import torch

    if s.bf16 is not None or s.fp16 is not None:
        return bool(s.bf16), bool(s.fp16)
    if _cuda():
        return (True, False) if torch.cuda.is_bf16_supported() else (False, True)
    if s.dtype in ("float32", "float16"):
        return False, False
    return cpu_has_fast_bf16(), False


def _weights_dtype(s) -> str:
    """Weights dtype for ``auto``: the mixed-precision dtype (LoRA adapters stay float32 either way)."""
    if s.dtype != "auto":
        return s.dtype
    bf16, fp16 = _precision(s)
    return "bfloat16" if bf16 else "float16" if fp16 and _cuda() else "float32"


def _is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def log(msg: str) -> None:
    if _is_main():
        print(msg, flush=True)


def prepare_output_dir(s) -> Path:
    """Refuse a non-empty output dir unless --overwrite (clears old checkpoints) or --resume_from_checkpoint."""
    out = Path(s.output_dir)
    if out.exists() and not out.is_dir():
        raise ToMLabError(f"--output_dir {out} is a file")
    busy = out.is_dir() and any(out.iterdir())
    if s.resume_from_checkpoint:
        if s.resume_from_checkpoint == "last":
            if not any(out.glob("checkpoint-*")):
                raise ToMLabError(f"--resume_from_checkpoint last: no checkpoint-* folder in {out}")
        elif not Path(s.resume_from_checkpoint).is_dir():
            raise ToMLabError(f"--resume_from_checkpoint {s.resume_from_checkpoint}: no such folder")
    elif busy and not s.overwrite:
        raise ToMLabError(f"--output_dir {out} exists and is not empty: pass --overwrite to replace its checkpoints, "
                          "--resume_from_checkpoint to continue, or choose another folder")
    elif busy and _is_main():
        for old in list(out.glob("checkpoint-*")) + [out / FINAL]:
            if old.is_dir():
                shutil.rmtree(old)
    return out


def resolve(name: str, what: str) -> str:
    try:
        path = resolve_model(name)
    except ToMLabError as exc:
        raise ToMLabError(str(exc).replace("--model", what, 1)) from None
    log(f"{what}: {display_name(name)} -> {path}")
    return path


def load_tokenizer_for(path: str, s, padding_side: str = "right"):
    """The model's tokenizer, with a pad token distinct from EOS where the vocabulary has one.

    A separate pad token lets the reward model and PPO score the EOS token itself (TRL finds the end of a sequence
    at the first pad token). GPT-J has no spare special token, so its pad stays EOS (then the last answer token is
    scored, consistently in the reward model and in PPO).
    """
    from .models import load_tokenizer

    tok = load_tokenizer(path, revision=s.revision if path == s._model_path else None,
                         trust_remote_code=s.trust_remote_code, padding_side=padding_side)
    if tok.eos_token_id is None:
        raise ToMLabError(f"the tokenizer of {path} has no EOS token; answers could not end")
    if tok.pad_token_id is None or tok.pad_token_id == tok.eos_token_id:
        vocab = tok.get_vocab()
        for cand in (tok.unk_token, "<|endoftext|>", "<pad>", "[PAD]", "<|pad|>"):
            if cand and cand in vocab and vocab[cand] not in (tok.eos_token_id, tok.bos_token_id):
                tok.pad_token = cand
                break
    return tok


def load_model_for(path: str, s, task: str = "causal-lm", revision: str | None = None, quantize: bool = True,
                   trainable: bool = True):
    """Load from safetensors for training: float32 on CPU, bf16/fp16 on CUDA, or 8/4-bit with bitsandbytes."""
    from accelerate import PartialState

    from .models import load_model

    q8, q4 = (s.load_in_8bit, s.load_in_4bit) if quantize else (False, False)
    if q8 or q4:
        quantization_config(q8, q4)  # clear error without CUDA / bitsandbytes before any loading
    device_map = {"": PartialState().local_process_index} if (q8 or q4) else None
    import transformers

    verbosity = transformers.logging.get_verbosity()
    if task == "seq-cls":  # a causal-LM checkpoint has no `score` head: the "MISSING" report is expected
        transformers.logging.set_verbosity_error()
    try:
        model = load_model(path, task=task, revision=revision, dtype=_weights_dtype(s), device="cpu",
                           device_map=device_map, load_in_8bit=q8, load_in_4bit=q4,
                           trust_remote_code=s.trust_remote_code, num_labels=1)
    finally:
        transformers.logging.set_verbosity(verbosity)
    if task == "seq-cls" and not any("SequenceClassification" in a for a in (model.config.architectures or [])):
        log(f"{path}: a language model loaded as a reward model; its one-output `score` head starts random")
    if (q8 or q4) and trainable:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=s.gradient_checkpointing)
    return model


def lora_config(s, task_type: str):
    from peft import LoraConfig

    targets = s.lora_target_modules
    if targets in (None, "", "default"):
        targets = None
    elif targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    return LoraConfig(r=s.lora_r, lora_alpha=s.lora_alpha, lora_dropout=s.lora_dropout, target_modules=targets,
                      bias="none", task_type=task_type)


def common_args(s) -> dict:
    """TrainingArguments shared by the SFT, reward and DPO configs."""
    bf16, fp16 = _precision(s)
    evaluate = s.eval_steps is not None and s.eval_steps > 0
    return dict(
        output_dir=s.output_dir, learning_rate=s.learning_rate, per_device_train_batch_size=s.per_device_train_batch_size,
        per_device_eval_batch_size=s.per_device_eval_batch_size, gradient_accumulation_steps=s.gradient_accumulation_steps,
        num_train_epochs=s.num_train_epochs, max_steps=s.max_steps, lr_scheduler_type=s.lr_scheduler_type,
        warmup_steps=s.warmup_steps, weight_decay=s.weight_decay, optim=s.optim, seed=s.seed, bf16=bf16, fp16=fp16,
        activation_checkpointing=s.gradient_checkpointing, report_to=[] if s.report_to == "none" else [s.report_to],
        logging_steps=s.logging_steps, eval_strategy="steps" if evaluate else "no",
        eval_steps=s.eval_steps if evaluate else None, save_strategy="steps", save_steps=s.save_steps,
        save_total_limit=s.save_total_limit, remove_unused_columns=False, disable_tqdm=False,
        dataloader_num_workers=0, use_cpu=not _cuda(),
    )


def _check_trainable_args(s):
    if s.resume_from_checkpoint == "last":
        return True
    return s.resume_from_checkpoint


class _LogRecorder:
    """A TrainerCallback that keeps every logged dict (the metrics printed at the end)."""

    def __new__(cls):
        from transformers import TrainerCallback

        class Recorder(TrainerCallback):
            def __init__(self):
                self.logs = []

            def on_log(self, args, state, control, logs=None, **kwargs):
                if logs:
                    self.logs.append(dict(logs, step=state.global_step))

        return Recorder()


def load_data(s):
    log(f"dataset: {dataset_label(s.dataset)}")
    train, evals = load_preference_dataset(
        s.dataset, prompt_column=s.prompt_column, chosen_column=s.chosen_column, rejected_column=s.rejected_column,
        split=s.split, eval_split=s.eval_split, eval_size=s.eval_size, max_train_samples=s.max_train_samples,
        max_eval_samples=s.max_eval_samples, revision=s.dataset_revision, trust_remote_code=s.trust_remote_code)
    log(f"pairs: {len(train)} train, {len(evals)} held out")
    return train, evals


def finish(s, trainer, tokenizer, base_path: str, metrics: dict, task: str) -> Path:
    """Save the adapter + tokenizer atomically to <output_dir>/final_checkpoint and write metrics.json."""
    out = Path(s.output_dir)
    final = out / FINAL
    tmp = out / f".{FINAL}.tmp"
    trainer.save_model(str(tmp))
    if trainer.accelerator.is_main_process:
        tokenizer.save_pretrained(str(tmp))
        record = {"stage": s.stage, "preset": s.preset, "base_model": base_path, "task": task,
                  "processes": trainer.accelerator.num_processes,
                  "model_name": s.model_name, "dataset": dataset_label(s.dataset), "metrics": metrics,
                  "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        atomic_write_json(tmp / STAGE_FILE, record)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        atomic_write_json(out / "metrics.json", record)
    trainer.accelerator.wait_for_everyone()
    return final


def print_summary(s, lines: list[str], final: Path, base_path: str):
    title = STAGE_TITLES[s.stage]
    log("")
    log(f"=== {title} finished ===")
    for line in lines:
        log(f"  {line}")
    log(f"  adapter: {final}")
    log(f"  merge:   python merge_peft_adapter.py --adapter_model_name {final} --base_model_name {base_path} "
        f"--output_name <merged folder>")


def _fmt(x, digits=3):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _header(s):
    world = int(os.environ.get("WORLD_SIZE", "1"))
    log(f"== {STAGE_TITLES[s.stage]} stage (preset {s.preset}{f', {world} processes' if world > 1 else ''}) ==")


# ---------------------------------------------------------------------------------------------------- SFT
def _start(s, flag: str):
    """The opening every stage shares: banner, output folder, model, data, tokenizer."""
    _header(s)
    prepare_output_dir(s)
    s._model_path = model_path = resolve(s.model_name, flag)
    train, evals = load_data(s)
    return model_path, train, evals, load_tokenizer_for(model_path, s)


def run_sft(s) -> dict:
    """Supervised finetuning on prompt + chosen answer; prints held-out loss before and after."""
    from trl import SFTConfig, SFTTrainer

    model_path, train, evals, tokenizer = _start(s, "--model_name")

    def tokenize(row):
        prompt_ids = tokenize_prompt(tokenizer, row["prompt"])
        answer_ids = tokenize_response(tokenizer, row["chosen"])
        labels = ([-100] * len(prompt_ids) if s.completion_only_loss else list(prompt_ids)) + answer_ids
        return {"input_ids": prompt_ids + answer_ids, "labels": labels}

    train = train.map(tokenize, remove_columns=train.column_names, desc="Tokenizing train")
    evals = evals.map(tokenize, remove_columns=evals.column_names, desc="Tokenizing eval")
    model = load_model_for(model_path, s, revision=s.revision)
    config = SFTConfig(**common_args(s), max_length=s.max_length, packing=s.packing, packing_strategy="wrapped",
                       eval_packing=False, completion_only_loss=None, dataset_text_field="text")
    recorder = _LogRecorder()
    trainer = SFTTrainer(model=model, args=config, train_dataset=train, eval_dataset=evals,
                         processing_class=tokenizer, peft_config=lora_config(s, "CAUSAL_LM"),
                         callbacks=_callbacks(recorder))
    log("evaluating before training ...")
    before = trainer.evaluate().get("eval_loss")
    trainer.train(resume_from_checkpoint=_check_trainable_args(s))
    after = trainer.evaluate().get("eval_loss")
    metrics = {"eval_loss_before": before, "eval_loss_after": after, "train_steps": trainer.state.global_step}
    final = finish(s, trainer, tokenizer, model_path, metrics, "causal-lm")
    print_summary(s, [f"held-out loss on the chosen answers ({len(evals)} pairs): {_fmt(before)} -> {_fmt(after)}"],
                  final, model_path)
    return metrics


# ------------------------------------------------------------------------------------------- reward model
def run_reward(s) -> dict:
    """Pairwise reward model (sequence classification, 1 label) on the merged SFT model; prints held-out accuracy."""
    from trl import RewardConfig, RewardTrainer

    model_path, train, evals, tokenizer = _start(s, "--model_name")

    def tokenize(row):
        prompt_ids = tokenize_prompt(tokenizer, row["prompt"])
        return {"chosen_ids": prompt_ids + tokenize_response(tokenizer, row["chosen"]),
                "rejected_ids": prompt_ids + tokenize_response(tokenizer, row["rejected"])}

    train = train.map(tokenize, remove_columns=train.column_names, desc="Tokenizing train")
    evals = evals.map(tokenize, remove_columns=evals.column_names, desc="Tokenizing eval")
    model = load_model_for(model_path, s, task="seq-cls", revision=s.revision)
    model.config.pad_token_id = tokenizer.pad_token_id
    config = RewardConfig(**common_args(s), max_length=s.max_length)
    recorder = _LogRecorder()
    trainer = RewardTrainer(model=model, args=config, train_dataset=train, eval_dataset=evals,
                            processing_class=tokenizer, peft_config=lora_config(s, "SEQ_CLS"),
                            callbacks=_callbacks(recorder))
    log("evaluating before training ...")
    before = trainer.evaluate()
    trainer.train(resume_from_checkpoint=_check_trainable_args(s))
    after = trainer.evaluate()
    metrics = {"eval_accuracy_before": before.get("eval_accuracy"), "eval_accuracy_after": after.get("eval_accuracy"),
               "eval_margin_after": after.get("eval_margin"), "eval_loss_after": after.get("eval_loss"),
               "train_steps": trainer.state.global_step}
    final = finish(s, trainer, tokenizer, model_path, metrics, "seq-cls")
    print_summary(s, [f"pairwise accuracy on {len(evals)} held-out pairs (chosen scored above rejected): "
                      f"{_fmt(metrics['eval_accuracy_before'])} -> {_fmt(metrics['eval_accuracy_after'])}",
                      f"mean reward margin after: {_fmt(metrics['eval_margin_after'])}"], final, model_path)
    return metrics


# ---------------------------------------------------------------------------------------------------- PPO
def _float32_head(head):
    """Wrap a ``score`` head so it computes in float32 on bf16/fp16 hidden states (the critic's values and their
    AdamW updates would lose most of their precision in bf16)."""
    import torch

    class Float32Head(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner.float()

        @property
        def weight(self):
            return self.inner.weight

        def forward(self, hidden):
            return self.inner(hidden.float())

    return Float32Head(head)


def _value_model(path: str, s, tokenizer):
    """The critic: the reward model's weights with its own LoRA adapter (injected in place) and a trainable head.

    TRL's PPOTrainer reaches the critic's backbone by ``base_model_prefix`` and its ``score`` head, so the adapter is
    injected into the model rather than wrapping it in a PeftModel. LoRA keeps a 6B critic trainable on a 4-bit base.
    """
    import torch
    from peft import inject_adapter_in_model

    value = load_model_for(path, s, task="seq-cls")
    value.config.pad_token_id = tokenizer.pad_token_id
    cfg = lora_config(s, "SEQ_CLS")
    cfg.modules_to_save = None
    cfg.task_type = None
    cfg.exclude_modules = ["score"]
    if cfg.target_modules is None:
        from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as TARGETS

        cfg.target_modules = TARGETS.get(value.config.model_type, ["q_proj", "v_proj"])
    value = inject_adapter_in_model(cfg, value)
    for name, param in value.named_parameters():
        param.requires_grad = "lora_" in name
        if param.requires_grad and param.dtype != torch.float32:
            param.data = param.data.float()  # peft casts the input to the adapter's dtype and back
    value.score = _float32_head(value.score)
    for param in value.score.parameters():
        param.requires_grad = True
    return value


def run_ppo(s) -> dict:
    """PPO against the merged reward model (policy = merged SFT + LoRA; reference = the same with adapters off)."""
    import torch
    from trl.experimental.ppo import PPOConfig, PPOTrainer

    _header(s)
    if s.resume_from_checkpoint:
        raise ToMLabError("--resume_from_checkpoint: TRL 1.12's PPOTrainer cannot resume a run; start it again "
                          "(or continue from the merged policy with --model_name)")
    prepare_output_dir(s)
    s._model_path = model_path = resolve(s.model_name, "--model_name")
    reward_path = resolve(s.reward_model_name, "--reward_model_name")
    train, evals = load_data(s)
    tokenizer = load_tokenizer_for(model_path, s, padding_side="left")
    reward_tok = load_tokenizer_for(reward_path, s, padding_side="left")
    if reward_tok.get_vocab() != tokenizer.get_vocab():
        raise ToMLabError(f"--reward_model_name {s.reward_model_name} has a different vocabulary than --model_name "
                          f"{s.model_name}: train the reward model on the merged SFT model")
    if reward_tok.pad_token_id != tokenizer.pad_token_id:
        raise ToMLabError("the reward model's pad token differs from the policy's; train it with this pipeline")

    def tokenize(row):
        ids = tokenize_prompt(tokenizer, row["prompt"], max_prompt_length=s.max_prompt_length)
        return {"input_ids": ids}

    train = train.map(tokenize, remove_columns=train.column_names, desc="Tokenizing prompts")
    evals = evals.map(tokenize, remove_columns=evals.column_names, desc="Tokenizing eval prompts")
    policy = load_model_for(model_path, s, revision=s.revision)
    if s.gradient_checkpointing and not (s.load_in_8bit or s.load_in_4bit):
        policy.gradient_checkpointing_enable()  # PPOTrainer does not do it (quantized bases: prepare_model_...)
        policy.enable_input_require_grads()
    reward = load_model_for(reward_path, s, task="seq-cls", trainable=False)
    reward.config.pad_token_id = tokenizer.pad_token_id
    for p in reward.parameters():
        p.requires_grad = False
    value = _value_model(reward_path, s, tokenizer)
    bf16, fp16 = _precision(s)
    batch = s.per_device_train_batch_size * s.gradient_accumulation_steps
    if batch % s.num_mini_batches:
        raise ToMLabError(f"--num_mini_batches {s.num_mini_batches} must divide the rollout batch "
                          f"(--per_device_train_batch_size x --gradient_accumulation_steps = {batch})")
    if len(train) < batch:
        raise ToMLabError(f"{len(train)} training prompts are fewer than one rollout batch ({batch})")
    if len(evals) < s.per_device_eval_batch_size:
        s.per_device_eval_batch_size = len(evals)
    config = PPOConfig(
        output_dir=s.output_dir, learning_rate=s.learning_rate, per_device_train_batch_size=s.per_device_train_batch_size,
        per_device_eval_batch_size=s.per_device_eval_batch_size, gradient_accumulation_steps=s.gradient_accumulation_steps,
        num_train_epochs=s.num_train_epochs, total_episodes=s.total_episodes, num_ppo_epochs=s.num_ppo_epochs,
        num_mini_batches=s.num_mini_batches, response_length=s.response_length, kl_coef=s.kl_coef,
        temperature=s.temperature, stop_token="eos", missing_eos_penalty=s.missing_eos_penalty,
        local_rollout_forward_batch_size=s.local_rollout_forward_batch_size,
        num_sample_generations=s.num_sample_generations, lr_scheduler_type=s.lr_scheduler_type,
        warmup_steps=s.warmup_steps, weight_decay=s.weight_decay, optim=s.optim, seed=s.seed, bf16=bf16, fp16=fp16,
        activation_checkpointing=s.gradient_checkpointing, report_to=[] if s.report_to == "none" else [s.report_to],
        logging_steps=s.logging_steps, save_strategy="steps", save_steps=s.save_steps,
        save_total_limit=s.save_total_limit, remove_unused_columns=False, use_cpu=not _cuda(),
        sft_model_path=model_path, reward_model_path=reward_path,
    )
    recorder = _LogRecorder()
    torch.manual_seed(s.seed)
    trainer = PPOTrainer(args=config, processing_class=tokenizer, model=policy, ref_model=None, reward_model=reward,
                         train_dataset=train, value_model=value, eval_dataset=evals,
                         peft_config=lora_config(s, "CAUSAL_LM"), callbacks=_callbacks(recorder))
    log(f"PPO: {config.num_total_batches} updates of {config.batch_size} rollouts "
        f"({config.response_length} new tokens at most, KL coefficient {config.kl_coef})")
    trainer.train()
    updates = [r for r in recorder.logs if "objective/scores" in r]
    if not updates:
        raise ToMLabError("PPO logged no update: check --total_episodes against the rollout batch size")
    k = max(1, len(updates) // 4)
    first, last = updates[:k], updates[-k:]

    def mean(rows, key):
        vals = [r[key] for r in rows if key in r]
        return sum(vals) / len(vals) if vals else None

    metrics = {"updates": len(updates), "mean_reward_first": mean(first, "objective/scores"),
               "mean_reward_last": mean(last, "objective/scores"), "kl_last": mean(last, "objective/kl"),
               "rlhf_reward_last": mean(last, "objective/rlhf_reward"),
               "eos_tokens_last": mean(last, "val/num_eos_tokens"), "episodes": updates[-1].get("episode")}
    final = finish(s, trainer, tokenizer, model_path, metrics, "causal-lm")
    print_summary(s, [f"mean reward-model score of the rollouts, first {k} vs last {k} updates: "
                      f"{_fmt(metrics['mean_reward_first'])} -> {_fmt(metrics['mean_reward_last'])}",
                      f"KL(policy || reference) over the last {k} updates: {_fmt(metrics['kl_last'])}; "
                      f"reward - KL penalty: {_fmt(metrics['rlhf_reward_last'])}"], final, model_path)
    return metrics


# ---------------------------------------------------------------------------------------------------- DPO
def _dpo_trainer_class():
    from trl import DPOTrainer

    class PretokenizedDPOTrainer(DPOTrainer):
        """DPOTrainer fed with ids tokenized by :mod:`tomlab.data` (prompt and answer apart, see
        :func:`tomlab.data.tokenize_response`); TRL 1.12 would re-tokenize prompt+answer jointly."""

        def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
            if "prompt_ids" in dataset.column_names:
                if args.max_length is not None:
                    dataset = dataset.filter(lambda row: len(row["prompt_ids"]) < args.max_length,
                                             desc=f"Dropping fully truncated {dataset_name} pairs")
                return dataset
            return super()._prepare_dataset(dataset, processing_class, args, dataset_name)

    return PretokenizedDPOTrainer


def run_dpo(s) -> dict:
    """DPO on the merged SFT model (reference = the same model with the adapter disabled)."""
    from trl import DPOConfig

    model_path, train, evals, tokenizer = _start(s, "--model_name_or_path")

    def tokenize(row):
        return {"prompt_ids": tokenize_prompt(tokenizer, row["prompt"], max_prompt_length=s.max_prompt_length),
                "chosen_ids": tokenize_response(tokenizer, row["chosen"]),
                "rejected_ids": tokenize_response(tokenizer, row["rejected"])}

    train = train.map(tokenize, remove_columns=train.column_names, desc="Tokenizing train")
    evals = evals.map(tokenize, remove_columns=evals.column_names, desc="Tokenizing eval")
    model = load_model_for(model_path, s, revision=s.revision)
    config = DPOConfig(**common_args(s), beta=s.beta, max_length=s.max_length)
    recorder = _LogRecorder()
    trainer = _dpo_trainer_class()(model=model, ref_model=None, args=config, train_dataset=train,
                                   eval_dataset=evals, processing_class=tokenizer,
                                   peft_config=lora_config(s, "CAUSAL_LM"), callbacks=_callbacks(recorder))
    trainer.train(resume_from_checkpoint=_check_trainable_args(s))
    after = trainer.evaluate()
    metrics = {"eval_reward_accuracy": after.get("eval_rewards/accuracies"),
               "eval_reward_margin": after.get("eval_rewards/margins"),
               "eval_reward_chosen": after.get("eval_rewards/chosen"),
               "eval_reward_rejected": after.get("eval_rewards/rejected"), "eval_loss": after.get("eval_loss"),
               "train_steps": trainer.state.global_step}
    final = finish(s, trainer, tokenizer, model_path, metrics, "causal-lm")
    print_summary(s, [f"held-out reward accuracy ({len(evals)} pairs; 0 before training, policy = reference): "
                      f"{_fmt(metrics['eval_reward_accuracy'])}",
                      f"held-out reward margin chosen - rejected: {_fmt(metrics['eval_reward_margin'])} "
                      f"(chosen {_fmt(metrics['eval_reward_chosen'])}, rejected "
                      f"{_fmt(metrics['eval_reward_rejected'])}), DPO loss {_fmt(metrics['eval_loss'])} "
                      f"(ln 2 = 0.693 before)"], final, model_path)
    return metrics


RUNNERS = {"sft": run_sft, "reward": run_reward, "ppo": run_ppo, "dpo": run_dpo}


def _cpu_jiffies() -> tuple[int, int, int]:
    """(all CPUs' total, all CPUs' busy, this process's own) jiffies so far."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    total, idle = sum(values), values[3] + values[4]
    with open("/proc/self/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    own = int(fields[11]) + int(fields[12])  # utime + stime of all threads
    return total, total - idle, own


class ThreadGovernor:
    """Use only the CPU cores other processes leave idle (CPU runs without OMP_NUM_THREADS only).

    Two OpenMP threads on two cores, one of which another process keeps busy, made every stage 3-15x slower here than
    one thread (the threads wait for each other at every small op). The governor measures, between two looks, how many
    CPUs *other* processes kept busy (all busy time minus this process's own) and sets torch's thread count to the
    rest; it looks at the start and then every ``every`` seconds from a trainer callback.
    """

    def __init__(self, every: float = 20.0):
        import torch

        self.enabled = not (os.environ.get("OMP_NUM_THREADS") or _cuda()
                            or int(os.environ.get("WORLD_SIZE", "1")) > 1)
        self.max_threads = torch.get_num_threads()
        self.every = every
        self.last = None
        self.last_time = 0.0

    def check(self, force: bool = False) -> None:
        import torch

        if not self.enabled or self.max_threads < 2:
            return
        now = time.time()
        if not force and now - self.last_time < self.every:
            return
        try:
            snap = _cpu_jiffies()
            if self.last is None:  # first look: sample half a second of the others' load
                self.last = snap
                time.sleep(0.5)
                snap = _cpu_jiffies()
        except (OSError, ValueError, IndexError):
            self.enabled = False
            return
        d_total, d_busy, d_own = (a - b for a, b in zip(snap, self.last))
        self.last, self.last_time = snap, now
        ncpu = os.cpu_count() or 1
        if d_total <= 0:
            return
        others = max(0.0, (d_busy - d_own) / d_total * ncpu)
        threads = max(1, min(self.max_threads, round(ncpu - others)))
        if threads != torch.get_num_threads():
            log(f"CPU threads: {threads} of {self.max_threads} (other processes keep {others:.1f} of {ncpu} CPUs busy;"
                " set OMP_NUM_THREADS to fix the number)")
            torch.set_num_threads(threads)

    def callback(self):
        from transformers import TrainerCallback

        governor = self

        class Governor(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                governor.check()

            def on_evaluate(self, args, state, control, **kwargs):
                governor.check()

        return Governor()


GOVERNOR: ThreadGovernor | None = None


def _callbacks(recorder) -> list:
    return [recorder] + ([GOVERNOR.callback()] if GOVERNOR is not None and GOVERNOR.enabled else [])


def main(stage: str, description: str, output_dir: str, argv=None) -> dict:
    """Entry point of a stage script: parse, resolve the preset, train. Bad input raises ToMLabError."""
    ns = build_parser(stage, description, output_dir).parse_args(argv)
    s = resolve_settings(stage, ns)
    s._model_path = None
    _quiet_warnings()
    global GOVERNOR
    GOVERNOR = ThreadGovernor()
    GOVERNOR.check(force=True)
    return RUNNERS[stage](s)


def _quiet_warnings():
    """Silence library chatter that is not about this run (kept: warnings about the run itself)."""
    import warnings

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", message=".*You are using the default legacy behaviour.*")
    warnings.filterwarnings("ignore", category=FutureWarning, module="trl")
    warnings.filterwarnings("ignore", message=".*experimental.*", category=UserWarning)
