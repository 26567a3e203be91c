"""The PPO stage (tomlab.finetune.ppo) on a tiny random Llama: reward model -> merge -> PPO -> merge through disk,
the float32 critic head, mixed precision, and what PPO refuses (several processes, DeepSpeed, resuming)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import fails, script
from tests.finetune.conftest import FEW, _events, _settings

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_reward_model_then_ppo(chain, capsys):
    base = str(chain / "sft_merged")
    script("PPO/ppo_reward_modeling.py")(["--model_name", base, "--output_dir", str(chain / "rm"), "--max_steps", "2",
                                         *FEW])
    out = capsys.readouterr().out
    assert "pairwise accuracy on 8 held-out pairs" in out
    metrics = json.loads((chain / "rm" / "metrics.json").read_text())["metrics"]
    assert 0 <= metrics["eval_accuracy_before"] <= 1 and 0 <= metrics["eval_accuracy_after"] <= 1
    assert _events(chain / "rm")
    adapter = json.loads((chain / "rm" / "final_checkpoint" / "adapter_config.json").read_text())
    assert adapter["task_type"] == "SEQ_CLS"
    script("merge_peft_adapter.py")(["--adapter_model_name", str(chain / "rm" / "final_checkpoint"),
                                     "--base_model_name", base, "--output_name", str(chain / "rm_merged")])
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(chain / "rm_merged")
    assert config.architectures == ["LlamaForSequenceClassification"] and config.num_labels == 1

    script("PPO/ppo_rl_training.py")(
        ["--model_name", base, "--reward_model_name", str(chain / "rm_merged"), "--output_dir", str(chain / "ppo"),
         "--total_episodes", "8", "--per_device_train_batch_size", "4", "--num_mini_batches", "2",
         "--response_length", "8", *FEW])
    out = capsys.readouterr().out
    assert "held-out prompts (4, greedy): mean reward-model score" in out and "KL(policy || reference)" in out
    metrics = json.loads((chain / "ppo" / "metrics.json").read_text())["metrics"]
    assert metrics["updates"] == 2 and metrics["kl_last"] is not None and metrics["heldout_prompts"] == 4
    assert metrics["heldout_mean_reward_before"] is not None and metrics["heldout_mean_reward_after"] is not None
    lines = (chain / "ppo" / "heldout_answers.jsonl").read_text().splitlines()
    assert len(lines) == 4 and set(json.loads(lines[0])) == {"prompt", "gold", "before", "after"}
    from tomlab.finetune.curves import read_scalars

    assert len(read_scalars(chain / "ppo")["train/objective/scores"]) == 2
    script("merge_peft_adapter.py")(["--adapter_model_name", str(chain / "ppo" / "final_checkpoint"),
                                     "--base_model_name", base, "--output_name", str(chain / "ppo_merged")])
    from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoModelForCausalLM.from_pretrained(chain / "ppo_merged")
    AutoTokenizer.from_pretrained(chain / "ppo_merged")


def test_ppo_critic_head_is_float32_and_takes_any_input(tiny_model_dir):
    import torch

    from tomlab.finetune.common import load_tokenizer_for
    from tomlab.finetune.ppo import value_model

    s = _settings("ppo", tiny_model_dir, "--dtype", "bfloat16", "--bf16", "true")
    tok = load_tokenizer_for(str(tiny_model_dir), s)
    value = value_model(str(tiny_model_dir), s, tok)
    trainable = {n: p for n, p in value.named_parameters() if p.requires_grad}
    assert "score.weight" in trainable and any("lora_" in n for n in trainable)
    assert {p.dtype for p in trainable.values()} == {torch.float32}
    hidden = torch.randn(2, 3, value.config.hidden_size, dtype=torch.bfloat16)
    assert value.score(hidden).dtype == torch.float32
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert value.score(hidden.float()).dtype == torch.float32, "autocast would round the values to bf16"


@pytest.mark.parametrize("env", [{"WORLD_SIZE": "2"}, {"ACCELERATE_USE_DEEPSPEED": "true"}])
def test_ppo_refuses_a_multiprocess_or_deepspeed_launch(tiny_model_dir, tmp_path, capsys, monkeypatch, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    fails("PPO/ppo_rl_training.py", ["--model_name", str(tiny_model_dir), "--reward_model_name", str(tiny_model_dir),
                                     "--output_dir", str(tmp_path / "p"), *FEW], capsys,
          "PPO runs in one process without DeepSpeed")
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("bf16", [True, False])
def test_ppo_mixed_precision_takes_effect(tiny_model_dir, tmp_path, bf16):
    """TRL's PPOTrainer builds its Accelerator without a mixed precision: PPOConfig(bf16=...) alone does nothing."""
    from tomlab.data import load_preference_dataset
    from tomlab.finetune.common import load_model_for, load_tokenizer_for
    from tomlab.finetune.ppo import build_ppo_trainer, value_model

    s = _settings("ppo", tiny_model_dir, "--bf16", str(bf16), "--dtype", "float32", "--output_dir",
                  str(tmp_path / "ppo"), "--per_device_train_batch_size", "2", "--num_mini_batches", "1")
    tok = load_tokenizer_for(str(tiny_model_dir), s, padding_side="left")
    train, evals = load_preference_dataset(max_train_samples=4, max_eval_samples=2)
    policy = load_model_for(str(tiny_model_dir), s)
    reward = load_model_for(str(tiny_model_dir), s, task="seq-cls", trainable=False)
    trainer = build_ppo_trainer(s, tok, policy, reward, value_model(str(tiny_model_dir), s, tok), train, evals, [])
    assert trainer.accelerator.mixed_precision == ("bf16" if bf16 else "no")


def test_ppo_needs_a_reward_model_and_cannot_resume(tiny_model_dir, tmp_path, capsys):
    fails("PPO/ppo_rl_training.py", ["--model_name", str(tiny_model_dir), *FEW], capsys,
          "--reward_model_name is required")
    fails("PPO/ppo_rl_training.py", ["--model_name", str(tiny_model_dir), "--reward_model_name", str(tiny_model_dir),
                                     "--output_dir", str(tmp_path / "p"), "--resume_from_checkpoint", "last", *FEW],
          capsys, "cannot resume")
