"""The DPO stage (tomlab.finetune.dpo) on a tiny random Llama: a few steps from the merged SFT model, and answers
tokenized apart from the prompt."""

from __future__ import annotations

import json

import pytest

from tests.conftest import script
from tests.finetune.conftest import FEW

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_dpo(chain, capsys):
    script("DPO/dpo_finetuning.py")(["--model_name_or_path", str(chain / "sft_merged"), "--output_dir",
                                    str(chain / "dpo"), "--max_steps", "2", *FEW])
    out = capsys.readouterr().out
    assert "held-out implicit-reward accuracy (8 pairs): 0.000 ->" in out and "held-out prompts (4, greedy)" in out
    metrics = json.loads((chain / "dpo" / "metrics.json").read_text())["metrics"]
    assert metrics["eval_reward_accuracy_before"] == 0.0 and 0.0 <= metrics["eval_reward_accuracy_after"] <= 1.0
    assert metrics["train_steps"] == 2 and metrics["heldout_prompts"] == 4
    from tomlab.finetune.curves import read_scalars

    assert "train/rewards/margins" in read_scalars(chain / "dpo")


def test_dpo_trains_on_answers_tokenized_apart_from_the_prompt(tiny_model_dir):
    """TRL would tokenize prompt+answer jointly; the stage feeds ids whose prompt ends exactly as at evaluation."""
    import datasets
    from transformers import AutoTokenizer

    from tomlab.data import format_prompt
    from tomlab.finetune.dpo import pretokenized_dpo_trainer_class

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    ds = datasets.Dataset.from_list([{"prompt_ids": tok(format_prompt("Question?"))["input_ids"],
                                      "chosen_ids": [5, 6, tok.eos_token_id], "rejected_ids": [7, tok.eos_token_id]}])
    args = type("A", (), {"max_length": 512})()
    out = pretokenized_dpo_trainer_class()._prepare_dataset(None, ds, tok, args, "train")
    assert out[0]["chosen_ids"] == [5, 6, tok.eos_token_id]
