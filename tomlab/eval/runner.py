"""The one evaluation runner: every requested task x variant -> resumable answer files, the model loaded once.

:func:`evaluate` takes [(task, its settings)] (:class:`tomlab.eval.task.Task`, :class:`tomlab.eval.config.EvalConfig`),
checks every flag and loads every task's samples before any work, resolves the model once (:func:`prepare`), plans one
answer file per task x variant (:func:`plan`: prompts, chat template, run key, file name, run block, resume), then
generates every missing answer through one backend (:func:`open_backend`: the in-process engine on the model loaded
now, or an OpenAI-compatible server) into its file: saved atomically as answers arrive, under each file's lock, with
a progress bar (:func:`generate_into_files`). A file that already holds its run is resumed, never overwritten without
``--overwrite``; a file holding another run is refused. The model is loaded only where something is missing.
"""

from __future__ import annotations

import dataclasses
import platform
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..answers import AnswerFile, FileLock, run_key
from ..backends.openai import OpenAIServer, read_api_key
from ..errors import ToMLabError
from ..generation import Engine, PromptGroup, answer_seed
from ..hardware import kernel_path
from ..models import (
    display_name,
    load_model,
    load_tokenizer,
    model_reference,
    pick_device,
    pick_dtype,
    quantization_config,
    resolve_model,
)
from ..paths import REPO_ROOT
from ..prompts import PROMPT_FORMATS, apply_chat_template
from .config import EvalConfig, ModelArguments
from .task import Task, Variant


def validate(cfg) -> None:
    """Check the shared model / sampling / prompt / output flags of a runner's config before any work."""
    s = cfg.sampling
    checks = [
        (cfg.repetitions >= 1, f"--reps {cfg.repetitions}: must be at least 1"),
        (s.max_new_tokens >= 1, f"--tokens {s.max_new_tokens}: must be at least 1"),
        (s.top_k >= 0, f"--top_k {s.top_k}: must be >= 0 (0 disables it)"),
        (0.0 < s.top_p <= 1.0, f"--top_p {s.top_p}: must be in (0, 1]"),
        (s.temperature >= 0.0, f"--temp {s.temperature}: must be >= 0 (0 means greedy)"),
        (cfg.batch_size >= 1, f"--batch_size {cfg.batch_size}: must be at least 1"),
        (cfg.prompt_format in PROMPT_FORMATS, f"--prompt_format {cfg.prompt_format}: choose scenario or context"),
        (cfg.model_label is None or cfg.model_label.strip() != "", "--model_label: must not be empty"),
        (cfg.limit is None or cfg.limit >= 1, f"--limit {cfg.limit}: must be at least 1"),
    ]
    for ok, message in checks:
        if not ok:
            raise ToMLabError(message)
    for flag, target in (("--output", cfg.output), ("--output_dir", cfg.output_dir)):
        check_writable_location(flag, target)
    check_backend_flags(cfg)
    quantization_config(cfg.load_in_8bit, cfg.load_in_4bit)  # bitsandbytes needs CUDA: fail before any work


#: The in-process engine's flags: a server loads its model its own way, so with --backend openai they must stay unset.
ENGINE_FLAGS = ("revision", "dtype", "device", "device_map", "load_in_8bit", "load_in_4bit", "trust_remote_code",
                "batch_size")
SERVER_FLAGS = ("api_base", "api_key_env")


def check_backend_flags(cfg) -> None:
    """Each backend's flags only with that backend; a server run names its server and model."""
    defaults = {f.name: f.default for f in dataclasses.fields(ModelArguments)}
    if cfg.backend == "transformers":
        for name in SERVER_FLAGS:
            if getattr(cfg, name) is not None:
                raise ToMLabError(f"--{name}: only with --backend openai")
        return
    for name in ENGINE_FLAGS:
        if getattr(cfg, name) != defaults[name]:
            raise ToMLabError(f"--{name}: the in-process engine's flag; with --backend openai the server loads the "
                              f"model its own way")
    checks = [
        (cfg.api_base is not None, "--backend openai: give the server's URL with --api_base"),
        (cfg.model is not None, "--backend openai: name the served model with --model (as the server's /v1/models "
                                "lists it)"),
        (cfg.max_concurrency >= 1, f"--max_concurrency {cfg.max_concurrency}: must be at least 1"),
        (cfg.request_timeout > 0, f"--request_timeout {cfg.request_timeout}: must be above 0"),
        (cfg.max_retries >= 0, f"--max_retries {cfg.max_retries}: must be >= 0"),
    ]
    for ok, message in checks:
        if not ok:
            raise ToMLabError(message)


def check_writable_location(flag: str, target: Path | None) -> None:
    """Refuse an output path that runs through a regular file (``some_file/x.json``) or names a folder."""
    if target is None:
        return
    for parent in Path(target).parents:
        if parent.exists():
            if not parent.is_dir():
                raise ToMLabError(f"{flag} {target}: {parent} is a file, not a folder")
            break
    if flag == "--output" and Path(target).is_dir():
        raise ToMLabError(f"{flag} {target}: is a folder; name an answer file (.json)")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return (out.stdout.strip() + ("+dirty" if dirty else "")) or None
    except (OSError, subprocess.SubprocessError):
        return None


def model_label(cfg: ModelArguments) -> str:
    """The label reports and file names group by: another way of asking is another "model" row."""
    if cfg.model_label is not None:
        return cfg.model_label
    return (display_name(cfg.model) + (" [chat]" if cfg.chat else "")
            + (" [context]" if cfg.prompt_format == "context" else ""))


def prepare(cfg) -> tuple[str | OpenAIServer, str, str | None, object]:
    """Resolve the model: (path to load, device, resolved dtype name, tokenizer), or with ``--backend openai`` connect
    to the server and check that it serves ``--model``: (the server, its URL, None, None)."""
    if cfg.backend == "openai":
        server = OpenAIServer(cfg.api_base, cfg.model, chat=cfg.chat, api_key=read_api_key(cfg.api_key_env),
                              max_concurrency=cfg.max_concurrency, request_timeout=cfg.request_timeout,
                              max_retries=cfg.max_retries)
        return server, server.api_base, None, None
    path = resolve_model(cfg.model)
    device = pick_device(cfg.device) if not cfg.device_map else "auto"
    dtype = str(pick_dtype(cfg.dtype, device if device != "auto" else pick_device(None),
                           cfg.load_in_8bit)).replace("torch.", "")
    tokenizer = load_tokenizer(path, revision=cfg.revision, trust_remote_code=cfg.trust_remote_code)
    return path, device, dtype, tokenizer


def templates_locally(cfg) -> bool:
    """``--chat`` on the in-process engine: the prompt is the templated string. A server gets the user message and
    applies its own template."""
    return cfg.chat and cfg.backend == "transformers"


def backend_fields(source) -> tuple[dict, dict]:
    """What a server run adds to its run key's identity and to its run block; nothing for the in-process engine, so
    the keys of its runs stay as they were."""
    if isinstance(source, str):
        return {}, {}
    return {"backend": source.identity}, source.run_info


def open_backend(cfg, source, tokenizer):
    """What generates (``generate(prompt groups, sampling, progress)``): the connected server as is, or the
    in-process engine on the model loaded now."""
    if not isinstance(source, str):
        return source
    model = load_model(source, revision=cfg.revision, dtype=cfg.dtype, device=cfg.device, device_map=cfg.device_map,
                       load_in_8bit=cfg.load_in_8bit, load_in_4bit=cfg.load_in_4bit,
                       trust_remote_code=cfg.trust_remote_code)
    return Engine(model, tokenizer, batch_size=cfg.batch_size, add_special_tokens=not cfg.chat)


def quantization(cfg) -> str | None:
    return "8bit" if cfg.load_in_8bit else "4bit" if cfg.load_in_4bit else None


def run_block(cfg, label: str, dtype: str, device: str, key: str, data_files: dict) -> dict:
    """An answer file's ``run`` block: what made it, on what, and (filled in as it runs) how long it took."""
    import torch
    import transformers

    return {"model_name": label, "model_path": model_reference(cfg.model), "revision": cfg.revision, "dtype": dtype,
            "device": device, "quantization": quantization(cfg), "seed": cfg.seed, "reps": cfg.repetitions,
            "batch_size": cfg.batch_size, "run_key": key, "code_version": __version__, "git_commit": _git_commit(),
            **data_files, "torch": torch.__version__, "transformers": transformers.__version__,
            "python": platform.python_version(), "kernel_path": kernel_path(device),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "finished": None,
            "generation_seconds": 0.0, "new_tokens": 0}


def new_summary(label: str, cfg, dtype: str) -> dict:
    return {"model": label, "model_path": model_reference(cfg.model), "dtype": dtype, "files": [],
            "answers_generated": 0, "new_tokens": 0, "generation_seconds": 0.0, "finish_reasons": Counter()}


#: The flags that choose and load the model: one load serves every task, so they must agree across the tasks.
SHARED_FLAGS = ("model", "model_label", "revision", "dtype", "device", "device_map", "load_in_8bit", "load_in_4bit",
                "trust_remote_code", "batch_size", "backend", "api_base", "api_key_env", "max_concurrency",
                "request_timeout", "max_retries", "chat", "progress")


@dataclass
class Job:
    """One task x variant: its answer file and the prompt groups of its missing answers."""

    task: Task
    cfg: EvalConfig
    variant: Variant
    file: AnswerFile
    status: str  # new / resume / overwrite
    groups: list[PromptGroup] = field(default_factory=list)


def plan(runs: list[tuple[Task, EvalConfig, object]], source, device: str, dtype: str | None, tokenizer) -> list[Job]:
    """Open (or resume) the answer file of every task x variant and list its missing answers; no model is loaded
    and nothing is written. ``runs``: (task, settings, its samples); ``source``, ``device``, ``dtype``,
    ``tokenizer``: what :func:`prepare` resolved (the tokenizer is read only with ``--chat``)."""
    server_identity, server_run = backend_fields(source)
    jobs = []
    for task, cfg, samples in runs:
        variants = task.variants(cfg, samples)
        model_name = display_name(cfg.model)
        label = model_label(cfg)
        for variant in variants:
            prompts = task.prompts(cfg, samples, variant)
            if templates_locally(cfg):
                prompts = {item_id: apply_chat_template(tokenizer, p) for item_id, p in prompts.items()}
            identity = {**task.identity(variant), "model": model_name, "revision": cfg.revision, "dtype": dtype,
                        "seed": cfg.seed, "sampling": cfg.sampling.__dict__, "prompts": prompts, "code": __version__,
                        "quant": quantization(cfg)}
            if cfg.model_label is not None:  # only a label given by hand: the keys of unlabelled runs stay as they were
                identity["model_label"] = cfg.model_label
            key = run_key({**identity, **server_identity})
            target = task.output_path(cfg, variant, len(variants), key, label)
            run = run_block(cfg, label, dtype, device, key, {**task.data_files(cfg, samples, variant), **server_run})
            f, status = task.file_class.open(target, key, cfg.overwrite, model=cfg.model or model_name,
                                             params=cfg.sampling, prompt_format=cfg.prompt_format, chat=cfg.chat,
                                             prompts=prompts, run=run, **task.file_fields(samples, variant))
            f.want_reps(cfg.repetitions, status)
            groups = [PromptGroup(f.prompt(item_id), [((len(jobs), item_id, r),
                                                       answer_seed(cfg.seed, variant.name, item_id, r))
                                                      for r in f.missing(item_id, cfg.repetitions)])
                      for item_id in prompts if f.missing(item_id, cfg.repetitions)]
            jobs.append(Job(task, cfg, variant, f, status, groups))
    paths = [j.file.path.resolve() for j in jobs]
    if len(set(paths)) < len(paths):
        raise ToMLabError("two tasks would write the same answer file; give each its own --output")
    return jobs


def evaluate(runs: list[tuple[Task, EvalConfig]]) -> dict:
    """Ask (or resume) every variant of every task with one model; return a summary with the files written."""
    if not runs:
        raise ToMLabError("no task to ask")
    first = runs[0][1]
    for _, cfg in runs:
        validate(cfg)
        differ = [name for name in SHARED_FLAGS if getattr(cfg, name) != getattr(first, name)]
        if differ:
            raise ToMLabError(f"--{differ[0]}: every task of one run asks the same model the same way")
    if first.output is not None and len(runs) > 1:
        raise ToMLabError(f"--output {first.output}: names one task's files; with several tasks use --output_dir")
    loaded = [(task, cfg, task.samples(cfg)) for task, cfg in runs]
    for task, cfg, samples in loaded:
        if cfg.output and len(task.variants(cfg, samples)) > 1 and cfg.output.suffix != ".json":
            raise ToMLabError(f"--output {cfg.output}: must end in .json")
    source, device, dtype, tokenizer = prepare(first)
    jobs = plan(loaded, source, device, dtype, tokenizer)
    summary = new_summary(model_label(first), first, dtype)
    generate_into_files(first, jobs, source, tokenizer, summary)
    for job in jobs:
        summary["files"].append({"path": str(job.file.path), "task": job.task.name, "prompting": job.variant.name,
                                 "status": job.status, "answers": job.file.n_answers(),
                                 "complete": job.file.data["complete"]})
    return summary


def generate_into_files(cfg, jobs: list[Job], source: str | OpenAIServer, tokenizer, summary: dict) -> None:
    """Generate every missing answer of ``jobs`` into its file, saved atomically as answers arrive, under each file's
    lock, with a progress bar; then mark each file that got answers complete or not. ``cfg``: the shared model
    flags; each job samples with its own settings. ``source``: what :func:`prepare` resolved (a model, loaded only
    if something is missing, or a server)."""
    from tqdm.auto import tqdm

    todo = [j for j in jobs if j.groups]
    total = sum(len(g.requests) for j in todo for g in j.groups)
    if not total:
        return
    engine = open_backend(cfg, source, tokenizer)
    locks = [FileLock(j.file.path) for j in todo]
    for lock in locks:
        lock.__enter__()
    bar = tqdm(total=total, desc="answers", unit="ans", disable=not cfg.progress, dynamic_ncols=True)
    start = time.perf_counter()
    seconds = {}  # per answer file: its own generation time (mixed batches: from the start to its last answer)
    # Where an answer does not depend on which rows share its batch (the in-process engine in float32 on a CPU),
    # the prompt groups of every file that samples alike go to the engine together, so batches mix files and stay
    # full in the steps where a file's short answers are over; elsewhere (bf16, CUDA, a server) one file at a time,
    # so a file's answers never depend on which other files a command asks for.
    if getattr(engine, "batch_independent", False):
        alike: dict = {}
        for j in todo:
            alike.setdefault(j.cfg.sampling, []).append(j)
        runs = list(alike.values())
    else:
        runs = [[j] for j in todo]
    left = {id(j): sum(len(g.requests) for g in j.groups) for j in todo}
    seeds = {key: seed for j in todo for g in j.groups for key, seed in g.requests}
    try:
        for run_jobs in runs:
            run_start = time.perf_counter()
            groups = [g for j in run_jobs for g in j.groups]
            for done in engine.generate(groups, run_jobs[0].cfg.sampling, progress=bar):
                index, item_id, rep = done.key
                job = jobs[index]
                f = job.file
                f.add(item_id, rep, done.text, done.finish_reason, done.new_tokens, seeds[done.key])
                f.data["run"]["new_tokens"] = f.data["run"].get("new_tokens", 0) + done.new_tokens
                summary["answers_generated"] += 1
                summary["new_tokens"] += done.new_tokens
                summary["finish_reasons"][done.finish_reason] += 1
                elapsed = time.perf_counter() - start
                bar.set_postfix_str(f"{summary['new_tokens'] / max(elapsed, 1e-9):.0f} tok/s", refresh=False)
                left[id(job)] -= 1
                if left[id(job)]:
                    f.save(every=1.0)
                else:  # this file's requests are all answered: on disk now, not only when the others are done
                    f.save()
                    seconds[id(job)] = time.perf_counter() - run_start
    finally:
        summary["generation_seconds"] = time.perf_counter() - start
        bar.close()
        for j in todo:
            run = j.file.data["run"]
            complete = j.file.is_complete(j.cfg.repetitions)
            j.file.data["complete"] = complete
            j.file.save(generation_seconds=round(run.get("generation_seconds", 0.0) + seconds.get(id(j), 0.0), 3),
                        finished=time.strftime("%Y-%m-%dT%H:%M:%S%z") if complete else None)
        for lock in locks:
            lock.__exit__(None, None, None)


def format_summary(summary: dict) -> str:
    lines = [f"model: {summary['model']}  ({summary['model_path']}, {summary['dtype'] or 'served'})"]
    width = max([8] + [len(f["prompting"]) for f in summary["files"]])
    for f in summary["files"]:
        state = "complete" if f["complete"] else "INCOMPLETE"
        lines.append(f"  {f['prompting']:<{width}} {f['answers']:>5} answers  {state:<10} [{f['status']}]  {f['path']}")
    secs = summary["generation_seconds"]
    if summary["answers_generated"]:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(summary["finish_reasons"].items()))
        lines.append(f"generated {summary['answers_generated']} answers, {summary['new_tokens']} tokens in "
                     f"{secs:.1f} s: {summary['new_tokens'] / max(secs, 1e-9):.1f} tok/s, "
                     f"{summary['answers_generated'] / max(secs, 1e-9):.2f} answers/s  (ended by: {reasons})")
    else:
        lines.append("nothing to generate: every file already holds all requested answers "
                     "(pass --overwrite to generate them anew)")
    return "\n".join(lines)
