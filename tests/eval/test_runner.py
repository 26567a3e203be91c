"""The one runner (tomlab.eval): several tasks in one call, the model loaded once, each task with its own defaults;
``--tasks`` / ``--limit`` on tom_eval.py; a benchmark asked through tom_eval.py is the file benchmark_eval.py makes."""

from __future__ import annotations

import json

import pytest

import tomlab.eval.runner as runner
from tomlab.errors import ToMLabError
from tomlab.eval.config import parse_benchmark_config, task_configs
from tomlab.eval.registry import TASKS, get, parse_names
from tomlab.eval.task import Task


def argv(tmp_path, model, *extra):
    return ["--model", str(model), "--tokens", "4", "--no_progress", "--dtype", "float32", "--output_dir",
            str(tmp_path), *extra]


@pytest.fixture
def loads(monkeypatch):
    """Every model load of the runner."""
    seen, load = [], runner.load_model
    monkeypatch.setattr(runner, "load_model", lambda *a, **k: seen.append(a) or load(*a, **k))
    return seen


def test_every_task_conforms_to_the_protocol():
    assert list(TASKS) == ["tom16", "tomi", "strange_stories"] and all(isinstance(t, Task) for t in TASKS.values())


def test_three_tasks_one_model_load_each_with_its_defaults(tmp_path, tiny_model_dir, loads):
    runs = task_configs(argv(tmp_path, tiny_model_dir, "--tasks", "tom16,tomi,strange_stories", "--limit", "2",
                             "--reps", "2"))
    assert [t.name for t, _ in runs] == ["tom16", "tomi", "strange_stories"]
    summary = runner.evaluate(runs)
    assert len(loads) == 1
    assert [(f["task"], f["prompting"]) for f in summary["files"]] == [
        ("tom16", "Base"), ("tomi", "tomi-open"), ("tomi", "tomi-yesno"), ("strange_stories", "strange_stories-yesno")]
    # 2 scenarios x 2 reps (sampled); ToMi: 2 open + 4 probes, Strange Stories: 2 (each 2 reps: --reps is given)
    assert summary["answers_generated"] == 4 + (2 + 4) * 2 + 2 * 2 and all(f["complete"] for f in summary["files"])
    scenarios = json.loads(open(summary["files"][0]["path"]).read())
    assert len(scenarios["scenarios"]) == 2 and scenarios["run"]["limit"] == 2
    assert scenarios["model parameter"]["temperature"] == 0.4
    tomi = json.loads(open(summary["files"][1]["path"]).read())
    assert tomi["model parameter"]["temperature"] == 0.0 and tomi["run"]["limit"] == 2
    assert summary["files"][1]["path"].startswith(str(tmp_path / "tomi"))

    again = runner.evaluate(task_configs(argv(tmp_path, tiny_model_dir, "--tasks", "tom16,tomi,strange_stories",
                                              "--limit", "2", "--reps", "2")))
    assert again["answers_generated"] == 0 and len(loads) == 1  # nothing missing: no model load
    assert [f["status"] for f in again["files"]] == ["resume"] * 4


def test_a_benchmark_through_tom_eval_is_benchmark_evals_file(tmp_path, tiny_model_dir, loads):
    (run,) = task_configs(argv(tmp_path, tiny_model_dir, "--tasks", "strange_stories", "--limit", "3"))
    first = runner.evaluate([run])
    cfg = parse_benchmark_config(argv(tmp_path, tiny_model_dir, "--benchmark", "strange_stories", "--limit", "3"))
    second = runner.evaluate([(get("strange_stories"), cfg)])
    assert second["answers_generated"] == 0 and [f["path"] for f in second["files"]] == [
        f["path"] for f in first["files"]]
    assert first["answers_generated"] == 3 and len(loads) == 1  # greedy, one answer per story: its own defaults


@pytest.mark.parametrize("names, message", [
    ("tom16,nope", "--tasks nope: unknown task; choose from tom16, tomi, strange_stories"),
    ("tomi,tomi", "a task named twice"),
    (" , ", "name at least one"),
])
def test_bad_task_names_are_one_error_line(names, message):
    with pytest.raises(ToMLabError, match=message):
        parse_names(names)


def test_one_output_file_for_several_tasks_is_refused(tmp_path, tiny_model_dir, loads):
    runs = task_configs(argv(tmp_path, tiny_model_dir, "--tasks", "tom16,tomi", "--output", str(tmp_path / "x.json")))
    with pytest.raises(ToMLabError, match="--output .*with several tasks use --output_dir"):
        runner.evaluate(runs)
    assert not loads and not list(tmp_path.rglob("*.json"))


def test_limit_below_one_is_refused_before_any_work(tmp_path, tiny_model_dir, loads):
    with pytest.raises(ToMLabError, match="--limit 0: must be at least 1"):
        runner.evaluate(task_configs(argv(tmp_path, tiny_model_dir, "--tasks", "tom16,tomi", "--limit", "0")))
    assert not loads and not list(tmp_path.rglob("*.json"))


def test_tom_eval_prints_each_tasks_scores(tmp_path, tiny_model_dir, capsys):
    from tomlab.cli import main

    assert main(argv(tmp_path, tiny_model_dir, "--tasks", "tom16,strange_stories", "--limit", "1", "--reps", "1")) == 0
    out = capsys.readouterr().out
    assert "graded accuracy (automatic grader)" in out and "strange_stories-yesno" in out and "| all | all |" in out
