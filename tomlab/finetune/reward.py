"""Pairwise reward model (TRL ``RewardTrainer``: sequence classification with one output, LoRA, loss
-logsigmoid(r_chosen - r_rejected)) on the merged SFT model; measures held-out pairwise accuracy before and after."""

from __future__ import annotations

from ..data import tokenize_prompt, tokenize_response
from . import common
from .args import StageSettings
from .common import change
from .precision import float32_score_head
from .skeleton import Opening, Stage, Trained, tokenized


def build_reward_trainer(s: StageSettings, model_path: str, train, evals, tokenizer, callbacks: list):
    """The RewardTrainer on pre-tokenized pairs, its ``score`` head trainable in float32."""
    from trl import RewardTrainer

    def tokenize(row):
        prompt_ids = tokenize_prompt(tokenizer, row["prompt"], max_prompt_length=s.script.max_prompt_length)
        return {"chosen_ids": prompt_ids + tokenize_response(tokenizer, row["chosen"]),
                "rejected_ids": prompt_ids + tokenize_response(tokenizer, row["rejected"])}

    train, evals = tokenized(train, evals, tokenize)
    model = common.load_model_for(model_path, s, task="seq-cls", revision=s.model.model_revision)
    model.config.pad_token_id = tokenizer.pad_token_id
    float32_score_head(model)  # peft's modules_to_save copies it: the trained head is float32 too
    return RewardTrainer(model=model, args=s.train, train_dataset=train, eval_dataset=evals,
                         processing_class=tokenizer, peft_config=common.lora_config(s, "SEQ_CLS"), callbacks=callbacks)


class RewardStage(Stage):
    task = "seq-cls"

    def heldout_rows(self, evals):
        return None  # a reward model answers nothing: it is measured on the held-out pairs

    def build_trainer(self, opening: Opening, callbacks: list):
        return build_reward_trainer(self.s, opening.model_path, opening.train, opening.evals, opening.tokenizer,
                                    callbacks)

    def metrics(self, run: Trained) -> dict:
        before, after = run.before.evaluation, run.after.evaluation
        return {"eval_accuracy_before": before.get("eval_accuracy"), "eval_accuracy_after": after.get("eval_accuracy"),
                "eval_margin_before": before.get("eval_margin"), "eval_margin_after": after.get("eval_margin"),
                "eval_loss_after": after.get("eval_loss"), "eval_pairs": len(run.opening.evals),
                "train_steps": run.trainer.state.global_step}

    def summary_lines(self, run: Trained, metrics: dict) -> list[str]:
        return [f"pairwise accuracy on {metrics['eval_pairs']} held-out pairs (chosen scored above rejected): "
                f"{change(metrics, 'eval_accuracy')}",
                f"mean reward margin chosen - rejected: {change(metrics, 'eval_margin')}"]
