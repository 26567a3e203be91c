"""The ToM experiment: scenarios x prompting types x repetitions -> answer files (resumable).

The pieces every runner shares (the model and its dtype, the run block, the generation loop that fills answer files
under their locks with a progress bar) are public here; ``tomlab.tasks.runner`` reuses them for the benchmarks.
What answers is chosen here too (``--backend``): :func:`prepare` resolves the model (or connects to the server) and
:func:`open_backend` hands the generation loop the in-process engine or the server, both with one interface.
"""

from __future__ import annotations

import dataclasses
import platform
import subprocess
import time
from collections import Counter
from pathlib import Path

from .. import __version__
from ..answers import AnswerFile, FileLock, default_path, run_key
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
    repo_relative,
    resolve_model,
)
from ..prompts import PROMPT_FORMATS, Condition, apply_chat_template, build_prompt
from ..scenarios import REPO_ROOT, load_cot_examples, load_scenarios
from .config import ExperimentConfig, ModelArguments


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


def model_label(cfg: ModelArguments | ExperimentConfig) -> str:
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


def output_path(cfg: ExperimentConfig, condition: Condition, key: str, model_name: str) -> Path:
    if cfg.output is None:
        return default_path(cfg.output_dir, model_name, condition.name, key)
    if len(cfg.conditions) == 1:
        return cfg.output
    return cfg.output.with_name(f"{cfg.output.stem}_{condition.name}{cfg.output.suffix}")


def new_summary(label: str, cfg, dtype: str) -> dict:
    return {"model": label, "model_path": model_reference(cfg.model), "dtype": dtype, "files": [],
            "answers_generated": 0, "new_tokens": 0, "generation_seconds": 0.0, "finish_reasons": Counter()}


def run_experiment(cfg: ExperimentConfig) -> dict:
    """Run (or resume) every requested prompting type; return a summary with the files written."""
    validate(cfg)
    if cfg.output and len(cfg.conditions) > 1 and cfg.output.suffix != ".json":
        raise ToMLabError(f"--output {cfg.output}: must end in .json")
    scenarios = load_scenarios(cfg.scenarios)
    examples = load_cot_examples(cfg.cot_examples) if any(c.cot for c in cfg.conditions) else []
    model_name = display_name(cfg.model)
    label = model_label(cfg)
    path, device, dtype, tokenizer = prepare(cfg)
    server_identity, server_run = backend_fields(path)

    files = []
    for condition in cfg.conditions:
        prompts = {s.id: build_prompt(s, condition, examples, cfg.prompt_format) for s in scenarios}
        if templates_locally(cfg):
            prompts = {sid: apply_chat_template(tokenizer, p) for sid, p in prompts.items()}
        identity = {"model": model_name, "revision": cfg.revision, "dtype": dtype, "seed": cfg.seed,
                    "sampling": cfg.sampling.__dict__, "prompts": prompts, "code": __version__,
                    "quant": quantization(cfg)}
        if cfg.model_label is not None:  # only a label given by hand: the keys of unlabelled runs stay as they were
            identity["model_label"] = cfg.model_label
        key = run_key({**identity, **server_identity})
        target = output_path(cfg, condition, key, label)
        run = run_block(cfg, label, dtype, device, key, {
            "scenarios_file": repo_relative(cfg.scenarios),
            "cot_examples_file": repo_relative(cfg.cot_examples) if condition.cot else None, **server_run})
        answer_file, status = AnswerFile.open(target, key, cfg.overwrite, model=cfg.model or model_name,
                                              condition=condition, params=cfg.sampling,
                                              prompt_format=cfg.prompt_format, chat=cfg.chat,
                                              scenarios=scenarios, prompts=prompts, run=run)
        answer_file.want_reps(cfg.repetitions, status)
        files.append((condition, answer_file, status))

    # One prompting type at a time: batches never mix types, so in bf16 (where rounding follows the batch shape)
    # a type's answers do not depend on which other types were asked in the same command or are already on disk.
    plans = []
    for condition, f, _ in files:
        groups = [PromptGroup(f.prompt(s.id), [((condition.name, s.id, r),
                                                answer_seed(cfg.seed, condition.name, s.id, r))
                                               for r in f.missing(s.id, cfg.repetitions)])
                  for s in scenarios if f.missing(s.id, cfg.repetitions)]
        if groups:
            plans.append((f, groups))
    summary = new_summary(label, cfg, dtype)
    generate_into_files(cfg, [f for _, f, _ in files], plans, path, tokenizer, summary)
    for condition, f, status in files:
        summary["files"].append({"path": str(f.path), "prompting": condition.name, "status": status,
                                 "answers": f.n_answers(), "complete": f.data["complete"]})
    return summary


def generate_into_files(cfg, files: list[AnswerFile], plans: list[tuple[AnswerFile, list[PromptGroup]]],
                        path: str | OpenAIServer, tokenizer, summary: dict) -> None:
    """Generate every request of ``plans`` (one answer file's prompt groups each, decoded file by file) into its
    file, saved atomically as answers arrive, under each file's lock, with a progress bar; then mark every file of
    ``files`` complete or not. Request keys are ``(tag, item id, repetition)``. ``path``: what :func:`prepare`
    resolved (a model, loaded only if needed, or a server)."""
    from tqdm.auto import tqdm

    total = sum(len(g.requests) for _, groups in plans for g in groups)
    if not total:
        return
    engine = open_backend(cfg, path, tokenizer)
    locks = [FileLock(f.path) for f in files]
    for lock in locks:
        lock.__enter__()
    bar = tqdm(total=total, desc="answers", unit="ans", disable=not cfg.progress, dynamic_ncols=True)
    start = time.perf_counter()
    seconds = {}  # per answer file: its own generation time (mixed batches: from the start to its last answer)
    # Where an answer does not depend on which rows share its batch (the in-process engine in float32 on a CPU),
    # every file's prompt groups go to the engine together, so batches mix files and stay full in the steps where a
    # file's short answers are over; elsewhere (bf16, CUDA, a server) one file at a time, so a file's answers never
    # depend on which other files a command asks for.
    runs = [[g for _, groups in plans for g in groups]] if getattr(engine, "batch_independent", False) \
        else [groups for _, groups in plans]
    owner = {key: f for f, groups in plans for g in groups for key, _ in g.requests}
    seeds = {key: seed for _, groups in plans for g in groups for key, seed in g.requests}
    left = {f.path: sum(len(g.requests) for g in groups) for f, groups in plans}
    try:
        for groups in runs:
            run_start = time.perf_counter()
            for done in engine.generate(groups, cfg.sampling, progress=bar):
                f = owner[done.key]
                _, item_id, rep = done.key
                f.add(item_id, rep, done.text, done.finish_reason, done.new_tokens, seeds[done.key])
                f.data["run"]["new_tokens"] = f.data["run"].get("new_tokens", 0) + done.new_tokens
                summary["answers_generated"] += 1
                summary["new_tokens"] += done.new_tokens
                summary["finish_reasons"][done.finish_reason] += 1
                elapsed = time.perf_counter() - start
                bar.set_postfix_str(f"{summary['new_tokens'] / max(elapsed, 1e-9):.0f} tok/s", refresh=False)
                left[f.path] -= 1
                if left[f.path]:
                    f.save(every=1.0)
                else:  # this file's requests are all answered: on disk now, not only when the others are done
                    f.save()
                    seconds[f.path] = time.perf_counter() - run_start
    finally:
        summary["generation_seconds"] = time.perf_counter() - start
        bar.close()
        for f in files:
            run = f.data["run"]
            complete = f.is_complete(cfg.repetitions)
            f.data["complete"] = complete
            f.save(generation_seconds=round(run.get("generation_seconds", 0.0) + seconds.get(f.path, 0.0), 3),
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
