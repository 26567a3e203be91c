"""Pairwise reward model (TRL ``RewardTrainer``: sequence classification with one output, LoRA, loss
-logsigmoid(r_chosen - r_rejected)) on the merged SFT model; measures held-out pairwise accuracy before and after."""

from __future__ import annotations

from ..data import tokenize_prompt, tokenize_response
from . import common
from .common import change
from .precision import float32_score_head


def build_reward_trainer(s, model_path: str, train, evals, tokenizer, callbacks: list):
    """The RewardTrainer on pre-tokenized pairs, its ``score`` head trainable in float32."""
    from trl import RewardTrainer

    def tokenize(row):
        prompt_ids = tokenize_prompt(tokenizer, row["prompt"], max_prompt_length=s.script.max_prompt_length)
        return {"chosen_ids": prompt_ids + tokenize_response(tokenizer, row["chosen"]),
                "rejected_ids": prompt_ids + tokenize_response(tokenizer, row["rejected"])}

    train = train.map(tokenize, remove_columns=train.column_names, desc="Tokenizing train")
    evals = evals.map(tokenize, remove_columns=evals.column_names, desc="Tokenizing eval")
    model = common.load_model_for(model_path, s, task="seq-cls", revision=s.model.model_revision)
    model.config.pad_token_id = tokenizer.pad_token_id
    float32_score_head(model)  # peft's modules_to_save copies it: the trained head is float32 too
    return RewardTrainer(model=model, args=s.train, train_dataset=train, eval_dataset=evals,
                         processing_class=tokenizer, peft_config=common.lora_config(s, "SEQ_CLS"), callbacks=callbacks)


def run_reward(s, callbacks: list) -> dict:
    model_path, train, evals, tokenizer = common.start(s, "--model_name_or_path")
    recorder = common.LogRecorder()
    trainer = build_reward_trainer(s, model_path, train, evals, tokenizer, [recorder, *callbacks])
    common.events_to_output_dir(trainer)
    common.log("evaluating before training ...")
    before = trainer.evaluate()
    trainer.train(resume_from_checkpoint=common.resume_arg(s))
    after = trainer.evaluate()
    metrics = {"eval_accuracy_before": before.get("eval_accuracy"), "eval_accuracy_after": after.get("eval_accuracy"),
               "eval_margin_before": before.get("eval_margin"), "eval_margin_after": after.get("eval_margin"),
               "eval_loss_after": after.get("eval_loss"), "eval_pairs": len(evals),
               "train_steps": trainer.state.global_step}
    final = common.finish(s, trainer, tokenizer, model_path, metrics, "seq-cls")
    common.print_summary(s, [f"pairwise accuracy on {len(evals)} held-out pairs (chosen scored above rejected): "
                             f"{change(metrics, 'eval_accuracy')}",
                             f"mean reward margin chosen - rejected: {change(metrics, 'eval_margin')}"],
                         final, model_path)
    return metrics
