"""Project label sets: loading with provenance, overriding only where asked, and the grader's agreement with them
per split (validate_grader.py --labels), on a small synthetic label set."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tomlab.analysis.agreement import label_agreement
from tomlab.analysis.report import write_report
from tomlab.errors import ToMLabError
from tomlab.grading import answer_id, grade_files
from tomlab.grading.labels import load_label_store

# Two files of four answers each; the grader reads them as: correct, incorrect, inconclusive, correct.
OUTPUTS = ["No, she does not assume her tulips have bloomed.", "Yes, she assumes her tulips have bloomed.",
           "Pam was at work all day.", "No, Pam doesn't assume that her tulips have bloomed."]
GRADER = ["correct", "incorrect", "inconclusive", "correct"]


def _answer_file(path: Path, model: str) -> Path:
    data = {"model": model, "step-by_step reasoning": False, "chain-of-thougth examples": False,
            "scenarios": [{"scenario id": 1, "answers": [{"repetition": r + 1, "output": o, "time": "0"}
                                                         for r, o in enumerate(OUTPUTS)]}]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture()
def project(tmp_path):
    files = [_answer_file(tmp_path / "runs" / f"Results_{m}_Base.json", m) for m in ("Tiny", "Tiny-chat")]
    # labels: tune = file 1 (agrees on all four), test = file 2 (disagrees on the inconclusive one: "correct")
    labels = []
    for f, split, labs in ((files[0], "tune", GRADER), (files[1], "test", ["correct", "incorrect", "correct",
                                                                             "correct"])):
        for r, (o, lab) in enumerate(zip(OUTPUTS, labs)):
            labels.append({"file": f.name, "path": f"runs/{f.name}", "scenario": 1, "repetition": r + 1,
                           "answer_id": answer_id(o), "split": split, "label": lab,
                           "behaviour": "clear answer" if lab == "correct" else "", "note": "", "reader": "a"})
    labels.append({"file": "Results_Other_Base.json", "scenario": 1, "repetition": 1, "answer_id": "x" * 12,
                   "split": "test", "label": "correct"})  # its file is not given: unmatched
    store = tmp_path / "project_labels_tiny.json"
    store.write_text(json.dumps({"description": "Project label set (synthetic): NOT the original study's labels.",
                                 "provenance": {"readers": "two test readers", "made": "today"},
                                 "labels": labels}), encoding="utf-8")
    return files, store


def test_store_keeps_its_provenance(project):
    _, store = project
    s = load_label_store(store)
    assert s.description.startswith("Project label set") and s.provenance == {"readers": "two test readers",
                                                                               "made": "today"}
    assert len(s.labels) == 9 and str(store).endswith(s.source)


def test_overrides_name_their_store(project, tmp_path):
    files, store = project
    plain = grade_files(files, labels_path=tmp_path / "none.json")
    assert not any(a.label_source for g in plain for a in g.answers)
    graded = grade_files(files, labels_path=store)
    overridden = [a for a in graded[1].answers if a.label != a.auto_label]
    assert len(overridden) == 1 and overridden[0].label_source == load_label_store(store).source
    assert graded[1].summary()["label_sources"] == [load_label_store(store).source]
    report = write_report(graded, tmp_path / "rep").read_text()
    assert f"answers carry a label from `{load_label_store(store).source}`" in report


def test_agreement_per_split(project, tmp_path):
    files, store = project
    graded = grade_files(files, labels_path=store)  # even when applied, the grader's own labels are compared
    a = label_agreement(graded, load_label_store(store))
    assert (a["matched"], a["unmatched"]) == (8, 1)
    tune, test = a["splits"]["tune"], a["splits"]["test"]
    assert (tune["agreement"], tune["kappa"], tune["correct_vs_not_kappa"]) == (1.0, 1.0, 1.0)
    assert tune["mean_abs_file_difference"] == 0 and tune["meets_goal"]
    # test: 3 of 4 agree; correct-vs-not: grader [1,0,0,1] vs labels [1,0,1,1]: p_o 0.75, p_e 0.5*0.75+0.5*0.25
    assert test["agreement"] == test["correct_vs_not_agreement"] == 0.75
    assert test["correct_vs_not_kappa"] == pytest.approx(0.5)
    assert test["files"] == [{"file": files[1].name, "answers": 4, "grader_accuracy": 0.5, "label_accuracy": 0.75,
                              "difference": -0.25}]
    assert test["mean_abs_file_difference"] == 0.25 and not test["meets_goal"]
    assert test["confusion"]["correct"]["inconclusive"] == 1
    assert a["all"]["answers"] == 8 and not math.isnan(a["all"]["kappa"])


def _script():
    spec = importlib.util.spec_from_file_location("validate_grader", ROOT / "ToM_Experiment" / "validate_grader.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_validate_grader_labels_cli(project, tmp_path, capsys):
    files, store = project
    mod = _script()
    out = tmp_path / "val"
    assert mod.main([str(files[0].parent), "--labels", str(store), "--out", str(out)]) == 0
    summary = json.loads((out / "validation.json").read_text())
    assert summary["label_set"]["splits"]["test"]["correct_vs_not_kappa"] == pytest.approx(0.5)
    assert summary["label_set"]["provenance"]["readers"] == "two test readers"
    md = (out / "validation.md").read_text()
    assert "| tune | 4 | 1.000 |" in md and "| test | 4 | 0.750 |" in md and "two test readers" in md
    assert not (out / "validation.png").exists()  # no human counts, nothing to plot
    for argv, message in (([str(files[0])], "nothing to compare"),
                          ([str(files[0]), "--labels", str(tmp_path / "nope.json")], "no labels")):
        with pytest.raises(SystemExit) as e:
            mod.main(argv)
        assert e.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("edit,message", [
    ({"split": "dev"}, "split 'dev' is not one of"),
    ({"label": "maybe"}, "label 'maybe' is not one of"),
    ({"behaviour": "dancing"}, "behaviour 'dancing'"),
    ({"scenario": "1"}, "not integers"),
])
def test_bad_label_records(project, edit, message):
    _, store = project
    data = json.loads(store.read_text())
    data["labels"][3].update(edit)
    store.write_text(json.dumps(data))
    with pytest.raises(ToMLabError, match=f"label #4.*{message}"):
        load_label_store(store)
