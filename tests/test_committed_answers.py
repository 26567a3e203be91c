"""Every committed answer file is still found complete by the command that made it: same run key, same file name,
nothing to generate.

The files are those git tracks under ``results/`` with an answer-file schema (the 16 scenarios' and the benchmarks'),
wherever they lie (``results/answers``, ``results/answers_benchmarks``, ``results/answers_bf16``, the finetuning
runs' ``results/finetune/run*/answers`` ...). Each file's own record gives the command's settings: the model as
asked (``model``), the ``run`` block (dtype, seed, repetitions, label, data files, limit), the sampling parameters,
the prompting type or question form, the prompt format and ``chat``. The runner's planning step
(:func:`tomlab.eval.runner.plan`, what every run does before it loads a model) is then asked for that command with
``--output_dir`` the folder the file lies under: it must name this very file, resume it and find no answer missing.
Nothing is generated and no model is loaded (a chat file reads the embedded model's tokenizer for its template).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tomlab.answers import SCHEMA
from tomlab.eval.config import EvalConfig
from tomlab.eval.registry import get
from tomlab.eval.runner import model_label, plan
from tomlab.models import GEMMA3
from tomlab.scenarios import DEFAULT_COT_EXAMPLES
from tomlab.tasks.answers import SCHEMA as BENCHMARK_SCHEMA


def committed_answer_files() -> list[Path]:
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "results"], capture_output=True, text=True)
    if listed.returncode != 0:
        return []
    out = []
    for name in listed.stdout.splitlines():
        if name.endswith(".json"):
            data = json.loads((ROOT / name).read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("schema") in (SCHEMA, BENCHMARK_SCHEMA):
                out.append(ROOT / name)
    return out


FILES = committed_answer_files()


def command_of(path: Path, data: dict, labelled: bool = False) -> tuple:
    """(task, settings) of the command that wrote ``path``, from what the file records; ``labelled``: the command
    gave ``--model_label`` even though it equals the default label (the ToM study's battery always names its model,
    and a given label is part of the run key)."""
    run, params = data["run"], data["model parameter"]
    flags = {"model": data["model"], "dtype": run["dtype"], "seed": run["seed"], "repetitions": run["reps"],
             "max_new_tokens": params["max_new_tokens"], "top_k": params["top k"], "top_p": params["top p"],
             "temperature": params["temperature"], "prompt_format": data["prompt_format"], "chat": data["chat"],
             "revision": run["revision"], "progress": False}
    if data["schema"] == SCHEMA:
        task = get("tom16")
        flags |= {"step_by_step": data["step-by_step reasoning"], "chain_of_thought": data["chain-of-thougth examples"],
                  "scenarios": ROOT / run["scenarios_file"], "limit": run.get("limit"),
                  "cot_examples": ROOT / run["cot_examples_file"] if run["cot_examples_file"] else DEFAULT_COT_EXAMPLES,
                  "output_dir": path.parents[1]}
    else:
        task = get(data["benchmark"])
        flags |= {"form": data["form"], "step_by_step": data["prompting"] == "SbS", "items": ROOT / run["items_file"],
                  "limit": run["limit"], "output_dir": path.parents[2]}
    if model_label(EvalConfig(**flags)) != run["model_name"] or labelled:  # a label given by hand (--model_label)
        flags["model_label"] = run["model_name"]
    return task, EvalConfig(**flags)


def test_every_committed_answer_file_is_covered():
    """Every tracked ``Results_*.json`` is one of the files checked, from every folder that holds answers."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "results"], capture_output=True, text=True)
    named = {ROOT / n for n in listed.stdout.splitlines()
             if Path(n).name.startswith("Results_") and n.endswith(".json")}
    assert named == set(FILES) and len(FILES) >= 76
    folders = {p.relative_to(ROOT).parts[1] for p in FILES}
    assert folders == {"answers", "answers_benchmarks", "answers_bf16", "finetune", "tom_training"}


@pytest.mark.parametrize("path", [p for p in FILES if not json.loads(p.read_text(encoding="utf-8"))["chat"]],
                         ids=lambda p: p.relative_to(ROOT / "results").as_posix())
def test_committed_file_is_found_complete(path):
    found_complete(path, tokenizer=None)


@pytest.mark.integration
@pytest.mark.parametrize("path", [p for p in FILES if json.loads(p.read_text(encoding="utf-8"))["chat"]],
                         ids=lambda p: p.relative_to(ROOT / "results").as_posix())
def test_committed_chat_file_is_found_complete(path, embedded_tokenizer):
    found_complete(path, embedded_tokenizer)


@pytest.fixture(scope="module")
def embedded_tokenizer(embedded_model_dir):
    from tomlab.models import load_tokenizer

    return load_tokenizer(str(embedded_model_dir))


def found_complete(path: Path, tokenizer) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data["model"] == GEMMA3.alias and importlib.util.find_spec(GEMMA3.package) is None:
        pytest.skip(f"{GEMMA3.name} is opt-in and not installed here ({GEMMA3.install}): its run key names its "
                    "package's version")
    before = path.read_bytes()
    for labelled in (False, True):
        task, cfg = command_of(path, data, labelled)
        (job,) = plan([(task, cfg, task.samples(cfg))], data["run"]["model_path"], data["run"]["device"], cfg.dtype,
                      tokenizer)
        if job.file.path == path:
            break
    assert job.file.path == path and job.status == "resume"
    assert job.groups == [] and job.file.is_complete(cfg.repetitions)  # nothing to generate
    assert path.read_bytes() == before
