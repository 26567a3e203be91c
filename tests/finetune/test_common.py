"""The stages' output folder (tomlab.finetune.common): a non-empty folder is refused, resume needs a checkpoint,
--overwrite replaces the old checkpoints."""

from __future__ import annotations

import json

import pytest

from tests.conftest import fails, script
from tests.finetune.conftest import FEW

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_refuses_a_non_empty_output_dir(tiny_model_dir, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    fails("PPO/ppo_supervised_finetuning.py", ["--model_name", str(tiny_model_dir), "--output_dir",
                                               str(tmp_path / "out"), *FEW], capsys, "exists and is not empty")
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_resume_needs_a_checkpoint(tiny_model_dir, tmp_path, capsys):
    fails("PPO/ppo_supervised_finetuning.py", ["--model_name", str(tiny_model_dir), "--output_dir",
                                               str(tmp_path / "o"), "--resume_from_checkpoint", "last", *FEW],
          capsys, "no checkpoint-* folder")


def test_resume_and_overwrite(tiny_model_dir, tmp_path):
    out = tmp_path / "sft"
    base = ["--model_name", str(tiny_model_dir), "--output_dir", str(out), *FEW]
    sft = script("PPO/ppo_supervised_finetuning.py")
    sft([*base, "--max_steps", "2", "--save_steps", "1", "--save_total_limit", "5"])
    assert (out / "checkpoint-2").is_dir()
    sft([*base, "--max_steps", "3", "--resume_from_checkpoint", "last", "--save_steps", "1000"])
    assert json.loads((out / "metrics.json").read_text())["metrics"]["train_steps"] == 3
    sft([*base, "--max_steps", "1", "--overwrite"])
    assert not (out / "checkpoint-2").exists() and not (out / "checkpoint-3").exists(), "old checkpoints stay"
    assert json.loads((out / "metrics.json").read_text())["metrics"]["train_steps"] == 1
    assert len(list((out / "runs").iterdir())) == 1, "--overwrite keeps the event files of the earlier runs"
