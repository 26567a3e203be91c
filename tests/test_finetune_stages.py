"""Every finetuning stage runs a few steps on a tiny random Llama (in-process, seconds) and chains through disk:
SFT -> merge -> reward model -> merge -> PPO -> merge, and SFT -> merge -> DPO -> merge. Bad input fails clearly."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FEW = ["--preset", "smoke", "--max_train_samples", "16", "--max_eval_samples", "8", "--per_device_eval_batch_size",
       "8", "--save_steps", "1000"]


def script(rel):
    """The ``run``/``main`` entry of a stage script, loaded as the file a researcher runs."""
    g = runpy.run_path(str(ROOT / rel), run_name="stage_under_test")
    return g.get("run") or g["main"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models are dominated by per-op overhead, which two contended OpenMP threads make ~8x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def chain(tiny_model_dir, tmp_path_factory):
    """Run SFT and merge it once; the later stages start from this merged model."""
    root = tmp_path_factory.mktemp("chain")
    script("PPO/ppo_supervised_finetuning.py")(
        ["--model_name", str(tiny_model_dir), "--output_dir", str(root / "sft"), "--max_steps", "2", *FEW])
    script("merge_peft_adapter.py")(["--adapter_model_name", str(root / "sft" / "final_checkpoint"),
                                     "--output_name", str(root / "sft_merged")])
    return root


def test_sft_trains_saves_adapter_and_reports_loss(chain, capsys):
    final = chain / "sft" / "final_checkpoint"
    assert (final / "adapter_model.safetensors").is_file() and (final / "tokenizer.json").is_file()
    record = json.loads((chain / "sft" / "metrics.json").read_text())
    assert record["stage"] == "sft" and record["metrics"]["train_steps"] == 2
    assert record["metrics"]["eval_loss_before"] > 0 and record["metrics"]["eval_loss_after"] > 0
    merged = chain / "sft_merged"
    assert (merged / "model.safetensors").is_file() and (merged / "MERGED.json").is_file()


def test_dpo_sft_is_the_same_stage_with_its_own_output(tiny_model_dir, tmp_path, capsys):
    script("DPO/dpo_supervised_finetuning.py")(
        ["--model_name_or_path", str(tiny_model_dir), "--output_dir", str(tmp_path / "dpo_sft"), "--max_steps", "1",
         *FEW])
    out = capsys.readouterr().out
    assert "held-out loss on the chosen answers (8 pairs)" in out and "merge_peft_adapter.py" in out
    assert (tmp_path / "dpo_sft" / "final_checkpoint" / "adapter_config.json").is_file()


def test_reward_model_then_ppo(chain, capsys):
    base = str(chain / "sft_merged")
    script("PPO/ppo_reward_modeling.py")(["--model_name", base, "--output_dir", str(chain / "rm"), "--max_steps", "2",
                                         *FEW])
    out = capsys.readouterr().out
    assert "pairwise accuracy on 8 held-out pairs" in out
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
         "--response_length", "8", "--num_sample_generations", "0", *FEW])
    out = capsys.readouterr().out
    assert "mean reward-model score of the rollouts" in out and "KL(policy || reference)" in out
    metrics = json.loads((chain / "ppo" / "metrics.json").read_text())["metrics"]
    assert metrics["updates"] == 2 and metrics["kl_last"] is not None
    script("merge_peft_adapter.py")(["--adapter_model_name", str(chain / "ppo" / "final_checkpoint"),
                                     "--base_model_name", base, "--output_name", str(chain / "ppo_merged")])
    from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoModelForCausalLM.from_pretrained(chain / "ppo_merged")
    AutoTokenizer.from_pretrained(chain / "ppo_merged")


def test_dpo(chain, capsys):
    script("DPO/dpo_finetuning.py")(["--model_name_or_path", str(chain / "sft_merged"), "--output_dir",
                                    str(chain / "dpo"), "--max_steps", "2", *FEW])
    out = capsys.readouterr().out
    assert "held-out reward accuracy (8 pairs" in out and "held-out reward margin" in out
    metrics = json.loads((chain / "dpo" / "metrics.json").read_text())["metrics"]
    assert 0.0 <= metrics["eval_reward_accuracy"] <= 1.0 and metrics["train_steps"] == 2


def test_dpo_trains_on_answers_tokenized_apart_from_the_prompt(tiny_model_dir, tmp_path):
    """TRL would tokenize prompt+answer jointly; the stage feeds ids whose prompt ends exactly as at evaluation."""
    from transformers import AutoTokenizer

    from tomlab.data import format_prompt
    from tomlab.finetune import _dpo_trainer_class

    import datasets

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    ds = datasets.Dataset.from_list([{"prompt_ids": tok(format_prompt("Question?"))["input_ids"],
                                      "chosen_ids": [5, 6, tok.eos_token_id], "rejected_ids": [7, tok.eos_token_id]}])
    args = type("A", (), {"max_length": 512})()
    out = _dpo_trainer_class()._prepare_dataset(None, ds, tok, args, "train")
    assert out[0]["chosen_ids"] == [5, 6, tok.eos_token_id]


# ------------------------------------------------------------------------------------------------ bad input
def _fails(rel, argv, capsys, match):
    with pytest.raises(SystemExit) as exc:
        script(rel)(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and match in err[-1], err[-1]


def test_refuses_a_non_empty_output_dir(tiny_model_dir, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    _fails("PPO/ppo_supervised_finetuning.py", ["--model_name", str(tiny_model_dir), "--output_dir",
                                                str(tmp_path / "out"), *FEW], capsys, "exists and is not empty")
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("extra, match", [
    (["--load_in_4bit"], "--load_in_4bit needs a CUDA GPU"),
    (["--load_in_8bit"], "--load_in_8bit needs a CUDA GPU"),
    (["--dataset", "missing.jsonl"], "--dataset missing.jsonl: no such file or folder"),
    (["--model_name_or_path", "./no/such/model"], "--model_name_or_path ./no/such/model: no such local folder"),
    (["--learning_rate", "0"], "--learning_rate must be positive"),
    (["--bf16", "true", "--fp16", "true"], "--bf16 and --fp16 exclude each other"),
])
def test_bad_settings_are_one_clear_error(tiny_model_dir, tmp_path, capsys, extra, match):
    import torch

    if "CUDA" in match and torch.cuda.is_available():
        pytest.skip("CUDA present")
    _fails("DPO/dpo_finetuning.py", ["--model_name_or_path", str(tiny_model_dir), "--output_dir", str(tmp_path / "o"),
                                     *FEW, *extra], capsys, match)


def test_report_to_needs_its_package(tiny_model_dir, tmp_path, capsys):
    import importlib.util

    if importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX"):
        pytest.skip("tensorboard installed")
    _fails("PPO/ppo_reward_modeling.py", ["--model_name", str(tiny_model_dir), "--output_dir", str(tmp_path / "o"),
                                          "--report_to", "tensorboard", *FEW], capsys, "needs the tensorboard package")


def test_ppo_needs_a_reward_model_and_cannot_resume(tiny_model_dir, tmp_path, capsys):
    _fails("PPO/ppo_rl_training.py", ["--model_name", str(tiny_model_dir), *FEW], capsys, "--reward_model_name is required")
    _fails("PPO/ppo_rl_training.py", ["--model_name", str(tiny_model_dir), "--reward_model_name", str(tiny_model_dir),
                                      "--output_dir", str(tmp_path / "p"), "--resume_from_checkpoint", "last", *FEW],
           capsys, "cannot resume")


def test_resume_needs_a_checkpoint(tiny_model_dir, tmp_path, capsys):
    _fails("PPO/ppo_supervised_finetuning.py", ["--model_name", str(tiny_model_dir), "--output_dir",
                                                str(tmp_path / "o"), "--resume_from_checkpoint", "last", *FEW],
           capsys, "no checkpoint-* folder")


def test_presets_keep_the_original_recipe():
    from tomlab.finetune import PRESETS

    g = PRESETS["gpt4all-j"]
    assert g["sft"]["model_name"] == "nomic-ai/gpt4all-j" and g["sft"]["revision"] == "v1.3-groovy"
    assert (g["sft"]["learning_rate"], g["sft"]["max_steps"], g["sft"]["max_length"], g["sft"]["lora_r"]) == \
        (1e-4, 10000, 256, 16)
    assert (g["reward"]["learning_rate"], g["reward"]["per_device_train_batch_size"], g["reward"]["lora_r"]) == \
        (2e-5, 1, 8)
    assert (g["ppo"]["learning_rate"], g["ppo"]["kl_coef"], g["ppo"]["per_device_train_batch_size"] *
            g["ppo"]["gradient_accumulation_steps"], g["ppo"]["load_in_4bit"]) == (1.41e-7, 0.2, 32, True)
    assert (g["dpo"]["beta"], g["dpo"]["learning_rate"], g["dpo"]["warmup_steps"], g["dpo"]["max_steps"],
            g["dpo"]["optim"]) == (0.1, 5e-6, 250, 8500, "paged_adamw_32bit")
    assert g["all"]["dataset"] == "Dahoas/synthetic-instruct-gptj-pairwise"


def test_resume_and_overwrite(tiny_model_dir, tmp_path, capsys):
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
