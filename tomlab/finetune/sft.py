"""Supervised finetuning (TRL ``SFTTrainer``, LoRA) on prompt + chosen answer; measures the held-out loss before
and after training, and on ToM items (``--tom_items``) also held-out prompts answered greedily (gold accuracy per
form, answer length)."""

from __future__ import annotations

from ..data import tokenize_prompt, tokenize_response
from . import common, heldout
from .common import fmt


def run_sft(s, callbacks: list) -> dict:
    from trl import SFTTrainer

    model_path, train, evals, tokenizer = common.start(s, "--model_name_or_path")
    rows = heldout.heldout_rows(evals, s.script.heldout_prompts) if s.data.tom_items else None
    template = heldout.prompt_template(s)

    def tokenize(row):
        prompt_ids = tokenize_prompt(tokenizer, row["prompt"], max_prompt_length=s.script.max_prompt_length,
                                     template=template)
        answer_ids = tokenize_response(tokenizer, row["chosen"])
        # SFTConfig.completion_only_loss decides whether the prompt tokens count in the loss
        return {"input_ids": prompt_ids + answer_ids, "completion_mask": [0] * len(prompt_ids) + [1] * len(answer_ids)}

    train = train.map(tokenize, remove_columns=train.column_names, desc="Tokenizing train")
    evals = evals.map(tokenize, remove_columns=evals.column_names, desc="Tokenizing eval")
    model = common.load_model_for(model_path, s, revision=s.model.model_revision)
    recorder = common.LogRecorder()
    trainer = SFTTrainer(model=model, args=s.train, train_dataset=train, eval_dataset=evals,
                         processing_class=tokenizer, peft_config=common.lora_config(s, "CAUSAL_LM"),
                         callbacks=[recorder, *callbacks])
    common.events_to_output_dir(trainer)
    common.log("evaluating before training ...")
    before = trainer.evaluate().get("eval_loss")
    before_answers = heldout.measure(trainer.model, tokenizer, rows, s, adapter_off=True) if rows is not None else None
    trainer.train(resume_from_checkpoint=common.resume_arg(s))
    after = trainer.evaluate().get("eval_loss")
    metrics = {"eval_loss_before": before, "eval_loss_after": after, "train_steps": trainer.state.global_step}
    lines = [f"held-out loss on the chosen answers ({len(evals)} pairs): {fmt(before)} -> {fmt(after)}"]
    if rows is not None:
        after_answers = heldout.measure(trainer.model, tokenizer, rows, s)
        heldout.save_answers(s.train.output_dir, rows, before_answers, after_answers)
        metrics.update(heldout.summary(before_answers, after_answers))
        lines.append(heldout.tom_line(metrics))
    final = common.finish(s, trainer, tokenizer, model_path, metrics, "causal-lm")
    common.print_summary(s, lines, final, model_path)
    return metrics
