"""The correlation study: statistics on known data, the models list file, and the one command on the tiny model."""

import dataclasses
import json
import math

import numpy as np
import pytest

from tomlab.analysis import correlation as corr
from tomlab.analysis import correlation_study as study
from tomlab.errors import ToMLabError


def synthetic(name, ability, n_items, noise, rng):
    """Models of the given abilities answering items of random difficulty (a logistic model)."""
    difficulty = rng.normal(0, 1, n_items)
    p = 1 / (1 + np.exp(-(np.asarray(ability)[:, None] - difficulty[None, :])))
    scores = np.clip(p + rng.normal(0, noise, p.shape), 0, 1)
    return corr.TestScores(name, [f"m{i}" for i in range(len(ability))], list(range(n_items)), scores,
                           np.full(len(ability), 20 * n_items))


def test_same_construct_correlates_and_is_reliable():
    rng = np.random.default_rng(0)
    ability = np.linspace(-2, 2, 12)
    tests = {corr.ANCHOR: synthetic(corr.ANCHOR, ability, 16, 0.05, rng),
             "bench": synthetic("bench", ability, 200, 0.05, rng)}
    (row,) = corr.analyse(tests, n_boot=300, n_splits=100)["rows"]
    assert row["n_models"] == 12 and row["pearson"]["r"] > 0.95 and row["spearman"]["r"] > 0.95
    assert row["pearson"]["low"] <= row["pearson"]["r"] <= row["pearson"]["high"]
    assert row["reliability_anchor"] > 0.9 and row["reliability_test"] > 0.95
    assert 0.95 < row["corrected"] < 1.1


def test_unrelated_tests_give_an_interval_around_zero():
    rng = np.random.default_rng(1)
    tests = {corr.ANCHOR: synthetic(corr.ANCHOR, rng.normal(0, 1, 30), 16, 0.05, rng),
             "bench": synthetic("bench", rng.normal(0, 1, 30), 200, 0.05, rng)}
    (row,) = corr.analyse(tests, n_boot=300, n_splits=50)["rows"]
    assert row["pearson"]["low"] < 0 < row["pearson"]["high"] or abs(row["pearson"]["r"]) < row["critical_r"]


def test_two_models_give_no_correlation_and_say_so():
    rng = np.random.default_rng(2)
    tests = {corr.ANCHOR: synthetic(corr.ANCHOR, [0.0, 1.0], 16, 0.0, rng),
             "bench": synthetic("bench", [0.0, 1.0], 50, 0.0, rng)}
    result = corr.analyse(tests, n_boot=50, n_splits=10)
    (row,) = result["rows"]
    assert math.isnan(row["pearson"]["r"]) and math.isnan(row["reliability_test"]) and math.isnan(row["corrected"])
    assert "No correlation can be estimated from 2 model(s)" in corr.verdict(result)
    (pair,) = result["pairs"]  # what two models can show: the same order on both tests, m1 above m0
    assert pair["same_order"] and all(v["low"] <= v["diff"] <= v["high"] and v["diff"] > 0
                                      for v in pair["tests"].values())


def test_small_numbers():
    assert corr.critical_r(5) == pytest.approx(0.878, abs=1e-3)
    assert corr.critical_r(20) == pytest.approx(0.444, abs=1e-3)
    assert corr.disattenuated(0.4, 0.5, 0.8) == pytest.approx(0.4 / math.sqrt(0.4))
    assert math.isnan(corr.disattenuated(0.4, -0.1, 0.8))


def test_models_file_lines_and_errors(tmp_path):
    good = tmp_path / "models.txt"
    good.write_text("# comment\nembedded\n\n--model embedded --chat  # its template\nsome/hub-id --model_label X\n")
    lines = study.read_models(good)
    assert [line for line, _ in lines] == ["embedded", "--model embedded --chat", "some/hub-id --model_label X"]
    assert lines[1][1]["chat"] and lines[2][1]["model"] == "some/hub-id" and lines[2][1]["model_label"] == "X"
    bad = tmp_path / "bad.txt"
    bad.write_text("embedded\nembedded --reps 3\n")
    with pytest.raises(ToMLabError, match=r"bad.txt:2: unrecognized arguments: --reps 3"):
        study.read_models(bad)


def test_one_command_on_the_tiny_model(tmp_path, tiny_model_dir, monkeypatch):
    """The whole study on three tiny-model 'models' (fewer answers than the real protocol, to stay quick)."""
    import tomlab.eval.runner as runner

    evaluate, load_model, calls, loads = study.evaluate, runner.load_model, [], []
    fewer = {"tom16": {"repetitions": 2}, "tomi": {"limit": 8}, "strange_stories": {"limit": 8}}
    monkeypatch.setattr(study, "evaluate", lambda runs: calls.append([t.name for t, _ in runs]) or evaluate(
        [(t, dataclasses.replace(cfg, max_new_tokens=4, **fewer[t.name])) for t, cfg in runs]))
    monkeypatch.setattr(runner, "load_model", lambda *a, **k: loads.append(a) or load_model(*a, **k))
    models = tmp_path / "models.txt"
    models.write_text(f"{tiny_model_dir} --dtype float32 --model_label A\n"
                      f"--model {tiny_model_dir} --dtype float32 --chat --model_label B\n"
                      f"{tiny_model_dir} --dtype float32 --prompt_format context --model_label C\n")
    argv = ["--models", str(models), "--out", str(tmp_path / "report"), "--answers_dir", str(tmp_path / "a"),
            "--benchmarks_dir", str(tmp_path / "b"), "--no_progress", "--n_boot", "50", "--n_splits", "10"]
    assert study.main(argv) == 0
    report = (tmp_path / "report" / "REPORT.md").read_text()
    assert "| A |" in report and "| C |" in report and "tomi-yesno" in report and "strange_stories-yesno" in report
    assert (tmp_path / "report" / "scatter.png").stat().st_size > 1000
    data = json.loads((tmp_path / "report" / "correlation.json").read_text())
    assert [m["label"] for m in data["models"]] == ["A", "B", "C"]
    assert {r["test"] for r in data["rows"]} == {"tomi-open", "tomi-yesno", "strange_stories-yesno"}
    assert all(r["n_models"] == 3 for r in data["rows"])
    assert calls == [["tom16", "tomi", "strange_stories"]] * 3 and len(loads) == 3  # each model: one call, one load
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "b").rglob("*.json")}
    assert study.main(argv) == 0  # a second time: everything is found complete, nothing regenerated
    assert before == {p: p.stat().st_mtime_ns for p in (tmp_path / "b").rglob("*.json")} and len(loads) == 3


def test_same_label_twice_is_refused(tmp_path, tiny_model_dir, monkeypatch):
    monkeypatch.setattr(study, "evaluate", lambda runs: pytest.fail("asked a model before refusing the list"))
    models = tmp_path / "models.txt"
    models.write_text(f"{tiny_model_dir} --dtype float32\n{tiny_model_dir} --dtype float32 --batch_size 7\n")
    with pytest.raises(SystemExit) as exc:
        study.main(["--models", str(models), "--answers_dir", str(tmp_path / "a"), "--no_progress",
                    "--out", str(tmp_path / "r")])
    assert exc.value.code == 2 and not (tmp_path / "r").exists()
