"""What one row runs: the 16-scenario experiment through the runner, a few steps of a finetuning stage through its
own entry point (seconds per step from its TensorBoard events); the hard time limit of a row (SIGALRM) and the GPU
memory figures around it."""

from __future__ import annotations

import gc
import json
import signal
import statistics
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from .settings import GIB, PPO_BATCH, QUANTIZED, STEP_TAGS, Environment, RehearsalSettings, dtype_name


def experiment_row(folder: str, label: str, precision: str, s: RehearsalSettings, env: Environment,
                   scratch: Path) -> dict:
    """The 16-scenario experiment, all four prompting types, through the runner (the model loaded as it loads it)."""
    from ..eval.config import EvalConfig
    from ..eval.registry import get
    from ..eval.runner import evaluate

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
    from ..finetune.stage import main

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


def release_memory(env: Environment) -> float | None:
    """Free what earlier rows left, reset the peak counter; GiB still allocated (None on the CPU)."""
    gc.collect()
    if not env.cuda:
        return None
    import torch

    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    return torch.cuda.memory_allocated() / GIB


def peak_memory(env: Environment) -> float | None:
    if not env.cuda:
        return None
    import torch

    return torch.cuda.max_memory_allocated() / GIB
