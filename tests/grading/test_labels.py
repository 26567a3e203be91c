"""Human labels: CSV export, import back, override in every table, survive regrading."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import ROOT
from tomlab.analysis.report import accuracy_table_markdown
from tomlab.errors import ToMLabError
from tomlab.grading import grade_files
from tomlab.grading.labels import CSV_COLUMNS, export_labels_csv, import_labels, load_label_store, write_labels_csv

ANSWERS = {
    "model": "m", "step-by_step reasoning": False, "chain-of-thougth examples": False,
    "scenarios": [
        {"scenario id": 1, "answers": [
            {"repetition": 1, "output": "Yes, Pam assumes her tulips have bloomed.", "time": "0"},
            {"repetition": 2, "output": "Pam might think about her tulips.", "time": "0"}]},
        {"scenario id": 2, "answers": [
            {"repetition": 1, "output": "Yes, Susie sees the minivan in the driveway.", "time": "0"}]},
    ],
}


@pytest.fixture()
def setup(tmp_path):
    src = tmp_path / "runs" / "Results_Tiny_Base.json"
    src.parent.mkdir()
    src.write_text(json.dumps(ANSWERS), encoding="utf-8")
    return src, tmp_path / "labels.json"


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_round_trip(setup, tmp_path):
    src, store = setup
    graded = grade_files([src], labels_path=store)
    assert [a.label for a in graded[0].answers] == ["incorrect", "inconclusive", "correct"]
    csv_path = tmp_path / "labels.csv"
    write_labels_csv(csv_path, graded)
    rows = _rows(csv_path.read_text())
    assert list(rows[0]) == CSV_COLUMNS and len(rows) == 3
    assert rows[0]["question"].startswith("When Pam") and rows[0]["auto_label"] == "incorrect"
    assert rows[0]["human_label"] == rows[0]["human_behaviour"] == ""
    # a human disagrees on two answers
    rows[0]["human_label"], rows[0]["human_note"] = "correct", "reads the reasoning as correct"
    rows[1]["human_label"], rows[1]["human_behaviour"] = "incorrect", "hedging"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    before = csv_path.read_bytes()
    assert import_labels(csv_path, store) == (2, 2)
    assert csv_path.read_bytes() == before  # the CSV is only read

    regraded = grade_files([src], labels_path=store)  # regrading keeps the human labels
    a = regraded[0].answers
    assert [x.label for x in a] == ["correct", "incorrect", "correct"]
    assert a[0].label_source and a[0].auto_label == "incorrect" and a[0].behaviour == "clear answer"
    assert a[1].behaviour == "multiple answers / hedging"
    assert regraded[0].accuracy == pytest.approx(2 / 3)
    assert "(2/3)" in accuracy_table_markdown(regraded)  # ... and override the tables
    assert regraded[0].summary()["labels_from_store"] == 2

    # exporting again carries the human labels, so a second round trip loses nothing
    rows2 = _rows(export_labels_csv(regraded, load_label_store(store)))
    assert [r["human_label"] for r in rows2] == ["correct", "incorrect", ""]
    assert rows2[0]["human_note"] == "reads the reasoning as correct"
    again = tmp_path / "again.csv"
    again.write_text(export_labels_csv(regraded, load_label_store(store)))
    assert import_labels(again, store) == (2, 2)
    assert load_label_store(store) == load_label_store(store)


def test_label_does_not_land_on_a_changed_answer(setup, tmp_path):
    src, store = setup
    graded = grade_files([src], labels_path=store)
    rows = _rows(export_labels_csv(graded))
    rows[2]["human_label"] = "incorrect"
    csv_path = tmp_path / "l.csv"
    with csv_path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    import_labels(csv_path, store)
    data = json.loads(src.read_text())
    data["scenarios"][1]["answers"][0]["output"] = "No, Susie does not see the minivan in the driveway."
    src.write_text(json.dumps(data))
    g = grade_files([src], labels_path=store)[0]
    assert not any(a.label_source for a in g.answers)


@pytest.mark.parametrize("edit,message", [
    ({"human_label": "maybe"}, "is not one of"),
    ({"human_label": "correct", "human_behaviour": "dancing"}, "human_behaviour 'dancing'"),
    ({"human_label": "correct", "scenario": "x"}, "not integers"),
    ({"human_behaviour": "hedging"}, "no human_label"),
])
def test_bad_label_rows(setup, tmp_path, edit, message):
    src, store = setup
    rows = _rows(export_labels_csv(grade_files([src], labels_path=store)))
    rows[0].update(edit)
    p = tmp_path / "bad.csv"
    with p.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(ToMLabError, match=message):
        import_labels(p, store)
    assert not store.exists()


def test_not_a_label_csv(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(ToMLabError, match="missing columns"):
        import_labels(p, tmp_path / "store.json")


def test_cli_export_import(setup, tmp_path, capsys):
    import importlib.util

    root = ROOT
    spec = importlib.util.spec_from_file_location("grade_answers", root / "ToM_Experiment" / "grade_answers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    src, store = setup
    out = tmp_path / "export.csv"
    base = [str(src), "--no-write", "--labels", str(store)]
    assert mod.main(base + ["--export-labels", str(out)]) == 0
    with pytest.raises(SystemExit):  # an existing export may hold unimported labels
        mod.main(base + ["--export-labels", str(out)])
    rows = _rows(out.read_text())
    rows[0]["human_label"] = "correct"
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    capsys.readouterr()
    assert mod.main(["--import-labels", str(out), "--labels", str(store), str(src), "--no-write", "--json"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["files"][0]["labels_from_store"] == 1 and "imported 1 human labels" in cap.err
