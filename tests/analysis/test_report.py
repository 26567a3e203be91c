"""Report generation (tables, tests, figures) and grader validation on a small fixture."""

from __future__ import annotations

import json
import math
import shlex
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tomlab.analysis.report import (
    accuracy_table_markdown,
    aggregate,
    model_key,
    prompting_tests,
    published_for,
    read_human_counts,
    write_report,
    yes_no_bias,
)
from tomlab.analysis.validation import compare, validation_summary, write_validation
from tomlab.grading import grade_files
from tomlab.grading.labels import DEFAULT_LABEL_STORE
from tomlab.scenarios import load_scenarios

SCEN = load_scenarios()
PNG = b"\x89PNG\r\n\x1a\n"


def _answer(s, correct: bool, kind: int) -> str:
    """A plausible answer to scenario s that is correct or not."""
    verdict = s.answer if correct else ("no" if s.answer == "yes" else "yes")
    if kind == 0:
        return f"\n\n{verdict.capitalize()}.<|endoftext|>"
    if kind == 1:
        return f" The answer is: {verdict.capitalize()}.<|endoftext|>"
    return "The scenario does not provide enough information to answer the question.<|endoftext|>"


def make_run(folder: Path, model: str, prompting: str, acc_by_scenario) -> Path:
    sbs, cot = {"Base": (False, False), "SbS": (True, False), "CoT": (False, True), "SbS+CoT": (True, True)}[prompting]
    scen = []
    for s, k in zip(SCEN, acc_by_scenario):
        answers = [{"repetition": r + 1, "output": _answer(s, r < k, r % 2) if r < k or r % 3 else _answer(s, False, 2),
                    "time": "00:00:00"} for r in range(5)]
        scen.append({"scenario id": s.id, "answers": answers})
    data = {"model": model, "step-by_step reasoning": sbs, "chain-of-thougth examples": cot, "model parameter": {},
            "scenarios": scen}
    path = folder / f"Results_{model}_{prompting}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    base = [5, 4, 5, 0, 3, 2, 0, 1, 4, 5, 5, 4, 5, 0, 2, 1]
    make_run(d, "LLaMa2", "Base", base)
    make_run(d, "LLaMa2", "SbS", [max(0, x - 2) for x in base])
    make_run(d, "LLaMa2", "CoT", [min(5, x + 1) for x in base])
    make_run(d, "Tiny", "Base", [3] * 16)
    return d


@pytest.fixture(scope="module")
def graded(runs, tmp_path_factory):
    return grade_files([runs], labels_path=tmp_path_factory.mktemp("l") / "none.json")


def test_accuracy_table(graded):
    cells = aggregate(graded)
    assert [(c.model, c.prompting) for c in cells] == [("LLaMa2", "Base"), ("LLaMa2", "SbS"), ("LLaMa2", "CoT"),
                                                      ("Tiny", "Base")]
    llama = cells[0]
    assert llama.n == 80 and llama.correct == sum([5, 4, 5, 0, 3, 2, 0, 1, 4, 5, 5, 4, 5, 0, 2, 1])
    md = accuracy_table_markdown(graded)
    assert md.splitlines()[0] == "| Model | Base | SbS | CoT |"
    assert f"({llama.correct}/80)" in md and "| Tiny |" in md
    assert "published 0.34" in accuracy_table_markdown(graded, published=True)
    assert published_for("GPT4All-J_v1.3")["SbS"] == 0.31 and published_for("nobody") is None


def test_tests_and_bias(graded):
    cells = aggregate(graded)
    rows = prompting_tests(cells)
    assert [r["comparison"] for r in rows] == ["Base vs SbS", "Base vs CoT"]
    assert rows[0]["test"].diff < 0 < rows[1]["test"].diff and rows[0]["n_scenarios"] == 16
    bias = {(r["model"], r["prompting"]): r for r in yes_no_bias(cells)}
    r = bias[("Tiny", "Base")]
    assert r["acc_yes"] == r["acc_no"] == pytest.approx(0.6) and math.isnan(r["test"].t)
    assert 0 <= bias[("LLaMa2", "Base")]["yes_rate"] <= 1


def test_write_report(graded, tmp_path):
    human = {(model_key("LLaMa2"), "Base"): {s: 1 for s in range(1, 17)}}
    path = write_report(graded, tmp_path / "report", command="python ToM_Experiment/make_report.py runs --out report",
                        human_counts=human)
    text = path.read_text()
    for needle in ("make_report.py runs --out report", "## 1. Accuracy", "## 2. Correct answers per scenario",
                   "Base vs SbS", "## 4. Yes/no bias", "## 5. Answer behaviour", "question evasion",
                   "Base (human)", "![Accuracy per model and prompting type](accuracy.png)",
                   "Chance level 0.50: a model that always answers 'yes' scores 0.50",
                   "8 yes- and 8 no-scenarios"):
        assert needle in text
    # how many answers committed to any conclusion, per prompting type
    llama = aggregate(graded)[0]
    v = llama.verdicts()
    assert llama.committed == v["yes"] + v["no"] and v["none"] > 0
    assert (f"| LLaMa2 | Base | {llama.committed} ({100 * llama.committed / llama.n:.0f}%) | {v['yes']} | {v['no']} | "
            f"{v['none']} | 80 |") in text
    for png in ("accuracy.png", "scenario_heatmap.png", "behaviours.png", "yes_no_bias.png"):
        data = (tmp_path / "report" / png).read_bytes()
        assert data.startswith(PNG) and len(data) > 5000


def test_make_report_cli(runs, tmp_path):
    import importlib.util

    root = ROOT
    spec = importlib.util.spec_from_file_location("make_report", root / "ToM_Experiment" / "make_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main([str(runs), "--out", str(tmp_path / "r"), "--labels", str(tmp_path / "none.json")]) == 0
    assert (tmp_path / "r" / "REPORT.md").is_file()


def test_committed_report_is_reproduced(tmp_path, monkeypatch):
    """report/smollm2-135m/REPORT.md is what its command writes from the committed answer files, byte for byte."""
    root = ROOT
    committed = root / "report" / "smollm2-135m" / "REPORT.md"
    command = committed.read_text().split("```\n")[1].strip()
    args = shlex.split(command)[2:]  # after "python ToM_Experiment/make_report.py"
    monkeypatch.chdir(root)  # the report names its inputs as the command gave them
    graded = grade_files(args[:args.index("--out")], labels_path=DEFAULT_LABEL_STORE)
    assert write_report(graded, tmp_path, command=command).read_bytes() == committed.read_bytes()


def test_validation(graded, tmp_path):
    csv_path = tmp_path / "human.csv"
    cells = aggregate(graded)
    auto = {c.prompting: c.per_scenario() for c in cells if c.model == "LLaMa2"}
    lines = ["model,prompting," + ",".join(f"s{i}" for i in range(1, 17)) + ",total"]
    for p, counts in auto.items():
        vals = [counts[i] + (1 if i == 1 and p == "Base" else 0) for i in range(1, 17)]
        lines.append(f"LLaMa2,{p}," + ",".join(map(str, vals)) + f",{sum(vals)}")
    csv_path.write_text("\n".join(lines) + "\n")
    human = read_human_counts(csv_path)
    fid = compare(graded, human, holdout=["LLaMa2"])
    assert len(fid) == 3 and all(c.group == "held-out" for c in fid)
    summary = validation_summary(fid, seconds=0.1)
    assert summary["held_out"]["mean_abs_accuracy_difference"] == pytest.approx(round((1 / 80) / 3, 4))
    assert summary["held_out"]["pooled_pearson_r"] > 0.95 and summary["held_out"]["meets_goal"]
    paths = write_validation(summary, fid, tmp_path / "v")
    assert all(p.exists() for p in paths) and paths[2].read_bytes().startswith(PNG)
