"""The finetuning study's report on small synthetic answer files and a fake chain run folder."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tomlab.analysis.finetune_report import comparison_summary, comparison_tests, identify_roles, role_of
from tomlab.analysis.report import aggregate
from tomlab.errors import ToMLabError
from tomlab.grading import grade_files
from tomlab.scenarios import load_scenarios
from tomlab.schema import PROMPTINGS
from tomlab.stats import holm

SCEN = load_scenarios()
REPS = 4
BASE = [0] * 16
SFT = [4, 3, 4, 4, 2, 4, 3, 4, 4, 4, 3, 4, 4, 2, 4, 4]  # well above the base in every prompting type
PNG = b"\x89PNG\r\n\x1a\nfake"


def write_answers(folder: Path, model: str, correct: list[int], promptings=PROMPTINGS) -> None:
    """One answer file per prompting type; ``correct[i]`` of the REPS answers to scenario i + 1 are right."""
    for p in promptings:
        scenarios = []
        for s, k in zip(SCEN, correct):
            wrong = "no" if s.answer == "yes" else "yes"
            answers = [{"repetition": r + 1, "output": f"\n\n{(s.answer if r < k else wrong).capitalize()}.",
                        "time": "00:00:00"} for r in range(REPS)]
            scenarios.append({"scenario id": s.id, "answers": answers})
        data = {"model": model, "prompting": p, "prompt_format": "context", "model parameter": {},
                "scenarios": scenarios}
        (folder / model).mkdir(parents=True, exist_ok=True)
        (folder / model / f"Results_{model}_{p}.json").write_text(json.dumps(data))


@pytest.fixture(scope="module")
def answers(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("answers")
    write_answers(d, "Tiny", BASE)
    for role in ("SFT", "PPO", "DPO"):  # PPO and DPO answer exactly as SFT
        write_answers(d, f"Tiny-{role}", SFT)
    return d


@pytest.fixture(scope="module")
def cells(answers, tmp_path_factory):
    return aggregate(grade_files([answers], labels_path=tmp_path_factory.mktemp("l") / "none.json"))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A chain folder of both layouts: metrics/sft.json, train/reward/metrics.json, PPO only in chain.json, no DPO."""
    d = tmp_path_factory.mktemp("run")
    ppo = {"updates": 3, "heldout_prompts": 8, "heldout_mean_reward_before": 0.4, "heldout_mean_reward_after": 0.6,
           "heldout_gold_accuracy_before": 0.5, "heldout_gold_accuracy_after": 0.625}
    chain = {"steps": {"sft": {"status": "done", "wall_s": 10.0, "cpu_s": 15.5},
                       "merge sft": {"status": "done", "wall_s": 1.0, "cpu_s": 1.0},
                       "ppo": {"status": "done", "wall_s": 5.0, "cpu_s": 9.0, "metrics": ppo},
                       "dpo": {"status": "failed", "wall_s": 2.0, "cpu_s": 2.0, "metrics": None}},
             "total_wall_s": 18.0}
    (d / "chain.json").write_text(json.dumps(chain))
    (d / "metrics").mkdir()
    (d / "metrics" / "sft.json").write_text(json.dumps(
        {"metrics": {"eval_loss_before": 2.0, "eval_loss_after": 1.5, "train_steps": 4}}))
    (d / "train" / "reward").mkdir(parents=True)
    (d / "train" / "reward" / "metrics.json").write_text(json.dumps(
        {"metrics": {"eval_accuracy_before": 0.5, "eval_accuracy_after": 0.9, "eval_pairs": 40, "train_steps": 2}}))
    (d / "curves").mkdir()
    for stage in ("sft", "reward"):
        (d / "curves" / f"{stage}.png").write_bytes(PNG)
    (d / "data").mkdir()
    pair = {"prompt": "Context: Ann left. Question: Is Ann here?", "chosen": "No, Ann is not here.",
            "rejected": "Yes, Ann is here."}
    train = [{**pair, "source": "minimal"}] * 6 + [{**pair, "chosen": "No.", "source": "on_policy"}] * 2
    (d / "data" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train))
    (d / "data" / "eval.jsonl").write_text("".join(json.dumps({**pair, "source": "minimal"}) + "\n" for _ in range(3)))
    return d


def cli(argv: list[str]) -> int:
    spec = importlib.util.spec_from_file_location("make_finetune_report",
                                                  ROOT / "ToM_Experiment" / "make_finetune_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main(argv)


def test_roles(cells):
    assert [role_of(m) for m in ("Tiny-SFT [context]", "Tiny-ppo", "Tiny-DPO", "Tiny", "SFT-Tiny")] == [
        "SFT", "PPO", "DPO", "base", "base"]
    assert identify_roles(cells) == {"base": "Tiny", "SFT": "Tiny-SFT", "PPO": "Tiny-PPO", "DPO": "Tiny-DPO"}
    with pytest.raises(ToMLabError, match="one DPO model"):
        identify_roles([c for c in cells if c.model != "Tiny-DPO"])
    with pytest.raises(ToMLabError, match="Tiny-PPO has no answers for CoT"):
        identify_roles([c for c in cells if (c.model, c.prompting) != ("Tiny-PPO", "CoT")])


def test_holm_family_of_twelve(cells):
    rows = comparison_tests(cells, identify_roles(cells))
    assert len(rows) == 12 and [(r["a"], r["b"]) for r in rows[::4]] == [("SFT", "base"), ("PPO", "SFT"),
                                                                          ("DPO", "SFT")]
    assert [r["p_holm"] for r in rows] == pytest.approx(holm([r["test"].p for r in rows]), nan_ok=True)
    sft = rows[:4]
    assert all(r["significant"] and r["test"].diff == pytest.approx(sum(SFT) / 16 / REPS) for r in sft)
    assert all(not r["significant"] and math.isnan(r["test"].p) and r["test"].diff == 0 for r in rows[4:])
    summary = comparison_summary(rows)
    assert summary[0].startswith("- **SFT vs base**: Base: SFT above base by 0.89 (0.89 vs 0.00")
    for line in summary[1:]:
        assert line.count("no detectable effect") == 4
    # identical models: no spread of differences, so no detectable-effect bound; the SFT rows have one
    assert all(math.isnan(r["detectable_holm"]) for r in rows[4:]) and "no spread to bound it by" in summary[1]
    assert all(r["detectable_holm"] > r["detectable"] > 0 for r in sft if r["sd"] > 0)


def test_report(answers, run, tmp_path):
    out = tmp_path / "report"
    assert cli(["--answers", str(answers), "--run", str(run), "--out", str(out),
                "--labels", str(tmp_path / "none.json")]) == 0
    text = (out / "REPORT.md").read_text()
    sections = ["make_finetune_report.py --answers", "## 1. Summary", "## 2. Accuracy", "## 3. Model comparisons",
                "## 4. Training", "## 5. Preference data", "## 6. Chain time"]
    assert [text.index(s) for s in sections] == sorted(text.index(s) for s in sections)
    for needle in ("- **PPO vs SFT**: Base: no detectable effect", "Chance level 0.50",
                   "- **SFT** (4 train steps): held-out loss 2.000 -> 1.500: changed by -0.500",
                   "on 40 pairs, above chance (0.50)", "held-out RM score 0.400 -> 0.600: changed by +0.200",
                   "gold accuracy 0.500 -> 0.625: changed by +0.125 (+1 of 8)",
                   "- **DPO**: implicit-reward accuracy not measured; held-out gold accuracy not measured.",
                   "![SFT training curves](curves/sft.png)",
                   "| on_policy | 2 | 0 |", "| minimal | 6 | 3 |", "Goal: bow+length at most 0.65",
                   "(the run's data)", "| **total** | | **18.0** | **27.5** |", "not recorded; this machine has",
                   "| SFT vs base | CoT |", "the 12 tests are Holm-corrected as one family"):
        assert needle in text, needle
    assert text.index("| Tiny |") < text.index("| Tiny-SFT |") < text.index("| Tiny-PPO |") < text.index("| Tiny-DPO |")
    assert (out / "accuracy.png").read_bytes().startswith(PNG[:8])
    assert sorted(p.name for p in (out / "curves").iterdir()) == ["reward.png", "sft.png"]


@pytest.mark.parametrize("breakage", ["no DPO answers", "no chain.json", "no answers folder", "no data"])
def test_bad_input(answers, run, tmp_path, capsys, breakage):
    import shutil

    if breakage == "no DPO answers":
        answers = shutil.copytree(answers, tmp_path / "answers", ignore=shutil.ignore_patterns("*DPO*"))
    elif breakage == "no chain.json":
        run = tmp_path
    elif breakage == "no answers folder":
        answers = tmp_path / "missing"
    argv = ["--answers", str(answers), "--run", str(run), "--out", str(tmp_path / "out"),
            "--labels", str(tmp_path / "none.json")]
    if breakage == "no data":
        argv += ["--data", str(tmp_path / "nodata")]
    with pytest.raises(SystemExit) as exc:
        cli(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
