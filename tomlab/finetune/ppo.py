"""PPO (``trl.experimental.ppo.PPOTrainer``) of the merged SFT model against the merged reward model.

Policy = merged SFT + LoRA; reference = the policy with its adapter switched off; critic = the reward model's
weights with their own LoRA and a float32 ``score`` head. Measures a fixed set of held-out prompts, answered
greedily, before and after training (mean reward-model score, gold accuracy), besides TRL's per-update logs.

One process only: TRL 1.12's PPOTrainer reaches ``model.policy`` on the model that ``accelerate`` wrapped, which
fails under DDP (AttributeError) and DeepSpeed (which also casts the float32 critic head to bf16), so a
multi-process or DeepSpeed launch is refused with one error line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..data import tokenize_prompt
from ..errors import ToMLabError
from . import common, heldout
from .args import StageSettings
from .common import change, fmt
from .precision import float32_score_head, mixed_precision
from .skeleton import Opening, Stage, Trained

if TYPE_CHECKING:
    from transformers import PreTrainedModel


def refuse_multiprocess() -> None:
    """One clear line instead of TRL's AttributeError or dtype error deep inside the first update."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    deepspeed = os.environ.get("ACCELERATE_USE_DEEPSPEED", "false").lower() in ("1", "true")
    if world > 1 or deepspeed:
        how = f"{world} processes" if world > 1 else "DeepSpeed"
        raise ToMLabError(f"PPO runs in one process without DeepSpeed ({how} requested): TRL 1.12's PPOTrainer "
                          "cannot use a wrapped model; start PPO/ppo_rl_training.py with plain python")


def value_model(path: str, s: StageSettings, tokenizer):
    """The critic: the reward model's weights with their own LoRA adapter (injected in place) and a trainable
    float32 head. TRL reaches the critic's backbone by ``base_model_prefix`` and its ``score`` head, so the adapter is
    injected rather than wrapping the model in a PeftModel."""
    import torch
    from peft import inject_adapter_in_model
    from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as TARGETS

    value = common.load_model_for(path, s, task="seq-cls")
    value.config.pad_token_id = tokenizer.pad_token_id
    cfg = common.lora_config(s, "SEQ_CLS")
    cfg.modules_to_save, cfg.task_type, cfg.exclude_modules = None, None, ["score"]
    if cfg.target_modules is None:
        cfg.target_modules = TARGETS.get(value.config.model_type, ["q_proj", "v_proj"])
    value = inject_adapter_in_model(cfg, value)
    for name, param in value.named_parameters():
        param.requires_grad = "lora_" in name
        if param.requires_grad and param.dtype != torch.float32:
            param.data = param.data.float()  # peft casts the input to the adapter's dtype and back
    float32_score_head(value)
    value.score.requires_grad_(True)
    return value


@dataclass
class PPOOpening(Opening):
    """What PPO starts from: besides the base model, data and tokenizer, its three models."""

    policy: PreTrainedModel  # the merged SFT model, trained with a LoRA adapter
    reward: PreTrainedModel  # the merged reward model, frozen; scores rollouts and the held-out answers
    value: PreTrainedModel  # the critic (value_model)


def _load(s: StageSettings) -> PPOOpening:
    """Paths, data, tokenizer (padding on the left), and the three models (policy, frozen reward model, critic)."""
    model_path = common.resolve(s.model.model_name_or_path, "--model_name_or_path")
    reward_path = common.resolve(s.train.reward_model_path, "--reward_model_name")
    train, evals = common.load_data(s)
    tokenizer = common.load_tokenizer_for(model_path, s, revision=s.model.model_revision, padding_side="left")
    reward_tok = common.load_tokenizer_for(reward_path, s, padding_side="left")
    if reward_tok.get_vocab() != tokenizer.get_vocab():
        raise ToMLabError(f"--reward_model_name {s.train.reward_model_path} has a different vocabulary than "
                          f"--model_name {s.model.model_name_or_path}: train the reward model on the merged SFT model")
    if reward_tok.pad_token_id != tokenizer.pad_token_id:
        raise ToMLabError("the reward model's pad token differs from the policy's; train it with this pipeline")
    policy = common.load_model_for(model_path, s, revision=s.model.model_revision)
    if s.train.gradient_checkpointing and not (s.model.load_in_8bit or s.model.load_in_4bit):
        policy.gradient_checkpointing_enable()  # PPOTrainer does not do it (quantized bases: prepare_model_...)
        policy.enable_input_require_grads()
    reward = common.load_model_for(reward_path, s, task="seq-cls", trainable=False)
    reward.config.pad_token_id = tokenizer.pad_token_id
    reward.requires_grad_(False)
    float32_score_head(reward)  # scores in float32 resolution (a bf16 score has 3 significant digits)
    return PPOOpening(model_path, train, evals, tokenizer, policy, reward, value_model(reward_path, s, tokenizer))


def build_ppo_trainer(s: StageSettings, tokenizer, policy, reward, value, train, evals, callbacks: list):
    """The PPOTrainer, its Accelerator in the mixed precision the config asks for (TRL builds it without one)."""
    import torch
    from accelerate.utils import patch_environment
    from trl.experimental.ppo import PPOTrainer

    def tokenize(row):
        return {"input_ids": tokenize_prompt(tokenizer, row["prompt"], max_prompt_length=s.script.max_prompt_length)}

    batch = s.train.per_device_train_batch_size * s.train.gradient_accumulation_steps
    if batch % s.train.num_mini_batches:
        raise ToMLabError(f"--num_mini_batches {s.train.num_mini_batches} must divide the rollout batch "
                          f"(--per_device_train_batch_size x --gradient_accumulation_steps = {batch})")
    if len(train) < batch:
        raise ToMLabError(f"{len(train)} training prompts are fewer than one rollout batch ({batch})")
    s.train.per_device_eval_batch_size = min(s.train.per_device_eval_batch_size, len(evals))
    train = train.map(tokenize, remove_columns=train.column_names, desc="Tokenizing prompts")
    evals = evals.map(tokenize, remove_columns=evals.column_names, desc="Tokenizing eval prompts")
    torch.manual_seed(s.train.seed)
    with patch_environment(accelerate_mixed_precision=mixed_precision(s.train)):
        return PPOTrainer(args=s.train, processing_class=tokenizer, model=policy, ref_model=None, reward_model=reward,
                          train_dataset=train, value_model=value, eval_dataset=evals,
                          peft_config=common.lora_config(s, "CAUSAL_LM"), callbacks=callbacks)


def _mean(rows: list[dict], key: str):
    values = [r[key] for r in rows if key in r]
    return sum(values) / len(values) if values else None


class PPOStage(Stage):
    evaluates = False  # TRL's PPOTrainer has no evaluation loss: measured by the held-out answers and the rollouts

    def open(self) -> PPOOpening:
        s = self.s
        common.header(s)
        if s.train.resume_from_checkpoint:
            raise ToMLabError("--resume_from_checkpoint: TRL 1.12's PPOTrainer cannot resume a run; start it again "
                              "(or continue from the merged policy with --model_name)")
        common.prepare_output_dir(s)
        return _load(s)

    def build_trainer(self, opening: PPOOpening, callbacks: list):
        trainer = build_ppo_trainer(self.s, opening.tokenizer, opening.policy, opening.reward, opening.value,
                                    opening.train, opening.evals, callbacks)
        config = trainer.args
        common.log(f"PPO: {config.num_total_batches} updates of {config.batch_size} rollouts ({config.response_length} "
                   f"new tokens at most, KL coefficient {config.kl_coef}, lr {config.learning_rate}, mixed precision "
                   f"{trainer.accelerator.mixed_precision})")
        return trainer

    def answer(self, trainer, opening: PPOOpening, rows, before: bool) -> dict:
        """The policy's greedy answers, each scored by the reward model."""
        return heldout.measure(trainer.model.policy, opening.tokenizer, rows, self.s, reward_model=opening.reward,
                               adapter_off=before)

    def train(self, trainer) -> None:
        trainer.train()  # no resumption (refused in open)

    def metrics(self, run: Trained) -> dict:
        updates = [r for r in run.logs if "objective/scores" in r]
        if not updates:
            raise ToMLabError("PPO logged no update: check --total_episodes against the rollout batch size")
        k = _quarter(len(updates))
        first, last = updates[:k], updates[-k:]
        return {"updates": len(updates), "rollouts_per_update": run.trainer.args.batch_size,
                "mean_reward_first": _mean(first, "objective/scores"),
                "mean_reward_last": _mean(last, "objective/scores"), "kl_last": _mean(last, "objective/kl"),
                "entropy_first": _mean(first, "objective/entropy"), "entropy_last": _mean(last, "objective/entropy"),
                "rlhf_reward_last": _mean(last, "objective/rlhf_reward"),
                "mixed_precision": run.trainer.accelerator.mixed_precision}

    def summary_lines(self, run: Trained, metrics: dict) -> list[str]:
        k = _quarter(metrics["updates"])
        return [f"held-out prompts ({len(run.rows)}, greedy): mean reward-model score "
                f"{change(metrics, 'heldout_mean_reward')}, gold accuracy {change(metrics, 'heldout_gold_accuracy')}",
                f"rollout score (sampled), first {k} vs last {k} updates: "
                f"{fmt(metrics['mean_reward_first'])} -> {fmt(metrics['mean_reward_last'])}",
                f"KL(policy || reference) over the last {k} updates: {fmt(metrics['kl_last'])}; "
                f"entropy {fmt(metrics['entropy_first'])} -> {fmt(metrics['entropy_last'])}"]


def _quarter(updates: int) -> int:
    """How many updates the first and the last quarter hold (at least one)."""
    return max(1, updates // 4)
