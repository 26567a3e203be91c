"""Every finetuning stage runs a few steps on a tiny random Llama (in-process, seconds) and chains through disk:
SFT -> merge -> reward model -> merge -> PPO -> merge, and SFT -> merge -> DPO -> merge; each logs TensorBoard event
files and measures itself before and after. Bad input fails clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, fails, script

FEW = ["--preset", "smoke", "--max_train_samples", "16", "--max_eval_samples", "8", "--per_device_eval_batch_size",
       "8", "--save_steps", "1000", "--heldout_prompts", "4", "--heldout_max_new_tokens", "4"]


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def chain(tiny_model_dir, tmp_path_factory):
    """Run SFT and merge it once; the later stages start from this merged model."""
    root = tmp_path_factory.mktemp("chain")
    script("PPO/ppo_supervised_finetuning.py")(
        ["--model_name", str(tiny_model_dir), "--output_dir", str(root / "sft"), "--max_steps", "2", *FEW])
    script("merge_peft_adapter.py")(["--adapter_model_name", str(root / "sft" / "final_checkpoint"),
                                     "--output_name", str(root / "sft_merged")])
    return root


def _events(stage_dir: Path) -> list[Path]:
    return list((stage_dir / "runs").rglob("events.out.tfevents.*"))


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


def test_greedy_answers_stop_at_eos_and_keep_it(tiny_model_dir):
    import datasets

    from tomlab.finetune.common import load_tokenizer_for
    from tomlab.finetune.heldout import greedy_answers
    from tomlab.models import load_model

    s = _settings("dpo", tiny_model_dir)
    tok = load_tokenizer_for(str(tiny_model_dir), s)
    model = load_model(str(tiny_model_dir), dtype="float32", device="cpu")
    rows = datasets.Dataset.from_list([{"prompt": "Context: a. Question: b?"}, {"prompt": "Question: Yes?"}])
    texts, ids, ended = greedy_answers(model, tok, rows, max_prompt_length=64, max_new_tokens=5, batch_size=2)
    assert len(texts) == 2 and all(len(a) <= 5 for a in ids)
    for answer, done in zip(ids, ended):
        assert done == (bool(answer) and answer[-1] == tok.eos_token_id)
        assert tok.pad_token_id not in answer


def test_heldout_decoding_of_a_kbit_model_runs_under_the_stage_autocast(tiny_model_dir):
    """A k-bit model keeps lm_head in float32 while its body computes in bf16 (seen with 4-bit PPO on CUDA): the
    held-out measurement must decode it under autocast, as the trainer does. Simulated on the CPU."""
    from contextlib import nullcontext

    import datasets
    import torch

    from tomlab.finetune.common import load_tokenizer_for
    from tomlab.finetune.heldout import greedy_answers, quantized_autocast
    from tomlab.models import load_model

    s = _settings("dpo", tiny_model_dir)
    tok = load_tokenizer_for(str(tiny_model_dir), s)
    model = load_model(str(tiny_model_dir), dtype="bfloat16", device="cpu")
    model.lm_head.float()
    rows = datasets.Dataset.from_list([{"prompt": "Context: a. Question: b?"}])
    with pytest.raises(RuntimeError, match="dtype|scalar type"):
        greedy_answers(model, tok, rows, max_prompt_length=64, max_new_tokens=3, batch_size=1)
    model.is_quantized = True
    with quantized_autocast(model, s.train):
        texts, _, _ = greedy_answers(model, tok, rows, max_prompt_length=64, max_new_tokens=3, batch_size=1)
    assert len(texts) == 1
    assert isinstance(quantized_autocast(torch.nn.Linear(2, 2), s.train), nullcontext)  # not quantized: untouched


def test_heldout_gold_accuracy_reads_the_generator_metadata(tiny_model_dir, tmp_path, monkeypatch):
    """Gold accuracy: each held-out prompt's gold found in the dataset folder's eval.jsonl, judged by the data
    package's judge (here a stand-in: the answer names the gold); unreadable answers count as not correct."""
    import datasets

    from tomlab.finetune import heldout
    from tomlab.finetune.common import load_tokenizer_for
    from tomlab.models import load_model

    rows = [{"prompt": f"Context: story {i}. Question: q{i}?", "chosen": "a", "rejected": "b", "answer_type": "entity",
             "gold": "x", "options": ["x", "y"]} for i in range(3)]
    (tmp_path / "eval.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    s = _settings("dpo", tiny_model_dir, "--dataset", str(tmp_path), "--heldout_max_new_tokens", "3")
    verdicts = iter([True, None, False])
    monkeypatch.setattr(heldout, "judge", lambda text, row, ended: next(verdicts))
    tok = load_tokenizer_for(str(tiny_model_dir), s)
    model = load_model(str(tiny_model_dir), dtype="float32", device="cpu")
    result = heldout.measure(model, tok, datasets.Dataset.from_list(rows), s)
    assert result["gold_accuracy"] == 1 / 3 and result["gold_judged"] == 2 / 3 and result["gold"] == ["x"] * 3
    assert heldout.gold_metadata(str(tmp_path / "nowhere"), datasets.Dataset.from_list(rows)) is None


# ------------------------------------------------------------------------------------------- settings
def _settings(stage, model, *extra):
    from tomlab.finetune.args import parse_stage_args

    flags = ["--model_name", str(model), "--output_dir", "unused", "--preset", "smoke", *extra]
    if stage == "ppo" and "--reward_model_name" not in extra:
        flags += ["--reward_model_name", str(model)]
    return parse_stage_args(stage, "test", "runs/x", flags)


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


# ------------------------------------------------------------------------------------------- defects of issue 7
def _tiny_pairs(tok, n=2):
    from tomlab.data import tokenize_prompt, tokenize_response

    prompt = tokenize_prompt(tok, "Context: Ann put the key in the box. Question: Where is the key?")
    return [prompt + tokenize_response(tok, "In the box."), prompt + tokenize_response(tok, "In the bag.")][:n]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_reward_head_trains_in_float32_and_fp16_gradients_unscale(tiny_model_dir, tmp_path, dtype):
    """The trainable `score` head (and every other non-quantized trainable parameter) is float32 on a bf16/fp16
    base; so the fp16 grad scaler never meets fp16 gradients ("Attempting to unscale FP16 gradients")."""
    import torch

    from tomlab.data import load_preference_dataset
    from tomlab.finetune.common import load_tokenizer_for
    from tomlab.finetune.reward import build_reward_trainer

    s = _settings("reward", tiny_model_dir, "--dtype", dtype, "--bf16", str(dtype == "bfloat16"), "--output_dir",
                  str(tmp_path / "rm"))
    tok = load_tokenizer_for(str(tiny_model_dir), s)
    train, evals = load_preference_dataset(max_train_samples=4, max_eval_samples=2)
    trainer = build_reward_trainer(s, str(tiny_model_dir), train, evals, tok, [])
    trainable = {n: p for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert any("score" in n for n in trainable)
    assert {str(p.dtype) for p in trainable.values()} == {"torch.float32"}, trainable
    assert any(p.dtype == getattr(torch, dtype) for p in trainer.model.parameters()), "the base stays in " + dtype
    chosen, rejected = _tiny_pairs(tok)
    width = max(len(chosen), len(rejected))
    device = next(trainer.model.parameters()).device  # the trainer moved it to the GPU where there is one
    ids = torch.tensor([x + [tok.pad_token_id] * (width - len(x)) for x in (chosen, rejected)], device=device)
    mask = (ids != tok.pad_token_id).long()
    rewards = trainer.model(input_ids=ids, attention_mask=mask).logits[:, 0]
    assert rewards.dtype == torch.float32
    loss = -torch.nn.functional.logsigmoid(rewards[0] - rewards[1])
    optimizer = torch.optim.AdamW(trainable.values(), lr=1e-3)
    scaler = torch.amp.GradScaler(device.type)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)  # raises "Attempting to unscale FP16 gradients." on an fp16 trainable parameter
    scaler.step(optimizer)


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


def test_docs_state_the_prompt_formats_as_they_are():
    """docs/finetuning.md quotes the training prompt and the ToM item of the context format as the code builds them
    (they differ: the training prompt wraps the dataset's prompt in 'Question: ... Answer: ')."""
    from tomlab.data import format_prompt
    from tomlab.prompts import ALL_CONDITIONS, build_prompt
    from tomlab.scenarios import Scenario

    doc = (ROOT / "docs" / "finetuning.md").read_text()
    train = format_prompt("Context: {context} Question: {question}")
    item = build_prompt(Scenario(1, "{context}", "{question}", "yes"), ALL_CONDITIONS[0], [], "context")
    assert train != item
    for text in (train, item):
        assert text.replace("\n", "\\n") in doc, text
    assert "verbatim" not in doc


# ------------------------------------------------------------------------------------------------ bad input
def test_refuses_a_non_empty_output_dir(tiny_model_dir, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    fails("PPO/ppo_supervised_finetuning.py", ["--model_name", str(tiny_model_dir), "--output_dir",
                                               str(tmp_path / "out"), *FEW], capsys, "exists and is not empty")
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


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


def test_ppo_needs_a_reward_model_and_cannot_resume(tiny_model_dir, tmp_path, capsys):
    fails("PPO/ppo_rl_training.py", ["--model_name", str(tiny_model_dir), *FEW], capsys,
          "--reward_model_name is required")
    fails("PPO/ppo_rl_training.py", ["--model_name", str(tiny_model_dir), "--reward_model_name", str(tiny_model_dir),
                                     "--output_dir", str(tmp_path / "p"), "--resume_from_checkpoint", "last", *FEW],
          capsys, "cannot resume")


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
