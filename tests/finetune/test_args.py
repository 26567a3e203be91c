"""The stage settings (tomlab.finetune.args): the original flag names, recipe then command line, the presets,
the LoRA dropout as configured, and bad settings or recipes as one clear error."""

from __future__ import annotations

import pytest

from tests.conftest import fails
from tests.finetune.conftest import FEW, _settings

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_original_flag_names_still_work(tiny_model_dir):
    s = _settings("reward", tiny_model_dir, "--batch_size", "3", "--seq_length=99", "--revision", "main",
                  "--dataset_name", "data/x.jsonl", "--lora_target_modules", "q_proj,v_proj")
    assert (s.train.per_device_train_batch_size, s.train.max_length, s.model.model_revision) == (3, 99, "main")
    assert s.data.dataset == "data/x.jsonl" and s.model.lora_target_modules == ["q_proj", "v_proj"]
    p = _settings("ppo", tiny_model_dir, "--reward_model_name", "rm", "--init_kl_coef", "0.3", "--ppo_epochs", "3")
    assert (p.train.reward_model_path, p.train.kl_coef, p.train.num_ppo_epochs) == ("rm", 0.3, 3)
    assert p.train.sft_model_path == str(tiny_model_dir)


def test_recipe_then_command_line(tiny_model_dir, tmp_path):
    recipe = tmp_path / "mine.yaml"
    recipe.write_text("learning_rate: 3.0e-4\nbeta: 0.2\nmax_steps: 7\n")
    from tomlab.finetune.args import parse_stage_args

    s = parse_stage_args("dpo", "t", "runs/x", ["--config", str(recipe), "--model_name", str(tiny_model_dir),
                                                "--max_steps", "9"])
    assert (s.train.learning_rate, s.train.beta, s.train.max_steps, s.preset) == (3e-4, 0.2, 9, "mine")
    assert s.train.report_to == ["tensorboard"] and s.train.gradient_checkpointing is False


def test_question_kinds_from_recipe_or_command_line(tiny_model_dir, tmp_path):
    recipe = tmp_path / "kinds.yaml"
    recipe.write_text("question_kinds: [first_scorer, why]\n")
    from tomlab.finetune.args import parse_stage_args

    s = parse_stage_args("reward", "t", "runs/x", ["--config", str(recipe), "--model_name", str(tiny_model_dir)])
    assert s.data.question_kinds == ["first_scorer", "why"]
    s = _settings("reward", tiny_model_dir, "--question_kinds", "count_start", "first_place")
    assert s.data.question_kinds == ["count_start", "first_place"]
    assert _settings("reward", tiny_model_dir).data.question_kinds is None


def test_presets_keep_the_original_recipe():
    import yaml

    from tomlab.finetune.args import RECIPES

    g = {stage: yaml.safe_load((RECIPES / "gpt4all-j" / f"{stage}.yaml").read_text())
         for stage in ("sft", "reward", "ppo", "dpo")}
    assert g["sft"]["model_name_or_path"] == "nomic-ai/gpt4all-j" and g["sft"]["model_revision"] == "v1.3-groovy"
    assert (g["sft"]["learning_rate"], g["sft"]["max_steps"], g["sft"]["max_length"], g["sft"]["lora_r"]) == \
        (1e-4, 10000, 256, 16)
    assert (g["reward"]["learning_rate"], g["reward"]["per_device_train_batch_size"], g["reward"]["lora_r"]) == \
        (2e-5, 1, 8)
    assert (g["ppo"]["learning_rate"], g["ppo"]["kl_coef"], g["ppo"]["per_device_train_batch_size"] *
            g["ppo"]["gradient_accumulation_steps"], g["ppo"]["load_in_4bit"]) == (1.41e-7, 0.2, 32, True)
    assert (g["dpo"]["beta"], g["dpo"]["learning_rate"], g["dpo"]["warmup_steps"], g["dpo"]["max_steps"],
            g["dpo"]["optim"]) == (0.1, 5e-6, 250, 8500, "paged_adamw_32bit")
    assert all(g[stage]["dataset"] == "Dahoas/synthetic-instruct-gptj-pairwise" for stage in g)


def test_every_recipe_parses(tiny_model_dir):
    from tomlab.finetune.args import RECIPES

    for recipe in sorted(RECIPES.glob("*/*.yaml")):
        if recipe.parent.name == "gpt4all-j":
            continue  # needs bitsandbytes/CUDA (checked by test_bad_settings_are_one_clear_error)
        s = _settings(recipe.stem, tiny_model_dir, "--preset", recipe.parent.name)
        assert s.preset == recipe.parent.name


@pytest.mark.parametrize("stage", ["reward", "dpo"])
def test_lora_dropout_is_as_configured(tiny_model_dir, tmp_path, stage):
    """TRL's RewardConfig/DPOConfig default disable_dropout=True would set every LoRA dropout to 0."""
    from tomlab.data import load_preference_dataset
    from tomlab.finetune.common import load_model_for, load_tokenizer_for, lora_config

    s = _settings(stage, tiny_model_dir, "--lora_dropout", "0.1", "--output_dir", str(tmp_path / stage))
    assert s.train.disable_dropout is False
    tok = load_tokenizer_for(str(tiny_model_dir), s)
    train, evals = load_preference_dataset(max_train_samples=4, max_eval_samples=2)
    if stage == "reward":
        from tomlab.finetune.reward import build_reward_trainer

        model = build_reward_trainer(s, str(tiny_model_dir), train, evals, tok, []).model
    else:
        from tomlab.finetune.dpo import pretokenized_dpo_trainer_class

        model = pretokenized_dpo_trainer_class()(model=load_model_for(str(tiny_model_dir), s), args=s.train,
                                                 train_dataset=train, processing_class=tok,
                                                 peft_config=lora_config(s, "CAUSAL_LM")).model
    rates = {m.p for name, m in model.named_modules() if "lora_dropout" in name and hasattr(m, "p")}
    assert rates == {0.1}


@pytest.mark.parametrize("extra, match", [
    (["--load_in_4bit"], "--load_in_4bit needs a CUDA GPU"),
    (["--load_in_8bit"], "--load_in_8bit needs a CUDA GPU"),
    (["--dataset", "missing.jsonl"], "--dataset missing.jsonl: no such file or folder"),
    (["--model_name_or_path", "./no/such/model"], "--model_name_or_path ./no/such/model: no such local folder"),
    (["--learning_rate", "0"], "--learning_rate must be positive"),
    (["--bf16", "true", "--fp16", "true"], "bad settings: "),
    (["--preset", "nosuch"], "--preset nosuch: no recipe configs/recipes/nosuch/dpo.yaml"),
    (["--use_peft", "false"], "--use_peft false"),
    (["--preset", "gpt4all-j"], "--optim paged_adamw_32bit needs bitsandbytes"),
])
def test_bad_settings_are_one_clear_error(tiny_model_dir, tmp_path, capsys, extra, match):
    import importlib.util

    import torch

    if ("CUDA" in match and torch.cuda.is_available()) or ("bitsandbytes" in match
                                                           and importlib.util.find_spec("bitsandbytes")):
        pytest.skip("CUDA / bitsandbytes present")
    argv = ["--model_name_or_path", str(tiny_model_dir), "--output_dir", str(tmp_path / "o"), *FEW, *extra]
    if "--preset" in extra:
        argv = [a for i, a in enumerate(argv) if not (a == "--preset" and argv[i + 1] == "smoke") and
                not (a == "smoke" and argv[i - 1] == "--preset")]
    fails("DPO/dpo_finetuning.py", argv, capsys, match)
    assert not (tmp_path / "o").exists()


def test_bad_recipe_is_one_clear_error(tiny_model_dir, tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("learning_rat: 1.0e-4\n")
    fails("DPO/dpo_finetuning.py", ["--config", str(recipe), "--model_name_or_path", str(tiny_model_dir)], capsys,
          "unknown setting learning_rat for the dpo stage")
