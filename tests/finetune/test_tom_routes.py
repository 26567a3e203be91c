"""The three ToM routes (issue 15, item 2) on a tiny random Llama and generated ToM items: ToM-SFT, ToM-DPO and GRPO
each run a couple of steps end to end and write held-out gold accuracy (open and yes/no) and answer length before and
after; the GRPO reward (gold match + format term) on hand-written answers; the tom chain's plan and resumption with
the subprocesses stubbed; bad input (no such route, data without gold, a folder that is no model) fails in one line
and writes nothing."""

from __future__ import annotations

import json
import runpy
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, fails, script

FEW = ["--preset", "tom-smoke", "--max_train_samples", "16", "--max_eval_samples", "8", "--per_device_eval_batch_size",
       "8", "--save_steps", "1000", "--heldout_prompts", "4", "--heldout_max_new_tokens", "4", "--max_steps", "2"]


def tom_rows(seed: int, per_cell: int, split: str) -> list[dict]:
    """ToM items in the format of data/tom_training: each generated ToMi item once in the open form and once per
    yes/no probe, its prompt as the benchmark runner builds it (scenario format, Base prompting)."""
    from tomlab.prompts import Condition, build_prompt
    from tomlab.scenarios import Scenario
    from tomlab.tasks import tomi

    def prompt(story, question):
        return build_prompt(Scenario(0, story, question, ""), Condition(False, False), [], "scenario")

    rows = []
    for item in tomi.generate(seed, per_cell):
        obj = next(e["object"] for e in item.events if e["type"] == "place")
        other = next(c for c in item.choices if c != item.answer)
        common = {"split": split, "source": "test fixture", "kind": item.kind, "belief": item.belief,
                  "story": item.story, "choices": list(item.choices), "events": list(item.events)}
        rows.append({**common, "id": f"{item.id}-open", "form": "open", "question": item.question,
                     "prompt": prompt(item.story, item.question), "answer": item.answer,
                     "chosen": f"The {obj} is in the {item.answer}.", "rejected": f"The {obj} is in the {other}."})
        for i, probe in enumerate(item.probes, 1):
            wrong = "no" if probe.answer == "yes" else "yes"
            rows.append({**common, "id": f"{item.id}-yesno{i}", "form": "yesno", "question": probe.question,
                         "prompt": prompt(item.story, probe.question), "answer": probe.answer,
                         "chosen": f"{probe.answer.capitalize()}.", "rejected": f"{wrong.capitalize()}."})
    return rows


def write_tom_data(folder: Path, per_cell: int = 1, drop: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for split, seed in (("train", 1), ("validation", 2)):
        rows = [{k: v for k, v in r.items() if k != drop} for r in tom_rows(seed, per_cell, split)]
        (folder / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def tom_data(tmp_path_factory) -> Path:
    return write_tom_data(tmp_path_factory.mktemp("tom_training"), per_cell=2)


def _check_tom_metrics(metrics: dict) -> None:
    for when in ("before", "after"):
        for key in ("heldout_gold_accuracy_open", "heldout_gold_accuracy_yesno", "heldout_gold_accuracy",
                    "heldout_gold_judged"):
            assert 0.0 <= metrics[f"{key}_{when}"] <= 1.0, key
        assert 0 < metrics[f"heldout_mean_answer_tokens_{when}"] <= 4
    assert metrics["heldout_prompts"] == 4


# ------------------------------------------------------------------------------------------------ data format
def test_fixture_rows_have_the_data_format_and_prompts_are_taken_as_they_are():
    from tomlab.data import FULL_PROMPT_TEMPLATE, format_prompt

    rows = tom_rows(3, 1, "train")
    assert {r["form"] for r in rows} == {"open", "yesno"} and len(rows) == 8 * 3
    assert set(rows[0]) == {"id", "split", "source", "kind", "belief", "form", "story", "question", "prompt", "answer",
                            "choices", "chosen", "rejected", "events"}
    for r in rows:
        assert r["prompt"].endswith("Answer: ") and r["question"] in r["prompt"]
        assert format_prompt(r["prompt"].strip(), FULL_PROMPT_TEMPLATE) == r["prompt"], "the loader strips; put back"


def test_the_committed_tom_data_are_tom_items_whose_chosen_answer_reads_as_gold():
    from tomlab.data import load_preference_dataset
    from tomlab.finetune.tom import GOLD_COLUMNS, check_items, read_answer

    folder = ROOT / "data" / "tom_training"
    if not (folder / "train.jsonl").is_file():
        pytest.skip("data/tom_training not generated")
    train, evals = load_preference_dataset(str(folder), keep_columns=GOLD_COLUMNS)
    check_items(train, "data/tom_training", "train")
    check_items(evals, "data/tom_training", "validation")
    rows = evals.select(range(min(60, len(evals))))
    assert all(read_answer(r["chosen"], r) == r["answer"] != read_answer(r["rejected"], r) for r in rows)


def test_heldout_rows_take_both_forms_in_turn(tom_data):
    from tomlab.data import load_preference_dataset
    from tomlab.finetune.heldout import heldout_rows
    from tomlab.finetune.tom import GOLD_COLUMNS

    _, evals = load_preference_dataset(str(tom_data), keep_columns=GOLD_COLUMNS)
    assert len(evals) == 48, "validation.jsonl is the held-out split"
    assert heldout_rows(evals, 4)["form"] == ["open", "yesno", "open", "yesno"]


# ------------------------------------------------------------------------------------------------ GRPO reward
def _reward(fn, completions, rows, ended=True):
    from tomlab.finetune.grpo import GOLD_COLUMNS

    eos = 99
    ids = [[5, 6, eos] if ended else [5, 6] for _ in completions]
    columns = {col: [r[col] for r in rows] for col in GOLD_COLUMNS}
    return fn(completions=completions, completion_ids=ids, eos_token_id=eos, prompts=[r["prompt"] for r in rows],
              trainer_state=None, **columns)


def test_grpo_reward_gold_wrong_unreadable_and_format_term():
    from tomlab.finetune.grpo import FORMAT_REWARD, GOLD_REWARD, format_reward, gold_reward

    rows = tom_rows(4, 1, "train")
    opened = next(r for r in rows if r["form"] == "open")
    gold, other = opened["answer"], next(c for c in opened["choices"] if c != opened["answer"])
    texts = [f"It is in the {gold}.", f"It is in the {other}.", "I do not know.",
             f"It could be the {gold} or the {other}.", f"First it was moved. The answer is the {gold}."]
    assert _reward(gold_reward, texts, [opened] * 5) == [GOLD_REWARD, 0.0, 0.0, 0.0, GOLD_REWARD]
    assert _reward(format_reward, texts, [opened] * 5) == [FORMAT_REWARD, FORMAT_REWARD, 0.0, 0.0, FORMAT_REWARD]
    assert _reward(format_reward, texts[:1], [opened], ended=False) == [0.0], "an answer cut at the limit: no format"
    assert _reward(gold_reward, texts[:1], [opened], ended=False) == [GOLD_REWARD], "but its gold still counts"
    probe = next(r for r in rows if r["form"] == "yesno")
    right, wrong = probe["answer"].capitalize() + ".", ("No." if probe["answer"] == "yes" else "Yes.")
    assert _reward(gold_reward, [right, wrong, "Banana."], [probe] * 3) == [GOLD_REWARD, 0.0, 0.0]
    assert _reward(format_reward, [right, wrong, "Banana."], [probe] * 3) == [FORMAT_REWARD, FORMAT_REWARD, 0.0]
    assert 0 < FORMAT_REWARD < GOLD_REWARD / 2, "a readable wrong answer never outscores a right one"


# ------------------------------------------------------------------------------------------------ the routes
def test_tom_sft_route(tiny_model_dir, tom_data, tmp_path, capsys):
    out = tmp_path / "sft"
    script("PPO/ppo_supervised_finetuning.py")(["--model_name", str(tiny_model_dir), "--dataset", str(tom_data),
                                                "--output_dir", str(out), *FEW])
    printed = capsys.readouterr().out
    assert "held-out ToM prompts (4, greedy): gold accuracy open" in printed and "answer length in tokens" in printed
    record = json.loads((out / "metrics.json").read_text())
    assert record["recipe"] == "tom-smoke" and record["metrics"]["train_steps"] == 2
    assert record["metrics"]["eval_loss_before"] > 0
    _check_tom_metrics(record["metrics"])
    answers = [json.loads(line) for line in (out / "heldout_answers.jsonl").read_text().splitlines()]
    assert [a["form"] for a in answers] == ["open", "yesno", "open", "yesno"]
    assert answers[0]["prompt"].startswith("Read the scenario and answer the following question:")


def test_tom_dpo_route(tiny_model_dir, tom_data, tmp_path, capsys):
    out = tmp_path / "dpo"
    script("DPO/dpo_finetuning.py")(["--model_name_or_path", str(tiny_model_dir), "--dataset", str(tom_data),
                                     "--output_dir", str(out), *FEW])
    printed = capsys.readouterr().out
    assert "held-out implicit-reward accuracy (8 pairs): 0.000 ->" in printed and "held-out ToM prompts (4" in printed
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert metrics["eval_reward_accuracy_before"] == 0.0 and metrics["train_steps"] == 2
    _check_tom_metrics(metrics)


def test_grpo_route_logs_its_reward_curve_and_merges(tiny_model_dir, tom_data, tmp_path, capsys):
    out = tmp_path / "grpo"
    script("GRPO/grpo_training.py")(["--model_name_or_path", str(tiny_model_dir), "--dataset", str(tom_data),
                                     "--output_dir", str(out), *FEW])
    printed = capsys.readouterr().out
    assert "=== GRPO finished ===" in printed and "training answers (sampled, 4 per prompt)" in printed
    record = json.loads((out / "metrics.json").read_text())
    metrics = record["metrics"]
    assert record["stage"] == "grpo" and metrics["train_steps"] == 2 and metrics["logged_steps"] == 2
    assert metrics["num_generations"] == 4 and 0.0 <= metrics["reward_first"] <= 1.1
    assert metrics["completion_tokens_first"] > 0
    _check_tom_metrics(metrics)
    from tomlab.finetune.curves import draw_stage, read_scalars

    scalars = read_scalars(out)
    assert len(scalars["train/reward"]) == 2 and "train/rewards/gold_reward/mean" in scalars
    assert "train/rewards/format_reward/mean" in scalars
    png = draw_stage(out, "grpo", tmp_path / "grpo.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    script("merge_peft_adapter.py")(["--adapter_model_name", str(out / "final_checkpoint"), "--base_model_name",
                                     str(tiny_model_dir), "--output_name", str(tmp_path / "merged")])
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(tmp_path / "merged")


def test_every_tom_recipe_parses_and_names_the_tom_data(tiny_model_dir):
    from tomlab.finetune.args import parse_stage_args
    from tomlab.paths import REPO_ROOT

    for preset in ("tom", "tom-smoke"):
        for stage in ("sft", "dpo", "grpo"):
            s = parse_stage_args(stage, "t", "runs/x", ["--preset", preset, "--model_name", str(tiny_model_dir)])
            assert s.data.tom_items and Path(s.data.dataset) in (REPO_ROOT / "data" / "tom_training",
                                                                 Path("data/tom_training"))
            assert s.model.model_name_or_path == str(tiny_model_dir)


# ------------------------------------------------------------------------------------------------ the chain
def _fake_call(calls):
    def call(cmd, cwd=None, env=None):
        calls.append(cmd)
        if cmd[2] == "tomlab.commands.merge":
            out = Path(cmd[cmd.index("--output_name") + 1])
            out.mkdir(parents=True)
            for name in ("config.json", "MERGED.json", "model.safetensors"):
                (out / name).write_text("{}")
        else:
            out = Path(cmd[cmd.index("--output_dir") + 1])
            (out / "final_checkpoint").mkdir(parents=True, exist_ok=True)
            (out / "final_checkpoint" / "adapter_config.json").write_text("{}")
            (out / "metrics.json").write_text(json.dumps({"stage": "grpo", "metrics": {
                "heldout_gold_accuracy_open_before": 0.5, "heldout_gold_accuracy_open_after": 0.75,
                "reward_first": 0.2, "reward_last": 0.6}}))
        return 0

    return call


def chain_main(argv):
    return runpy.run_path(str(ROOT / "scripts" / "tom_training_chain.py"), run_name="chain_under_test")["main"](argv)


def test_tom_chain_runs_three_routes_from_the_base_and_resumes(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls))
    data = write_tom_data(tmp_path / "data")
    out = tmp_path / "tom"
    chain_main(["--out", str(out), "--smoke", "--dataset", str(data), "--routes", "sft,dpo"])
    names = [cmd[2] for cmd in calls]
    assert names == ["tomlab.commands.sft", "tomlab.commands.merge", "tomlab.commands.dpo", "tomlab.commands.merge"]
    joined = [" ".join(cmd) for cmd in calls]
    assert "--model_name embedded " in joined[0] and "--model_name_or_path embedded " in joined[2], "from the base"
    assert all(f"--dataset {data} --preset tom-smoke" in j for j in joined[::2])
    assert joined[3].endswith(f"--base_model_name embedded --output_name {out}/models/SmolLM2-135M-Instruct-ToM-DPO")
    calls.clear()
    chain_main(["--out", str(out), "--smoke", "--dataset", str(data)])
    assert [cmd[2] for cmd in calls] == ["tomlab.commands.grpo", "tomlab.commands.merge"], "the rest only"
    assert (out / "models" / "SmolLM2-135M-Instruct-ToM-GRPO" / "MERGED.json").is_file()
    printed = capsys.readouterr().out
    assert "tom-sft: done earlier, skipped" in printed and "rollout reward 0.200 -> 0.600" in printed
    state = json.loads((out / "chain.json").read_text())
    assert state["settings"]["chain"] == "tom" and len(state["steps"]) == 6
    assert "ToM routes sft, dpo, grpo, each from the base model" in (out / "summary.md").read_text()


# ------------------------------------------------------------------------------------------------ bad input
def test_chain_refuses_an_unknown_route_a_missing_data_folder_and_a_folder_that_is_no_model(tmp_path, capsys):
    data = write_tom_data(tmp_path / "data")
    out = tmp_path / "tom"
    fails("scripts/tom_training_chain.py", ["--out", str(out), "--dataset", str(data), "--routes", "sft,ppo"],
          capsys, "--routes sft,ppo: no such route ppo (routes: sft, dpo, grpo)")
    fails("scripts/tom_training_chain.py", ["--out", str(out), "--dataset", str(tmp_path / "none")], capsys,
          "no such folder")
    (tmp_path / "nomodel").mkdir()
    (tmp_path / "nomodel" / "notes.txt").write_text("x")
    fails("scripts/tom_training_chain.py", ["--out", str(out), "--dataset", str(data), "--model_name",
                                            str(tmp_path / "nomodel")], capsys, "must be a folder holding config.json")
    assert not out.exists()


@pytest.mark.parametrize("rel", ["PPO/ppo_supervised_finetuning.py", "DPO/dpo_finetuning.py",
                                 "GRPO/grpo_training.py"])
def test_routes_refuse_data_without_gold(tiny_model_dir, tmp_path, capsys, rel):
    data = write_tom_data(tmp_path / "data", drop="answer")
    out = tmp_path / "o"
    fails(rel, ["--model_name", str(tiny_model_dir), "--dataset", str(data), "--output_dir", str(out), *FEW],
          capsys, "no column 'answer'")
    assert not out.exists()


def test_routes_refuse_a_row_without_gold_a_bad_gold_and_a_folder_that_is_no_model(tiny_model_dir, tmp_path,
                                                                                    capsys):
    data = write_tom_data(tmp_path / "data")
    rows = (data / "validation.jsonl").read_text().splitlines()
    row = json.loads(rows[2])
    (data / "validation.jsonl").write_text("\n".join([*rows[:2], json.dumps({**row, "answer": None}), *rows[3:]]))
    out = tmp_path / "o"
    base = ["--dataset", str(data), "--output_dir", str(out), *FEW]
    fails("GRPO/grpo_training.py", ["--model_name", str(tiny_model_dir), *base], capsys,
          "(validation split) row 2: no value in column 'answer'")
    (data / "validation.jsonl").write_text("\n".join([*rows[:2], json.dumps({**row, "answer": "maybe"}), *rows[3:]]))
    fails("DPO/dpo_finetuning.py", ["--model_name", str(tiny_model_dir), *base], capsys, "gold answer 'maybe'")
    (tmp_path / "nomodel").mkdir()
    fails("GRPO/grpo_training.py", ["--model_name", str(tmp_path / "nomodel"), *base], capsys,
          "must be a folder holding config.json")
    assert not out.exists()


def test_tom_items_only_where_they_make_sense(tiny_model_dir, tmp_path, capsys):
    fails("GRPO/grpo_training.py", ["--model_name", str(tiny_model_dir), "--tom_items", "false", *FEW], capsys,
          "--tom_items false: GRPO's reward reads the gold answer")
    fails("PPO/ppo_reward_modeling.py", ["--model_name", str(tiny_model_dir), "--tom_items", "true", "--preset",
                                         "smoke"], capsys, "--tom_items: the reward stage does not take ToM items")
