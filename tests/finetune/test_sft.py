"""The SFT stage (tomlab.finetune.sft) on a tiny random Llama: adapter, metrics before and after, TensorBoard
events and curves; DPO's SFT script is the same stage."""

from __future__ import annotations

import json

import pytest

from tests.conftest import script
from tests.finetune.conftest import FEW, _events

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_sft_trains_saves_adapter_logs_events_and_reports_loss(chain, tmp_path):
    final = chain / "sft" / "final_checkpoint"
    assert (final / "adapter_model.safetensors").is_file() and (final / "tokenizer.json").is_file()
    record = json.loads((chain / "sft" / "metrics.json").read_text())
    assert record["stage"] == "sft" and record["recipe"] == "smoke" and record["metrics"]["train_steps"] == 2
    assert record["metrics"]["eval_loss_before"] > 0 and record["metrics"]["eval_loss_after"] > 0
    merged = chain / "sft_merged"
    assert (merged / "model.safetensors").is_file() and (merged / "MERGED.json").is_file()
    from tomlab.finetune.curves import draw_stage, read_scalars

    assert _events(chain / "sft"), "no TensorBoard event file under <output_dir>/runs"
    steps = [step for step, _ in read_scalars(chain / "sft")["eval/loss"]]
    assert steps == [0, 2], "the evaluation before training is logged (at step 0) into the stage's own folder"
    png = draw_stage(chain / "sft", "sft", tmp_path / "sft.png")
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"


def test_dpo_sft_is_the_same_stage_with_its_own_output(tiny_model_dir, tmp_path, capsys):
    script("DPO/dpo_supervised_finetuning.py")(
        ["--model_name_or_path", str(tiny_model_dir), "--output_dir", str(tmp_path / "dpo_sft"), "--max_steps", "1",
         *FEW])
    out = capsys.readouterr().out
    assert "held-out loss on the chosen answers (8 pairs)" in out and "merge_peft_adapter.py" in out
    assert (tmp_path / "dpo_sft" / "final_checkpoint" / "adapter_config.json").is_file()
