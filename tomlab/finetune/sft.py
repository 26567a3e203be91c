"""Supervised finetuning (TRL ``SFTTrainer``, LoRA) on prompt + chosen answer; measures the held-out loss before
and after training."""

from __future__ import annotations

from ..data import tokenize_prompt, tokenize_response
from .common import (
    LogRecorder,
    events_to_output_dir,
    finish,
    fmt,
    load_model_for,
    log,
    lora_config,
    print_summary,
    resume_arg,
    start,
)


def run_sft(s, callbacks: list) -> dict:
    from trl import SFTTrainer

    model_path, train, evals, tokenizer = start(s, "--model_name_or_path")

    def tokenize(row):
        prompt_ids = tokenize_prompt(tokenizer, row["prompt"], max_prompt_length=s.script.max_prompt_length)
        answer_ids = tokenize_response(tokenizer, row["chosen"])
        # SFTConfig.completion_only_loss decides whether the prompt tokens count in the loss
        return {"input_ids": prompt_ids + answer_ids, "completion_mask": [0] * len(prompt_ids) + [1] * len(answer_ids)}

    train = train.map(tokenize, remove_columns=train.column_names, desc="Tokenizing train")
    evals = evals.map(tokenize, remove_columns=evals.column_names, desc="Tokenizing eval")
    model = load_model_for(model_path, s, revision=s.model.model_revision)
    recorder = LogRecorder()
    trainer = SFTTrainer(model=model, args=s.train, train_dataset=train, eval_dataset=evals,
                         processing_class=tokenizer, peft_config=lora_config(s, "CAUSAL_LM"),
                         callbacks=[recorder, *callbacks])
    events_to_output_dir(trainer)
    log("evaluating before training ...")
    before = trainer.evaluate().get("eval_loss")
    trainer.train(resume_from_checkpoint=resume_arg(s))
    after = trainer.evaluate().get("eval_loss")
    metrics = {"eval_loss_before": before, "eval_loss_after": after, "train_steps": trainer.state.global_step}
    final = finish(s, trainer, tokenizer, model_path, metrics, "causal-lm")
    print_summary(s, [f"held-out loss on the chosen answers ({len(evals)} pairs): {fmt(before)} -> {fmt(after)}"],
                  final, model_path)
    return metrics
