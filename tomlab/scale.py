"""Scale rehearsal: the original study's 6-7B model shapes with random weights through the project's own paths.

What it runs, row by row, in priority order (``scripts/scale_rehearsal.py``):

1. **build**: a GPT-J-6B-shaped and a Llama-2-7B-shaped causal LM from their published configurations
   (:data:`ARCHITECTURES`), random weights, saved once as safetensors with the embedded SmolLM2 tokenizer under
   ``<work_dir>/models/`` (a folder is keyed by its configuration and reused by later runs). The modules are
   constructed directly on the target device (``torch.device`` context: no CPU copy, the random init runs on the
   GPU), so a 7B model takes seconds, not minutes. Where the tokenizer's vocabulary exceeds the published one
   (Llama-2: 32,000 < 49,152) the model's vocabulary is raised to cover it, and the deviation is printed and recorded.
2. **experiment**: the 16 scenarios x 4 prompting types x ``--reps`` answers of ``--tokens`` tokens through
   :func:`tomlab.eval.runner.evaluate` (the code path of ``tom_eval.py --all_conditions``), which loads
   the saved model with :func:`tomlab.models.load_model` in bf16, 8-bit or 4-bit (bitsandbytes): answers/s, tokens/s,
   the load time, peak GPU memory. Random weights answer to the last token, so every answer is ``--tokens`` long.
3. **finetune**: a few steps of every stage (SFT, reward model, PPO, DPO) through the stages' own entry point
   :func:`tomlab.finetune.stage.main` with the ``smoke`` recipe and an 8/4-bit LoRA: seconds per training step (the
   median gap between consecutive logged steps in the stage's TensorBoard events), peak GPU memory. The reward model
   and PPO's reward model start from the same random folder (a causal-LM checkpoint read as a reward model): there is
   nothing to merge in between, so merging is not rehearsed.

Budget: every started row runs under a hard time limit, ``min(--row_budget_s, what is left of --budget_s)`` (SIGALRM;
a row cut there keeps what it measured and says so). A row whose kind and precision already took longer on the other
architecture than what is left, or that would get less than :data:`MIN_ROW_S`, is skipped with a note, as are the
bitsandbytes rows without CUDA ("skipped: CUDA only") or without bitsandbytes. ``--tiny`` runs the same code on tiny
configurations of the two architectures in float32 (what the tests run on a CPU).

Outputs: ``<out>/table.md`` (one markdown table) and ``<out>/rehearsal.json`` (settings, environment, every row's raw
figures), both written atomically after every row, so a run cut short still says what held. Answer files, adapters
and event files go to ``<work_dir>/scratch/`` (cleared at the start of each run), never to ``--out``.

The table is about memory, time and whether every path works at the real size: random weights say nothing about ToM.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.util
import json
import shutil
import signal
import statistics
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import ToMLabError
from .io import atomic_write_json, atomic_write_text
from .models import EMBEDDED, cache_dir, load_tokenizer, resolve_model

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


# -- the models ---------------------------------------------------------------------------------------------------
def model_config(arch: Architecture, tokenizer, tiny: bool):
    """(transformers config, deviations from the published configuration) for ``arch`` with ``tokenizer``'s special
    tokens and a vocabulary that covers the tokenizer."""
    from transformers import AutoConfig

    fields = dict(arch.published)
    deviations = []
    needed = len(tokenizer)
    if tiny:  # the vocabulary too: the tokenizer's own (a tiny model's logits over 50,400 tokens dominate its time)
        fields.update(arch.tiny, **{arch.vocab_key: needed})
        deviations.append("tiny configuration (--tiny): " + ", ".join(f"{k} {v}" for k, v in arch.tiny.items())
                          + f", {arch.vocab_key} {needed} (the tokenizer's)")
    elif needed > fields[arch.vocab_key]:
        deviations.append(f"{arch.vocab_key} {fields[arch.vocab_key]} -> {needed} to cover the tokenizer's "
                          f"{needed} tokens")
        fields[arch.vocab_key] = needed
    config = AutoConfig.for_model(arch.model_type, bos_token_id=tokenizer.bos_token_id,
                                  eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, **fields)
    return config, deviations


def _complete(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors")) and \
        (folder / "tokenizer_config.json").is_file()


def rehearsal_tokenizer(name: str):
    """The tokenizer every rehearsal model gets: a folder holding one, or a model name (the embedded default)."""
    path = Path(name).expanduser()
    if not (path.is_dir() and (path / "tokenizer_config.json").is_file()):
        path = Path(resolve_model(name))
    return load_tokenizer(str(path))


def build_model(arch_name: str, tokenizer, s: RehearsalSettings, env: Environment, models_dir: Path) -> dict:
    """Build ``arch_name`` with random weights and save it (safetensors + tokenizer) once; reuse a complete folder.
    Returns the row's figures, with ``path`` the folder."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    arch = ARCHITECTURES[arch_name]
    config, deviations = model_config(arch, tokenizer, s.tiny)
    for line in deviations:
        print(f"{arch.label}: deviation from the published configuration: {line}", flush=True)
    dtype = torch.float32 if s.tiny else torch.bfloat16
    key = hashlib.sha1((config.to_json_string(use_diff=False) + str(dtype)
                        + json.dumps(tokenizer.get_vocab(), sort_keys=True)).encode()).hexdigest()[:10]
    folder = models_dir / f"{arch.label}{'-tiny' if s.tiny else ''}-{key}"
    figures = {"path": str(folder), "deviations": deviations, "dtype": str(dtype).replace("torch.", "")}
    if _complete(folder):
        return {**figures, "reused": True, "parameters": _parameters(folder),
                "disk_gib": round(sum(f.stat().st_size for f in folder.glob("*.safetensors")) / GIB, 2)}
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=models_dir))
    try:
        t0 = time.perf_counter()
        torch.manual_seed(0)
        with torch.device(env.device):  # constructed and initialized where it runs: no CPU copy, GPU init
            model = AutoModelForCausalLM.from_config(config, dtype=dtype)
        if env.cuda:
            torch.cuda.synchronize()
        built = time.perf_counter() - t0
        model.generation_config = GenerationConfig(bos_token_id=tokenizer.bos_token_id,
                                                   eos_token_id=tokenizer.eos_token_id,
                                                   pad_token_id=tokenizer.pad_token_id)
        n_params = sum(p.numel() for p in model.parameters())
        t0 = time.perf_counter()
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "SOURCE.txt").write_text(f"random weights, {arch.label} (tomlab.scale); deviations: "
                                        f"{'; '.join(deviations) or 'none'}\n")
        saved = time.perf_counter() - t0
        del model
        tmp.rename(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return {**figures, "reused": False, "parameters": n_params, "build_s": round(built, 2), "save_s": round(saved, 2),
            "disk_gib": round(sum(f.stat().st_size for f in folder.glob("*.safetensors")) / GIB, 2)}


def _parameters(folder: Path) -> int | None:
    """Parameter count from the safetensors headers (no weights read)."""
    from safetensors import safe_open

    total = 0
    for f in folder.glob("*.safetensors"):
        with safe_open(f, framework="pt") as fh:
            for name in fh.keys():
                shape = fh.get_slice(name).get_shape()
                n = 1
                for d in shape:
                    n *= d
                total += n
    return total or None


# -- the rows -----------------------------------------------------------------------------------------------------
def dtype_name(precision: str, s: RehearsalSettings) -> str:
    """The --dtype a row passes: the full precision's dtype, or auto for bitsandbytes (as a user would)."""
    if precision == "full":
        return "float32" if s.tiny else "bfloat16"
    return "auto"


def precision_label(precision: str, s: RehearsalSettings) -> str:
    return {"full": dtype_name("full", s)}.get(precision, precision)


def experiment_row(folder: str, label: str, precision: str, s: RehearsalSettings, env: Environment,
                   scratch: Path) -> dict:
    """The 16-scenario experiment, all four prompting types, through the runner (the model loaded as it loads it)."""
    from .eval.config import EvalConfig
    from .eval.registry import get
    from .eval.runner import evaluate

    out_dir = scratch / "answers" / f"{label}-{precision}"
    cfg = EvalConfig(model=folder, model_label=f"{label} {precision}", dtype=dtype_name(precision, s),
                     device=env.device, load_in_8bit=precision == "8bit", load_in_4bit=precision == "4bit",
                     batch_size=s.batch_size, repetitions=s.reps, max_new_tokens=s.tokens, all_conditions=True,
                     output_dir=out_dir, overwrite=True, grade=False)
    t0 = time.perf_counter()
    try:
        summary = evaluate([(get("tom16"), cfg)])
    except RowTimeout:
        answers, tokens = _answers_on_disk(out_dir)
        raise RowTimeout(f"{answers} answers ({tokens} tokens) written before the cut",
                         {"answers": answers, "new_tokens": tokens}) from None
    wall = time.perf_counter() - t0
    gen = summary["generation_seconds"]
    return {"answers": summary["answers_generated"], "new_tokens": summary["new_tokens"],
            "generation_s": round(gen, 2), "load_s": round(wall - gen, 2),
            "answers_per_s": round(summary["answers_generated"] / max(gen, 1e-9), 2),
            "tokens_per_s": round(summary["new_tokens"] / max(gen, 1e-9), 1),
            "finish_reasons": dict(summary["finish_reasons"]), "dtype": summary["dtype"]}


def _answers_on_disk(folder: Path) -> tuple[int, int]:
    """(answers, new tokens) in the answer files under ``folder`` (what a cut experiment had saved)."""
    answers = tokens = 0
    for path in folder.rglob("*.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for scenario in data.get("scenarios", []):
            for answer in scenario.get("answers", []):
                answers += 1
                tokens += answer.get("new_tokens") or 0
    return answers, tokens


def stage_argv(stage: str, folder: str, precision: str, s: RehearsalSettings, out_dir: Path) -> list[str]:
    """The stage's command line: the smoke recipe, a few steps, the rehearsal model, the precision's LoRA base."""
    argv = ["--preset", "smoke", "--model_name_or_path", folder, "--output_dir", str(out_dir), "--overwrite", "true",
            "--max_train_samples", str(max(16, PPO_BATCH * s.steps)), "--max_eval_samples", "8",
            "--per_device_eval_batch_size", "8", "--logging_steps", "1", "--save_steps", "1000",
            "--report_to", "tensorboard"]
    if precision in QUANTIZED:
        argv.append(f"--load_in_{precision}=true")
    if s.tiny:
        argv += ["--bf16=false", "--fp16=false", "--dtype", "float32"]
    else:
        argv += ["--gradient_checkpointing=true"]  # as the gpt4all-j recipes train a 6-7B model
    if stage in ("ppo", "dpo"):
        argv += ["--heldout_prompts", "4", "--heldout_max_new_tokens", "8"]
    if stage == "ppo":
        argv += ["--reward_model_name", folder, "--total_episodes", str(PPO_BATCH * s.steps),
                 "--per_device_train_batch_size", str(PPO_BATCH), "--num_mini_batches", "2", "--response_length", "16"]
    else:
        argv += ["--max_steps", str(s.steps)]
    return argv


def finetune_row(stage: str, folder: str, label: str, precision: str, s: RehearsalSettings, scratch: Path) -> dict:
    """A few steps of one stage through its own entry point; seconds per step from its TensorBoard events."""
    from .finetune.stage import main

    out_dir = scratch / "train" / f"{label}-{stage}-{precision}"
    metrics = main(stage, f"scale rehearsal: {stage}", output_dir=str(out_dir),
                   argv=stage_argv(stage, folder, precision, s, out_dir))
    steps = step_seconds(out_dir, stage)
    return {"steps_logged": len(steps) + 1 if steps else None,
            "step_s": round(statistics.median(steps), 3) if steps else None,
            "train_steps": metrics.get("train_steps", metrics.get("updates"))}


def step_seconds(stage_dir: Path, stage: str) -> list[float]:
    """Wall seconds between consecutive logged training steps (the first step's warm-up excluded)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    walls: dict[int, float] = {}
    for run in sorted(p for p in (stage_dir / "runs").glob("*") if p.is_dir()):
        acc = EventAccumulator(str(run), size_guidance={"scalars": 0})
        acc.Reload()
        if STEP_TAGS[stage] in acc.Tags()["scalars"]:
            for event in acc.Scalars(STEP_TAGS[stage]):
                walls[event.step] = min(walls.get(event.step, event.wall_time), event.wall_time)
    times = [walls[k] for k in sorted(walls) if k > 0]
    return [b - a for a, b in zip(times, times[1:])]


# -- time limits and memory ---------------------------------------------------------------------------------------
class RowTimeout(BaseException):
    """A row ran past its time limit (a BaseException, so library code's ``except Exception`` lets it through)."""

    def __init__(self, message: str = "", figures: dict | None = None):
        super().__init__(message)
        self.figures = figures or {}


@contextmanager
def time_limit(seconds: float):
    """Raise :class:`RowTimeout` in the main thread after ``seconds`` (no limit where SIGALRM is unavailable)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise RowTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _release_memory(env: Environment) -> float | None:
    """Free what earlier rows left, reset the peak counter; GiB still allocated (None on the CPU)."""
    gc.collect()
    if not env.cuda:
        return None
    import torch

    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    return torch.cuda.memory_allocated() / GIB


def _peak_memory(env: Environment) -> float | None:
    if not env.cuda:
        return None
    import torch

    return torch.cuda.max_memory_allocated() / GIB


# -- the run ------------------------------------------------------------------------------------------------------
@dataclass
class Row:
    arch: str
    kind: str  # "build" | "experiment" | a stage name
    precision: str
    status: str = "pending"  # ok | FAILED | cut | skipped
    note: str = ""
    wall_s: float | None = None
    peak_gpu_gib: float | None = None
    figures: dict = field(default_factory=dict)

    @property
    def result(self) -> str:
        """The table's result cell: the status, with the reason of a skipped row."""
        return f"skipped: {self.note}" if self.status == "skipped" else self.status

    @property
    def name(self) -> str:
        return f"{self.arch}/{self.kind}/{self.precision}"


def plan(s: RehearsalSettings) -> list[Row]:
    """The rows in priority order: builds, the unquantized experiment, the first finetuning precision's stages and
    the quantized experiments, then the remaining finetuning precisions (each kind for every architecture in turn)."""
    rows = [Row(a, "build", "full") for a in s.archs]
    first_ft = s.finetune_precisions[:1]
    order = [("experiment", p) for p in s.precisions if p == "full"]
    order += [(stage, p) for p in first_ft for stage in s.stages]
    order += [("experiment", p) for p in s.precisions if p != "full"]
    order += [(stage, p) for p in s.finetune_precisions[1:] for stage in s.stages]
    for kind, precision in order:
        rows += [Row(a, kind, precision) for a in s.archs]
    return rows


def _skip_reason(row: Row, env: Environment, rows: list[Row], left: float, s: RehearsalSettings) -> str | None:
    if row.precision in QUANTIZED and not env.cuda:
        return "CUDA only"
    if row.precision in QUANTIZED and not env.bitsandbytes:
        return "bitsandbytes missing"
    if row.kind != "build":
        build = next(r for r in rows if r.arch == row.arch and r.kind == "build")
        if build.status != "ok":
            return "no model (its build did not succeed)"
    minimum = 0.0 if s.tiny else MIN_ROW_S
    same = [r.wall_s for r in rows if r.kind == row.kind and r.precision == row.precision and r.status == "ok"
            and r.wall_s is not None]
    need = max([minimum, *same])
    if left < need:
        return f"would overrun the budget (needs ~{need:.0f} s, {max(left, 0):.0f} s left)"
    return None


def parse_settings(argv: list[str] | None = None, description: str | None = None) -> RehearsalSettings:
    """The script's command line -> :class:`RehearsalSettings` (bad values: argparse's one error line, exit 2)."""
    from transformers import HfArgumentParser

    (settings,) = HfArgumentParser(RehearsalSettings, description=description).parse_args_into_dataclasses(
        argv, look_for_args_file=False)
    return settings


def run_rehearsal(s: RehearsalSettings) -> dict:
    """Run every row of :func:`plan` within the budget; write and return the report (settings, environment, rows)."""
    s.validate()
    tokenizer = rehearsal_tokenizer(s.tokenizer)  # bad --tokenizer: one error line before any work
    env = detect_environment()
    for line in env.lines():
        print(line, flush=True)
    models_dir, scratch = s.work_dir / "models", s.work_dir / "scratch"
    _fresh_scratch(scratch)
    s.out.mkdir(parents=True, exist_ok=True)
    rows = plan(s)
    report = {"settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(s).items()},
              "environment": env.description, "notes": env.lines(), "rows": []}
    start = time.perf_counter()
    folders: dict[str, str] = {}
    for i, row in enumerate(rows, 1):
        left = s.budget_s - (time.perf_counter() - start)
        reason = _skip_reason(row, env, rows, left, s)
        label = ARCHITECTURES[row.arch].label + ("-tiny" if s.tiny else "")
        print(f"\n== [{i}/{len(rows)}] {label} {row.kind} {precision_label(row.precision, s)}", flush=True)
        if reason:
            row.status, row.note = "skipped", reason
        else:
            _run_row(row, label, min(s.row_budget_s, left), s, env, tokenizer, models_dir, scratch, folders)
        print(f"   {row.result}{f' in {row.wall_s:.1f} s' if row.wall_s is not None else ''}"
              f"{f' ({row.note})' if row.note and row.status != 'skipped' else ''}", flush=True)
        report["rows"] = [asdict(r) | {"name": r.name} for r in rows]
        report["elapsed_s"] = round(time.perf_counter() - start, 1)
        write_report(s.out, report, rows, s)
    print("\n" + format_table(rows, s), flush=True)
    return report


def exit_status(report: dict) -> int:
    """The script's exit status: 1 if a row failed (a cut or skipped row is not a failure), else 0."""
    return 1 if any(r["status"] == "FAILED" for r in report["rows"]) else 0


def _run_row(row: Row, label: str, limit: float, s: RehearsalSettings, env: Environment, tokenizer,
             models_dir: Path, scratch: Path, folders: dict) -> None:
    """Run one row under its time limit; fill in status, note, wall time, peak memory and figures."""
    held = _release_memory(env)
    t0 = time.perf_counter()
    try:
        with time_limit(limit):
            if row.kind == "build":
                row.figures = build_model(row.arch, tokenizer, s, env, models_dir)
                folders[row.arch] = row.figures["path"]
                row.note = "; ".join(["reused" if row.figures["reused"] else "built and saved",
                                      *row.figures["deviations"]])
            elif row.kind == "experiment":
                row.figures = experiment_row(folders[row.arch], label, row.precision, s, env, scratch)
            else:
                row.figures = finetune_row(row.kind, folders[row.arch], label, row.precision, s, scratch)
        row.status = "ok"
    except RowTimeout as exc:
        row.status, row.figures = "cut", exc.figures
        row.note = f"cut at the row's limit of {limit:.0f} s" + (f": {exc}" if str(exc) else "")
    except (Exception, SystemExit) as exc:  # a row's failure is its result; the next row still runs
        row.status = "FAILED"
        row.note = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[:300]
        row.figures = {"traceback": traceback.format_exc()[-4000:]}
    row.wall_s = round(time.perf_counter() - t0, 2)
    peak = _peak_memory(env)
    row.peak_gpu_gib = round(peak, 2) if peak is not None else None
    if held is not None and held > 0.5:
        row.figures["gpu_gib_held_before"] = round(held, 2)


def _fresh_scratch(scratch: Path) -> None:
    """Clear the scratch folder of an earlier run (only one this module made: it holds :data:`SCRATCH_MARK`)."""
    if scratch.exists():
        if not (scratch / SCRATCH_MARK).is_file():
            raise ToMLabError(f"{scratch} exists and is not a rehearsal scratch folder: choose another --work_dir")
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    (scratch / SCRATCH_MARK).write_text("answers, adapters and event files of the last scale rehearsal\n")


# -- the report ---------------------------------------------------------------------------------------------------
COLUMNS = ("model", "row", "precision", "result", "wall s", "answers/s", "tokens/s", "load s", "s/step",
           "peak GPU GiB", "note")


def _cell(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _count(n: int) -> str:
    return f"{n / 1e9:.2f} B" if n >= 1e8 else f"{n / 1e6:.2f} M"


def format_table(rows: list[Row], s: RehearsalSettings) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join(":--" if c in ("model", "row", "precision", "result",
                                                                           "note") else "--:" for c in COLUMNS) + "|"]
    for r in rows:
        f = r.figures
        label = ARCHITECTURES[r.arch].label + ("-tiny" if s.tiny else "")
        note = "" if r.status == "skipped" else r.note
        if r.kind == "experiment" and r.status == "ok":
            note = f"{f['answers']} answers, {f['new_tokens']} tokens" + (f"; {note}" if note else "")
        if r.kind == "build" and r.status == "ok" and f.get("parameters"):
            note = f"{_count(f['parameters'])} parameters, {f['disk_gib']} GiB on disk; {note}"
        cells = [label, r.kind, precision_label(r.precision, s), r.result, _cell(r.wall_s),
                 _cell(f.get("answers_per_s"), 2), _cell(f.get("tokens_per_s")), _cell(f.get("load_s")),
                 _cell(f.get("step_s"), 3), _cell(r.peak_gpu_gib, 2), note.replace("|", "\\|")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(out: Path, report: dict, rows: list[Row], s: RehearsalSettings) -> None:
    env = report["environment"]
    head = (f"# Scale rehearsal ({'tiny configurations' if s.tiny else 'published 6-7B configurations'}, random "
            f"weights)\n\n{env['device_name']}, torch {env['torch']}, transformers {env['transformers']}, bitsandbytes "
            f"{env['bitsandbytes'] or 'missing'}; {s.reps} reps x {s.tokens} tokens per answer (16 scenarios x 4 "
            f"prompting types), {s.steps} training steps per stage; budget {s.budget_s:.0f} s, "
            f"{s.row_budget_s:.0f} s per row; {report['elapsed_s']} s so far.\n\n"
            "Random weights: these figures are about memory, time and whether every path works at this size; they "
            "say nothing about theory of mind.\n\n")
    notes = "".join(f"- {line}\n" for line in report["notes"])
    atomic_write_text(out / "table.md", head + (notes + "\n" if notes else "") + format_table(rows, s) + "\n")
    atomic_write_json(out / "rehearsal.json", report)
