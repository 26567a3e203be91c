"""The ToM study (scripts/tom_study.py, tomlab/finetune/study.py): the routes' training and merges stubbed (a merge
copies the tiny random model), the battery run for real in-process on those copies (smoke settings), the report
written from them and from the committed preference-study answers; chain.json's times; resume (nothing is run again,
a re-merged model is asked again); the plan's battery settings, labels and estimate; Gemma only when installed; bad
input in one line with nothing written."""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tomlab.finetune import study
from tomlab.finetune.study import STUDY_TOMI_LIMIT, StudySettings, plan_study


def script_main(rel):
    return runpy.run_path(str(ROOT / rel), run_name="script_under_test")["main"]


def _name(cmd):
    """The console script a step's command runs: ``python -m tomlab.commands.battery ...`` -> ``tom-battery``."""
    assert cmd[1] == "-m" and cmd[2].startswith("tomlab.commands."), cmd
    return "tom-" + cmd[2].rsplit(".", 1)[1].replace("_", "-")


def _fake_call(calls, tiny_model_dir):
    """Training writes an adapter and metrics, a merge copies the tiny model, the battery runs for real."""

    def call(cmd, cwd=None, env=None):
        calls.append(cmd)
        name = _name(cmd)
        if name == "tom-merge":
            out = Path(cmd[cmd.index("--output_name") + 1])
            shutil.copytree(tiny_model_dir, out)
            (out / "MERGED.json").write_text("{}")
        elif name == "tom-battery":
            return script_main("scripts/tom_battery.py")([*cmd[3:], "--no_progress"])
        else:
            out = Path(cmd[cmd.index("--output_dir") + 1])
            (out / "final_checkpoint").mkdir(parents=True, exist_ok=True)
            (out / "final_checkpoint" / "adapter_config.json").write_text("{}")
            (out / "metrics.json").write_text(json.dumps({"stage": "sft", "metrics": {
                "heldout_gold_accuracy_open_before": 0.25, "heldout_gold_accuracy_open_after": 0.5,
                "heldout_prompts": 8}}))
        return 0

    return call


def _study_argv(out, tiny_model_dir, *extra):
    return ["--out", str(out), "--smoke", "--model_name", str(tiny_model_dir), *extra]


@pytest.fixture()
def quick_report(monkeypatch):
    """Few bootstrap resamples in the report: the wiring is under test, not the statistics."""
    real = study.StudySettings.__init__

    def init(self, *args, **kwargs):
        real(self, *args, **kwargs)
        self.n_boot, self.n_splits = 5, 2

    monkeypatch.setattr(study.StudySettings, "__init__", init)


@pytest.fixture()
def preference_answers(tmp_path, tiny_model_dir) -> Path:
    """Stand-ins for the preference study's answers (results/answers), on the smoke battery's items."""
    from tomlab.analysis.battery import BatterySettings, run_battery

    folder = tmp_path / "preference"
    for label in (study.PREFERENCE_REFERENCE, "SmolLM2-135M-Instruct-PPO [context]"):
        run_battery(BatterySettings(model=str(tiny_model_dir), out=folder, label=label, prompt_format="context",
                                    reps=1, max_new_tokens=4, limit=2, progress=False))
    # the real folder also holds raw-prompt runs, one of them under the label the study's own base battery takes
    run_battery(BatterySettings(model=str(tiny_model_dir), out=folder, label=tiny_model_dir.name, reps=1,
                                max_new_tokens=3, limit=2, progress=False))
    return folder


def test_study_trains_asks_reports_and_resumes(tmp_path, tiny_model_dir, monkeypatch, capsys, quick_report,
                                               preference_answers):
    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls, tiny_model_dir))
    out = tmp_path / "study"
    main = script_main("scripts/tom_study.py")
    argv = _study_argv(out, tiny_model_dir, "--preference_answers", str(preference_answers))
    main(argv)
    label = tiny_model_dir.name
    names = [_name(cmd) for cmd in calls]
    assert names == ["tom-sft", "tom-merge", "tom-dpo", "tom-merge", "tom-grpo", "tom-merge", *["tom-battery"] * 4]
    batteries = [cmd for cmd in calls if _name(cmd) == "tom-battery"]
    assert [cmd[cmd.index("--label") + 1] for cmd in batteries] == [
        label, f"{label}-ToM-SFT", f"{label}-ToM-DPO", f"{label}-ToM-GRPO"]
    assert batteries[1][batteries[1].index("--model") + 1] == str(out / "models" / f"{label}-ToM-SFT")
    assert all("--chat" not in cmd and "--prompt_format" not in cmd for cmd in batteries), "raw prompts"
    assert "--limit 2" in " ".join(batteries[0]) and "--reps 1" in " ".join(batteries[0])

    printed = capsys.readouterr().out
    assert "estimate for the 2-core CPU alone" in printed and "[7/10] battery " in printed
    assert "ToM study finished" in printed and "CPUs" in printed
    state = json.loads((out / "chain.json").read_text())
    assert state["settings"]["chain"] == "tom-study" and state["settings"]["battery"]["limit"] == 2
    assert state["machine"]["cpu_count"] == os.cpu_count()
    assert len(state["steps"]) == 11 and all("wall_s" in e and "cpu_s" in e for e in state["steps"].values())
    report = (out / "report" / "REPORT.md").read_text()
    for suffix in ("ToM-SFT", "ToM-DPO", "ToM-GRPO"):
        assert f"{label}-{suffix} vs {label}" in report
    assert "SmolLM2-135M-Instruct-PPO [context] vs SmolLM2-135M-Instruct [context]" in report
    assert "preference" not in report.split(f"- {label}, ")[1].split("\n")[0], "the study's own base answers"
    assert "This is a smoke study" in report and "### ToM-SFT" in report
    assert "| **total** |" in (out / "summary.md").read_text()

    calls.clear()
    main(argv)
    assert calls == []
    printed = capsys.readouterr().out
    assert "battery " in printed and "done earlier, skipped" in printed and "nothing new since" in printed

    # a route model merged anew (here: its MERGED.json newer than its answers) has its battery asked again
    stamp = out / "models" / f"{label}-ToM-DPO" / "MERGED.json"
    later = max(p.stat().st_mtime for p in (out / "answers").rglob("*.json")) + 60
    os.utime(stamp, (later, later))
    main(argv)
    assert len(calls) == 1 and calls[0][calls[0].index("--label") + 1] == f"{label}-ToM-DPO"
    assert "--overwrite" in calls[0]
    assert "[report]" in capsys.readouterr().out


def test_plan_full_battery_labels_and_estimate(tmp_path):
    s = StudySettings(out=tmp_path / "s")
    steps = plan_study(s)
    battery = [st for st in steps if st.name.startswith("battery")]
    assert [st.name for st in battery] == ["battery SmolLM2-135M-Instruct", "battery SmolLM2-135M-Instruct-ToM-SFT",
                                           "battery SmolLM2-135M-Instruct-ToM-DPO",
                                           "battery SmolLM2-135M-Instruct-ToM-GRPO"]
    joined = " ".join(battery[0].cmd)
    assert f"--reps 20 --tokens 128 --tomi_limit {STUDY_TOMI_LIMIT}" in joined and "--limit" not in joined.split()
    assert all(st.estimate_s > 0 for st in steps)
    total = sum(st.estimate_s for st in steps) + study.REPORT_S
    assert total <= study.BUDGET_S, "the default study fits the issue's budget by its own estimate"
    full = plan_study(StudySettings(out=tmp_path / "s", tomi_limit=None))
    assert sum(st.estimate_s for st in full) + study.REPORT_S > study.BUDGET_S, "why the ToMi items are cut"
    assert STUDY_TOMI_LIMIT % 8 == 0, "every kind x belief cell keeps the same number of items"


def test_gemma_only_when_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(study, "gemma_available", lambda: False)
    s = StudySettings(out=tmp_path / "s", with_gemma=True)
    steps = plan_study(s)
    assert not any("gemma" in st.name for st in steps)
    assert any("Gemma 3 270M: not installed, its battery is skipped" in line for line in study.estimate_lines(s, steps))
    monkeypatch.setattr(study, "gemma_available", lambda: True)
    gemma = plan_study(s)[-1]
    assert gemma.name == "battery gemma-3-270m" and "--model gemma3-270m" in " ".join(gemma.cmd)


def _fails(argv, capsys, match):
    with pytest.raises(SystemExit) as exc:
        script_main("scripts/tom_study.py")(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and match in err[0], err


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(subprocess, "call", lambda *a, **k: pytest.fail("nothing may run"))
    out = tmp_path / "study"
    _fails(["--out", str(out), "--routes", "sft,ppo"], capsys, "--routes sft,ppo: no such route ppo")
    _fails(["--out", str(out), "--dataset", str(tmp_path / "none")], capsys, "no train.jsonl or validation.jsonl")
    _fails(["--out", str(out), "--tomi_limit", "-1"], capsys, "--tomi_limit -1")
    assert not out.exists()
    (tmp_path / "file").write_text("x")
    _fails(["--out", str(tmp_path / "file")], capsys, "is a file, not a folder")
    assert (tmp_path / "file").read_text() == "x"
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    _fails(["--out", str(tmp_path / "mine")], capsys, "holds no chain.json")
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
