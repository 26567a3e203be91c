"""Reading answer files (original schema and this project's), the grade_answers command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tomlab.errors import ToMLabError
from tomlab.grading import collect_answer_files, grade_answer_file, grade_files, scenario_items

ORIGINAL = ROOT.parent / "shared" / "reference" / "original_answers"

PAM_YES = "\n\nYes, when Pam is driving home after work, she assumes her tulips have bloomed.<|endoftext|>"
PAM_NO = "r:  No, Pam does not assume her tulips have bloomed.\n\nScenario: Bob has a cat. Question: Is the cat black?"
SUSIE_YES = " Yes, Susie sees the minivan in the driveway.<|endoftext|>"
SUSIE_EVADE = "\nThe scenario does not provide enough information to answer the question.<|endoftext|>"


def original_file(path: Path, sbs=False, cot=False) -> Path:
    """An answer file in the original schema: no question/gold, debris, rambling, repetitions from 1."""
    data = {"model": "nomic-ai/gpt4all-j v1.3-groovy", "step-by_step reasoning": sbs, "chain-of-thougth examples": cot,
            "model parameter": {"max_new_tokens": 128, "top k": 50, "top p": 0.95, "do sample": True,
                                "temperature": 0.4},
            "scenarios": [
                {"scenario id": 1, "answers": [{"repetition": 1, "output": PAM_YES, "time": "13:20:13"},
                                               {"repetition": 2, "output": PAM_NO, "time": "13:20:20"}]},
                {"scenario id": 2, "answers": [{"repetition": 1, "output": SUSIE_YES, "time": "13:21:38"},
                                               {"repetition": 2, "output": SUSIE_EVADE, "time": "13:21:40"}]},
            ]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def new_file(path: Path, complete=False) -> Path:
    """This project's schema: question/gold/context in the file, a scenario id no scenario file knows."""
    data = {"model": "/models/tiny", "step-by_step reasoning": True, "chain-of-thougth examples": False,
            "model parameter": {}, "prompting": "SbS", "prompt_format": "scenario", "complete": complete,
            "run": {"model_name": "Tiny", "seed": 0},
            "scenarios": [{"scenario id": 101,
                           "context": "Tom put the cake in the oven and left. Lea moved it to the table.",
                           "question": "Does Tom think the cake is in the oven?", "gold answer": "yes", "prompt": "...",
                           "answers": [
                               {"repetition": 1, "output": "Tom thinks the cake is in the oven.", "time": "00:00:01",
                                "finish_reason": "eos", "new_tokens": 9},
                               {"repetition": 2, "output": "Tom thinks the cake is on the table.", "time": "00:00:02",
                                "finish_reason": "eos", "new_tokens": 9},
                               {"repetition": 3, "output": "1. Tom put the cake", "time": "00:00:03",
                                "finish_reason": "length", "new_tokens": 128}]}]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_original_schema(tmp_path):
    p = original_file(tmp_path / "Results_GPT4All-J_v1.3_Base.json")
    g = grade_answer_file(p, scenario_items())
    assert (g.model, g.prompting, g.n, g.complete) == ("GPT4All-J_v1.3", "Base", 4, True)
    by = {(a.scenario, a.repetition): a for a in g.answers}
    assert by[(1, 1)].label == "incorrect" and by[(1, 2)].label == "correct"
    assert "debris" in by[(1, 2)].flags and "rambling" in by[(1, 2)].flags
    assert by[(2, 1)].label == "correct" and by[(2, 2)].behaviour == "question evasion"
    assert g.per_scenario_correct() == {1: 1, 2: 1}
    s = g.summary()
    assert s["accuracy"] == 0.5 and s["per_scenario_correct"] == {"1": 1, "2": 1}
    assert s["labels"] == {"correct": 2, "incorrect": 1, "inconclusive": 1}


def test_new_schema_and_unknown_scenario(tmp_path):
    g = grade_answer_file(new_file(tmp_path / "Results_tiny_SbS_abc.json"), scenario_items())
    assert (g.model, g.prompting, g.complete) == ("Tiny", "SbS", False)
    assert [a.label for a in g.answers] == ["correct", "incorrect", "inconclusive"]
    assert "truncated" in g.answers[2].flags and "truncated" not in g.answers[0].flags
    assert g.warnings


def test_model_name_and_prompting_fallbacks(tmp_path):
    p = original_file(tmp_path / "answers.json", sbs=True, cot=True)
    g = grade_answer_file(p, scenario_items())
    assert (g.model, g.prompting) == ("gpt4all-j", "SbS+CoT")


def test_bad_inputs(tmp_path):
    with pytest.raises(ToMLabError, match="no such file"):
        collect_answer_files([tmp_path / "missing.json"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ToMLabError, match="no answer files"):
        collect_answer_files([tmp_path / "empty"])
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ToMLabError, match="not valid JSON"):
        grade_answer_file(bad)
    data = json.loads(new_file(tmp_path / "x.json").read_text())
    del data["scenarios"][0]["gold answer"]
    (tmp_path / "x.json").write_text(json.dumps(data))
    with pytest.raises(ToMLabError, match="scenario 101 has no question/gold"):
        grade_answer_file(tmp_path / "x.json", scenario_items())


def test_folders_are_searched_and_graded_files_skipped(tmp_path):
    original_file(tmp_path / "a" / "Results_M_Base.json")
    new_file(tmp_path / "a" / "Results_tiny_SbS_k.json")
    (tmp_path / "a" / "notes.json").write_text('{"graded": true, "answers": []}')
    files = collect_answer_files([tmp_path])
    assert sorted(f.name for f in files) == ["Results_M_Base.json", "Results_tiny_SbS_k.json"]


def test_grade_answers_cli(tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("grade_answers", ROOT / "ToM_Experiment" / "grade_answers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    src = original_file(tmp_path / "in" / "Results_GPT4All-J_v1.3_CoT.json", cot=True)
    before = src.read_bytes()
    out = tmp_path / "graded"
    assert mod.main([str(tmp_path / "in"), "--json", "--out", str(out), "--labels", str(tmp_path / "store.json")]) == 0
    cap = capsys.readouterr()
    data = json.loads(cap.out)
    f = data["files"][0]
    assert (f["model"], f["prompting"], f["accuracy"]) == ("GPT4All-J_v1.3", "CoT", 0.5)
    assert f["per_scenario_correct"] == {"1": 1, "2": 1}
    assert sum(f["behaviours"].values()) == 4 and "seconds" in data
    assert "graded 4 answers" in cap.err
    assert src.read_bytes() == before  # inputs are never modified
    rec = json.loads((out / "Results_GPT4All-J_v1.3_CoT.graded.json").read_text())
    assert rec["graded"] and len(rec["answers"]) == 4
    # human-readable mode ends with the accuracy table and the timing
    assert mod.main([str(src), "--no-write", "--labels", str(tmp_path / "store.json")]) == 0
    cap = capsys.readouterr().out
    assert "| GPT4All-J v1.3 |" in cap and "graded 4 answers in 1 files" in cap
    with pytest.raises(SystemExit) as e:
        mod.main([str(tmp_path / "nope")])
    assert e.value.code == 2


@pytest.mark.skipif(not ORIGINAL.is_dir(), reason="reference answers not available")
def test_original_files_grade_fast():
    import time

    t0 = time.perf_counter()
    graded = grade_files([ORIGINAL / "Results_LLaMa2_Base.json"], labels_path=ORIGINAL / "no-store.json")
    assert time.perf_counter() - t0 < 5
    assert graded[0].n == 320 and graded[0].model == "LLaMa2"


def test_runner_prints_the_graded_table_with_the_chance_level(tmp_path):
    from tomlab.cli import graded_table

    src = tmp_path / "Results_Tiny_Base.json"
    src.write_text(json.dumps({"model": "Tiny", "step-by_step reasoning": False, "chain-of-thougth examples": False,
                               "scenarios": [{"scenario id": 1, "answers": [{"repetition": 1, "output": "No."}]},
                                             {"scenario id": 2, "answers": [{"repetition": 1, "output": "No."}]}]}))
    table = graded_table([str(src)])
    assert "| Tiny | 0.500" in table and "Chance level 0.50" in table and "1 yes- and 1 no-scenarios" in table
