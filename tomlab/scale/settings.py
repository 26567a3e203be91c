"""The scale rehearsal's settings and vocabulary: the two architectures (published and tiny configurations), the
precisions and stages, :class:`RehearsalSettings` (one field per flag), and :class:`Environment` (what the machine
offers: CUDA, bitsandbytes, versions)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ToMLabError
from ..models import EMBEDDED, cache_dir

#: A row that would get less time than this (seconds) is skipped rather than started (full size; tiny: 0).
MIN_ROW_S = 20.0
#: Marks a scratch folder as the rehearsal's own, the only kind it clears.
SCRATCH_MARK = ".tomlab_rehearsal_scratch"
#: Rollouts per PPO update in the rehearsal (the smoke recipe's batch); updates = --steps.
PPO_BATCH = 4
STAGES = ("sft", "reward", "ppo", "dpo")
QUANTIZED = ("8bit", "4bit")
#: The finetuning rows' default LoRA bases, in priority order (the original's PPO and DPO trained on 4-bit).
FINETUNE_QUANTIZED = ("4bit", "8bit")
#: "full" is the unquantized precision: bfloat16 at full size, float32 with --tiny.
PRECISIONS = ("full", *QUANTIZED)
#: The TensorBoard tag a stage logs once per training step (PPO: once per update).
STEP_TAGS = {"sft": "train/loss", "reward": "train/loss", "ppo": "train/objective/scores", "dpo": "train/loss"}
GIB = 2 ** 30


@dataclass(frozen=True)
class Architecture:
    label: str  # how the rows name it
    model_type: str  # transformers' model type
    published: dict  # the published configuration's fields (transformers' names)
    tiny: dict  # what --tiny replaces (same architecture, a few thousand times smaller)
    vocab_key: str = "vocab_size"


ARCHITECTURES = {
    "llama": Architecture(
        "Llama-2-7B-shaped", "llama",
        published=dict(num_hidden_layers=32, hidden_size=4096, intermediate_size=11008, num_attention_heads=32,
                       num_key_value_heads=32, vocab_size=32000, max_position_embeddings=4096, rms_norm_eps=1e-5,
                       tie_word_embeddings=False),
        tiny=dict(num_hidden_layers=2, hidden_size=64, intermediate_size=128, num_attention_heads=4,
                  num_key_value_heads=4)),
    "gptj": Architecture(
        "GPT-J-6B-shaped", "gptj",
        published=dict(n_layer=28, n_embd=4096, n_head=16, rotary_dim=64, vocab_size=50400, n_positions=2048,
                       tie_word_embeddings=False),
        tiny=dict(n_layer=2, n_embd=64, n_head=4, rotary_dim=8)),
}


@dataclass
class RehearsalSettings:
    """Everything one rehearsal run takes (the script's flags, one field each)."""

    out: Path = field(metadata={"help": "folder for table.md and rehearsal.json (written atomically)"})
    work_dir: Path = field(default_factory=lambda: cache_dir() / "rehearsal", metadata={
        "help": "models/ (built once, reused) and scratch/ (answers, adapters; cleared each run); not under --out: "
                "a 7B model is 12-14 GB"})
    tiny: bool = field(default=False, metadata={
        "help": "tiny configurations of the same two architectures, float32 (CPU; what the tests run)"})
    archs: list[str] = field(default_factory=lambda: list(ARCHITECTURES), metadata={
        "help": f"architectures, in order ({', '.join(ARCHITECTURES)})"})
    precisions: list[str] = field(default_factory=lambda: ["full", "4bit", "8bit"], metadata={
        "help": "experiment precisions (full = bf16, float32 with --tiny)"})
    finetune_precisions: list[str] | None = field(default=None, metadata={
        "help": "LoRA base precisions of the finetuning rows (full = a bf16/float32 base without bitsandbytes; "
                "default: 4bit 8bit, with --tiny full 4bit 8bit)"})
    stages: list[str] = field(default_factory=lambda: list(STAGES), metadata={"help": "finetuning stages"})
    reps: int = field(default=20, metadata={"help": "answers per scenario and prompting type (the study: 20)"})
    tokens: int = field(default=128, metadata={"help": "max new tokens per answer (the study: 128)"})
    batch_size: int = field(default=320, metadata={"help": "answers decoded together (the runner's default)"})
    steps: int = field(default=3, metadata={"help": "training steps per stage (PPO: updates of 4 rollouts)"})
    budget_s: float = field(default=450.0, metadata={"help": "seconds for all rows together"})
    row_budget_s: float = field(default=150.0, metadata={"help": "seconds at most for one row"})
    tokenizer: str = field(default=EMBEDDED, metadata={
        "help": "the tokenizer every model gets (default: the embedded SmolLM2-135M-Instruct's)"})

    def __post_init__(self):
        if self.finetune_precisions is None:
            self.finetune_precisions = ["full", *FINETUNE_QUANTIZED] if self.tiny else list(FINETUNE_QUANTIZED)
        self.out, self.work_dir = Path(self.out), Path(self.work_dir)

    def validate(self) -> None:
        for name, values, allowed in (("--archs", self.archs, ARCHITECTURES), ("--precisions", self.precisions,
                                      PRECISIONS), ("--finetune_precisions", self.finetune_precisions, PRECISIONS),
                                      ("--stages", self.stages, STAGES)):
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ToMLabError(f"{name} {bad[0]}: choose among {', '.join(allowed)}")
        for name, value in (("--reps", self.reps), ("--tokens", self.tokens), ("--batch_size", self.batch_size),
                            ("--steps", self.steps)):
            if value < 1:
                raise ToMLabError(f"{name} {value}: must be at least 1")
        if self.budget_s <= 0 or self.row_budget_s <= 0:
            raise ToMLabError("--budget_s and --row_budget_s must be positive")
        if self.out.exists() and not self.out.is_dir():
            raise ToMLabError(f"--out {self.out}: is a file, not a folder")
        if self.work_dir.exists() and not self.work_dir.is_dir():
            raise ToMLabError(f"--work_dir {self.work_dir}: is a file, not a folder")
        if self.out.resolve() == self.work_dir.resolve() or self.work_dir.resolve() in self.out.resolve().parents:
            raise ToMLabError("--out must not lie inside --work_dir (its scratch folder is cleared)")


@dataclass
class Environment:
    """What the machine offers the rows."""

    device: str  # "cuda" or "cpu"
    cuda: bool
    bitsandbytes: bool
    description: dict  # versions and device name, recorded in the JSON

    def lines(self) -> list[str]:
        """One clear line each for a missing CUDA or bitsandbytes (empty when both are there)."""
        d = self.description
        out = []
        if not self.cuda:
            build = f"built for CUDA {d['torch_cuda']}, no device visible" if d["torch_cuda"] else "a CPU-only build"
            out.append(f"CUDA is not available (torch {d['torch']}, {build}): the 8-bit and 4-bit rows are skipped "
                       "(CUDA only); the rest runs on the CPU")
        if not self.bitsandbytes:
            out.append("bitsandbytes is missing (pip install -e '.[gpu]'): the 8-bit and 4-bit rows are skipped")
        return out


def detect_environment() -> Environment:
    import torch
    import transformers

    cuda = torch.cuda.is_available()
    bnb = importlib.util.find_spec("bitsandbytes") is not None
    desc = {"torch": torch.__version__, "torch_cuda": torch.version.cuda, "transformers": transformers.__version__,
            "device_name": torch.cuda.get_device_name(0) if cuda else "cpu",
            "gpu_memory_gib": round(torch.cuda.get_device_properties(0).total_memory / GIB, 1) if cuda else None,
            "bitsandbytes": _version("bitsandbytes") if bnb else None}
    return Environment(device="cuda" if cuda else "cpu", cuda=cuda, bitsandbytes=bnb, description=desc)


def _version(package: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def dtype_name(precision: str, s: RehearsalSettings) -> str:
    """The --dtype a row passes: the full precision's dtype, or auto for bitsandbytes (as a user would)."""
    if precision == "full":
        return "float32" if s.tiny else "bfloat16"
    return "auto"


def precision_label(precision: str, s: RehearsalSettings) -> str:
    return {"full": dtype_name("full", s)}.get(precision, precision)


def parse_settings(argv: list[str] | None = None, description: str | None = None) -> RehearsalSettings:
    """The script's command line -> :class:`RehearsalSettings` (bad values: argparse's one error line, exit 2)."""
    from transformers import HfArgumentParser

    (settings,) = HfArgumentParser(RehearsalSettings, description=description).parse_args_into_dataclasses(
        argv, look_for_args_file=False)
    return settings
