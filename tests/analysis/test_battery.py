"""The evaluation battery (tomlab.analysis.battery) on the tiny random model: every test's files, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tomlab.analysis.battery import BENCHMARKS_DIR, SCENARIOS_DIR, BatterySettings, generated, run_battery
from tomlab.errors import ToMLabError
from tomlab.grading import grade_files
from tomlab.tasks.scoring import score_file


def smoke(tmp_path, model, **extra) -> BatterySettings:
    return BatterySettings(**{"model": str(model), "out": tmp_path / "answers", "label": "tiny", "reps": 2,
                              "max_new_tokens": 4, "limit": 3, "dtype": "float32", "progress": False, **extra})


def test_battery_writes_every_test_and_a_rerun_generates_nothing(tmp_path, tiny_model_dir, monkeypatch):
    import tomlab.eval.runner as runner

    loads, load_model = [], runner.load_model
    monkeypatch.setattr(runner, "load_model", lambda *a, **k: loads.append(a) or load_model(*a, **k))
    summary = run_battery(smoke(tmp_path, tiny_model_dir))
    assert len(loads) == 1  # the three tests, one model load
    assert summary["label"] == "tiny" and list(summary["tests"]) == ["16 scenarios", "tomi", "strange_stories"]
    # 3 scenarios x 4 prompting types x 2 reps; ToMi: 3 open + 6 probes; Strange Stories: 3
    assert generated(summary) == 3 * 4 * 2 + 3 + 6 + 3
    out = tmp_path / "answers"
    scenario_files = sorted((out / SCENARIOS_DIR / "tiny").glob("Results_tiny_*.json"))
    assert len(scenario_files) == 4
    graded = grade_files(scenario_files)
    assert sorted(g.prompting for g in graded) == ["Base", "CoT", "SbS", "SbS+CoT"]
    assert all(g.n == 6 and g.complete for g in graded)
    tests = sorted(score_file(p).test for p in (out / BENCHMARKS_DIR).rglob("*.json"))
    assert tests == ["strange_stories-yesno", "tomi-open", "tomi-yesno"]
    data = json.loads(next((out / BENCHMARKS_DIR / "tomi" / "tiny").glob("*_tomi-open_*.json")).read_text())
    assert data["model parameter"]["do sample"] is False and data["chat"] is False and data["run"]["limit"] == 3

    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}
    again = run_battery(smoke(tmp_path, tiny_model_dir))
    assert generated(again) == 0
    assert before == {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}


def test_battery_chat_is_another_run(tmp_path, tiny_model_dir):
    summary = run_battery(smoke(tmp_path, tiny_model_dir, chat=True, label=None))
    assert summary["label"].endswith("[chat]")
    paths = [f["path"] for files in summary["tests"].values() for f in files]
    assert all(json.loads(Path(p).read_text())["chat"] for p in paths)


@pytest.mark.parametrize("change, message", [
    ({"limit": 0}, "--limit 0: must be at least 1"),
    ({"reps": 0}, "--reps 0: must be at least 1"),
    ({"label": " "}, "--label: must not be empty"),
    ({"prompt_format": "story"}, "--prompt_format story"),
])
def test_bad_settings_are_one_line_and_write_nothing(tmp_path, change, message):
    s = BatterySettings(model="unused", out=tmp_path / "answers", progress=False, **change)
    with pytest.raises(ToMLabError, match=message):
        run_battery(s)
    assert not (tmp_path / "answers").exists()


def test_out_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ToMLabError, match="is a file, not a folder"):
        run_battery(BatterySettings(model="unused", out=tmp_path / "f", progress=False))


@pytest.mark.integration
def test_battery_and_report_on_the_embedded_model(tmp_path, embedded_model_dir):
    """One scenario, one ToMi item, one story, 4 tokens: the battery and the report run end to end."""
    from tomlab.analysis.tom_training_report import write_tom_training_report

    s = BatterySettings(model="embedded", out=tmp_path / "answers", label="smol", reps=1, max_new_tokens=4, limit=1,
                        dtype="float32", progress=False)
    assert generated(run_battery(s)) == 4 + 1 + 2 + 1
    path = write_tom_training_report([tmp_path / "answers"], tmp_path / "report", "smol", n_boot=5, n_splits=2)
    text = path.read_text()
    assert "| smol |" in text and "tomi-open" in text and "strange_stories-yesno" in text
