"""The ToM training study's report (tomlab.analysis.tom_training_report) on hand-written answer files: sections,
statistics (Holm family, detectable effects, sd 0), the yes/no split, heuristics beside accuracy, in-distribution vs
transfer kept apart, the chain's routes, bad inputs."""

from __future__ import annotations

import json
import re

import pytest

from tomlab.analysis import tom_training_report as ttr
from tomlab.analysis.correlation import ANCHOR
from tomlab.errors import ToMLabError
from tomlab.scenarios import load_scenarios
from tomlab.schema import PROMPTINGS
from tomlab.stats import detectable_difference
from tomlab.tasks import strange_stories
from tomlab.tasks.answers import SCHEMA
from tomlab.tasks.items import read_jsonl
from tomlab.tasks.tomi import DEFAULT_ITEMS

N_ITEMS = 16  # the first 16 ToMi items: 2 per kind x belief cell
BASE, SFT, DPO, OTHER = "tiny", "tiny-ToM-SFT", "tiny-ToM-DPO", "other"


def write_scenarios(folder, model, answer, reps=2, tokens=5, first=None):
    """One answer file per prompting type; ``answer(scenario) -> output``; ``first``: only the first N scenarios."""
    for prompting in PROMPTINGS:
        data = {"model": model, "prompting": prompting, "complete": True, "run": {"model_name": model},
                "scenarios": [{"scenario id": s.id, "question": s.question, "gold answer": s.answer,
                               "context": s.context,
                               "answers": [{"repetition": r, "output": answer(s), "new_tokens": tokens}
                                           for r in range(1, reps + 1)]} for s in load_scenarios()[:first]]}
        path = folder / model / f"Results_{model}_{prompting}_x.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))


def write_benchmark(folder, model, benchmark, form, items, answer, tokens=7):
    """``answer(item, unit) -> output``."""
    entries = [{"id": u.id, "question_id": u.question_id, "kind": item.kind, "belief": item.belief,
                "context": item.story, "question": u.question, "gold answer": u.answer, "choices": list(u.choices),
                "prompt": "p", "answers": [{"repetition": 1, "output": answer(item, u), "new_tokens": tokens}]}
               for item in items for u in item.units(form)]
    data = {"schema": SCHEMA, "benchmark": benchmark, "form": form, "model": model, "prompting": "Base",
            "complete": True, "run": {"model_name": model, "items_file": "data/tomi/tomi_items.jsonl"},
            "items": entries}
    path = folder / benchmark / model / f"Results_{model}_{benchmark}-{form}_x.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def right(item, unit):
    return f"The {unit.answer}." if unit.choices else f"{unit.answer.capitalize()}."


def wrong_open(item, unit):
    return f"The {next(c for c in unit.choices if c != unit.answer)}." if unit.choices else "No."


def battery(folder, model, scenario_answer, tomi_answer, tokens=7):
    items = read_jsonl(DEFAULT_ITEMS)[:N_ITEMS]
    write_scenarios(folder, model, scenario_answer, tokens=tokens)
    for form in ("open", "yesno"):
        write_benchmark(folder, model, "tomi", form, items, tomi_answer, tokens)
    write_benchmark(folder, model, "strange_stories", "yesno", strange_stories.load()[0][:10],
                    lambda item, unit: "No.", tokens)


@pytest.fixture
def answers(tmp_path):
    """base: wrong ToMi, 'No.' everywhere; SFT: right ToMi, 'Yes.' on the scenarios; DPO = base (identical);
    other: 16-scenario answers only."""
    folder = tmp_path / "answers"
    battery(folder, BASE, lambda s: "No.", wrong_open)
    battery(folder, SFT, lambda s: "Yes.", right, tokens=3)
    battery(folder, DPO, lambda s: "No.", wrong_open)
    write_scenarios(folder / "more", OTHER, lambda s: s.answer.capitalize() + ".")
    return folder


def chain(tmp_path):
    run = tmp_path / "chain"
    metrics = {"heldout_prompts": 40, "heldout_gold_accuracy_before": 0.2, "heldout_gold_accuracy_after": 0.6,
               "heldout_mean_answer_tokens_before": 30.0, "heldout_mean_answer_tokens_after": 6.0, "train_steps": 9}
    (run / "train" / "tom-sft").mkdir(parents=True)
    (run / "train" / "tom-sft" / "metrics.json").write_text(json.dumps({"stage": "sft", "metrics": metrics}))
    (run / "curves").mkdir()
    (run / "curves" / "tom-sft.png").write_bytes(b"\x89PNG fake")
    return run


def report(tmp_path, answers, **extra):
    out = tmp_path / "report"
    path = ttr.write_tom_training_report([answers], out, BASE, n_boot=20, n_splits=5, command="cmd", **extra)
    return path.read_text(), json.loads((out / "report.json").read_text()), out


def section(md: str, number: int) -> str:
    return md.split(f"## {number}. ")[1].split("\n## ")[0]


def test_routes_are_compared_to_the_base_in_one_holm_family(tmp_path, answers):
    md, data, out = report(tmp_path, answers, chain_dir=chain(tmp_path))
    assert data["comparisons"] == [[SFT, BASE], [DPO, BASE]]  # routes found by name; 'other' is not compared
    rows = data["tests"]
    assert len(rows) == 2 * 7  # 2 routes x (2 ToMi forms + 4 prompting types + Strange Stories)
    defined = [r for r in rows if r["p"] is not None]
    family = len(defined)
    assert all(r["family"] == family for r in rows) and f"the {family} with a defined p" in md
    for r in (r for r in defined if r["sd"] > 0):
        assert r["detectable"] == pytest.approx(detectable_difference(r["sd"], r["n"], 0.05))
        assert r["detectable_holm"] == pytest.approx(detectable_difference(r["sd"], r["n"], 0.05 / family))
        assert r["detectable_holm"] > r["detectable"]
    # DPO answers exactly as the base: no spread, no p, said so
    dpo = [r for r in rows if r["model"] == DPO]
    assert all(r["sd"] == 0 and r["p"] is None and r["p_holm"] is None for r in dpo)
    assert "sd of differences 0: identical on every item, no test" in md
    sft_open = next(r for r in rows if r["model"] == SFT and r["test"] == "tomi-open")
    assert sft_open["accuracy"] == 1.0 and sft_open["reference_accuracy"] == 0.0 and sft_open["n"] == N_ITEMS
    assert sft_open["sd"] == 0 and sft_open["p"] == 0 and sft_open["significant"]  # every item +1: t infinite
    assert "every item differs by +1.000, t infinite, p 0" in md
    assert family == 6  # SFT: both ToMi forms (p 0) and the four prompting types; Strange Stories and DPO: no p


def test_summary_in_and_out_of_distribution_and_the_yes_no_split(tmp_path, answers):
    md, data, _ = report(tmp_path, answers)
    summary = section(md, 1)
    assert "**Positive control (held-out ToMi-style items): yes**" in summary
    assert "tiny-ToM-SFT on tomi-open: 0.00 -> 1.00 (p_holm <0.001); a shortcut heuristic that tracks no belief " \
           "scores as much on reality (1.00 <= last_mentioned 1.00), memory (1.00 <= first_mentioned 1.00)" in summary
    assert "**Transfer (human-written tests): no**" in summary
    assert "How choices were made: " + ttr.DEFAULT_CHOICES in md
    # in-distribution and transfer tables apart, in every section that has both
    for number in (2, 3):
        text = section(md, number)
        in_dist, transfer = text.split(ttr.GROUP_TITLES[ttr.IN_DISTRIBUTION])[1].split(ttr.GROUP_TITLES[ttr.TRANSFER])
        assert "tomi-open" in in_dist and "16 scenarios" not in in_dist and "strange_stories" not in in_dist
        assert "tomi" not in transfer and "16 scenarios Base" in transfer and "strange_stories-yesno" in transfer
    # 'Yes.' to every scenario: all the yes-scenarios, none of the no-scenarios
    split = {(r["model"], r["prompting"]): (r["acc_yes"], r["acc_no"]) for r in data["yes_no"]}
    assert split[(SFT, "Base")] == (1.0, 0.0) and split[(BASE, "Base")] == (0.0, 1.0)
    assert split[(OTHER, "CoT")] == (1.0, 1.0)
    assert "| tiny-ToM-SFT | Base | 1.00 | 0.00 |" in section(md, 4)
    # the accuracy table marks the model without benchmark answers and gives each test's chance level
    acc = section(md, 2)
    assert "| other | - (no answers) | - (no answers) |" in acc
    assert "a random container 0.50" in acc and "random yes/no 0.25; always yes 0.00; always no 0.00" in acc
    assert "always yes 0.50; always no 0.50" in acc


def test_chance_levels_come_from_the_items(tmp_path, answers):
    _, data, _ = report(tmp_path, answers)
    ss = data["accuracy"][BASE]["strange_stories-yesno"]["chance"]
    gold = [i.answer for i in strange_stories.load()[0][:10]]
    assert ss["always no"] == pytest.approx(gold.count("no") / 10)
    assert ss["always yes"] == pytest.approx(gold.count("yes") / 10)
    assert data["accuracy"][BASE]["strange_stories-yesno"]["accuracy"] == pytest.approx(gold.count("no") / 10)


def test_tomi_per_kind_beside_the_best_heuristic(tmp_path, answers):
    md, data, _ = report(tmp_path, answers)
    table = {r["group"]: r for r in data["heuristics"]["tomi-open"]}
    assert {"all", "reality", "memory", "first_order", "second_order", "belief true", "belief false",
            "reality / true"} <= set(table)
    assert table["reality"]["best"] == "last_mentioned" and table["reality"]["best_accuracy"] == 1.0
    assert table["memory"]["best"] == "first_mentioned" and table["memory"]["best_accuracy"] == 1.0
    assert table["reality"]["models"] == {BASE: 0.0, SFT: 1.0, DPO: 0.0} and table["all"]["n"] == N_ITEMS
    text = section(md, 5)
    assert "| reality | 4 | last_mentioned 1.000 | 0.000 (matched) | 1.000 (matched) | 0.000 (matched) |" in text
    assert "| first_order | 4 | last_mentioned 0.500 |" in text and "| 1.000 |" in text.split("first_order")[1]


def test_answer_length_and_routes_before_after(tmp_path, answers):
    md, data, out = report(tmp_path, answers, chain_dir=chain(tmp_path))
    assert data["accuracy"][SFT]["tomi-open"]["mean_tokens"] == 3 and data["accuracy"][BASE]["tomi-open"][
        "mean_tokens"] == 7
    length = section(md, 6)
    assert "| *tiny-ToM-SFT - tiny* | -4.0 |" in length and "| *tiny-ToM-DPO - tiny* | +0.0 |" in length
    routes = section(md, 7)
    assert "### ToM-SFT" in routes and "| heldout_gold_accuracy | 0.200 [" in routes and "| +0.400 |" in routes
    assert "| heldout_mean_answer_tokens | 30.000 | 6.000 | -24.000 |" in routes
    assert "![ToM-SFT training curves](curves/tom-sft.png)" in routes and (out / "curves" / "tom-sft.png").is_file()
    assert (out / "accuracy.png").stat().st_size > 1000


def test_correlation_over_every_model_with_answers(tmp_path, answers):
    md, data, _ = report(tmp_path, answers)
    text = section(md, 8)
    assert "Across the 4 models with all four 16-scenario prompting types" in text
    assert "Without the 2 ToMi-trained route models (tiny-ToM-SFT, tiny-ToM-DPO)" in text
    assert "inflated" in text and "20+ models" in text
    rows = {r["test"]: r["n_models"] for r in data["correlation"]["all"]["rows"]}
    assert rows == {"tomi-open": 3, "tomi-yesno": 3, "strange_stories-yesno": 3}
    assert {r["n_models"] for r in data["correlation"]["without_tomi_trained"]["rows"]} == {1}


def test_correlation_over_models_asked_different_scenarios(tmp_path, answers):
    """A smoke battery asks fewer scenarios: the 16-scenario scores use the scenarios every model was asked."""
    write_scenarios(answers / "more", OTHER, lambda s: s.answer.capitalize() + ".", first=4)
    md, _, _ = report(tmp_path, answers)
    assert "Across the 4 models with all four 16-scenario prompting types" in section(md, 8)
    assert len(ttr.correlation_tests(ttr.load_models([answers]))[ANCHOR].items) == 4


def test_explicit_comparisons(tmp_path, answers):
    _, data, _ = report(tmp_path, answers, comparisons=[(OTHER, BASE)])
    assert {r["test"] for r in data["tests"]} == {f"16 scenarios {p}" for p in PROMPTINGS}


@pytest.mark.parametrize("case, message", [
    ("missing folder", "no such folder"),
    ("empty folder", "no answer files in this folder"),
    ("unknown base", "--base nobody: no answers of that model"),
    ("reference lacks a test", "other has no answers for tomi-open"),
    ("route lacks a test", "route model lone-ToM-GRPO has no answers for tomi-open"),
    ("two files", "tiny has two answer files for 16 scenarios Base"),
    ("chain without metrics", "no route's metrics.json"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, answers, case, message):
    folders, base, extra = [answers], BASE, {}
    if case == "missing folder":
        folders = [answers, tmp_path / "nope"]
    elif case == "empty folder":
        (tmp_path / "empty").mkdir()
        folders = [tmp_path / "empty"]
    elif case == "unknown base":
        base = "nobody"
    elif case == "reference lacks a test":
        extra = {"comparisons": [(SFT, OTHER)]}
    elif case == "route lacks a test":
        write_scenarios(answers, "lone-ToM-GRPO", lambda s: "No.")
    elif case == "two files":
        (answers / BASE / "copy").mkdir()
        src = next((answers / BASE).glob("*_Base_x.json"))
        (answers / BASE / "copy" / src.name).write_text(src.read_text())
    elif case == "chain without metrics":
        (tmp_path / "chain").mkdir()
        extra = {"chain_dir": tmp_path / "chain"}
    with pytest.raises(ToMLabError, match=re.escape(message)):
        ttr.write_tom_training_report(folders, tmp_path / "report", base, n_boot=5, n_splits=2, **extra)
    assert not (tmp_path / "report").exists()


def test_script_bad_input_exits_2(tmp_path, capsys):
    from importlib import util

    from tomlab.paths import REPO_ROOT

    spec = util.spec_from_file_location("mk", REPO_ROOT / "ToM_Experiment" / "make_tom_training_report.py")
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit) as exc:
        module.main(["--answers", str(tmp_path / "nope"), "--base", "x", "--out", str(tmp_path / "r")])
    assert exc.value.code == 2 and "no such folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        module.main(["--answers", str(tmp_path), "--base", "x", "--compare", "a", "--out", str(tmp_path / "r")])
    assert exc.value.code == 2 and "expected MODEL=REFERENCE" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
