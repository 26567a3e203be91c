"""Supervised finetuning (TRL ``SFTTrainer``, LoRA) on prompt + chosen answer; measures the held-out loss before
and after training, and on ToM items (``--tom_items``) also held-out prompts answered greedily (gold accuracy per
form, answer length)."""

from __future__ import annotations

from ..data import tokenize_prompt, tokenize_response
from . import common, heldout
from .common import fmt
from .skeleton import Opening, Stage, Trained, tokenized


class SFTStage(Stage):
    def heldout_rows(self, evals):
        """Held-out prompts for ToM items (``--tom_items``) only; otherwise SFT is measured by its held-out loss."""
        return super().heldout_rows(evals) if self.s.data.tom_items else None

    def build_trainer(self, opening: Opening, callbacks: list):
        from trl import SFTTrainer

        s, tokenizer = self.s, opening.tokenizer
        template = heldout.prompt_template(s)

        def tokenize(row):
            prompt_ids = tokenize_prompt(tokenizer, row["prompt"], max_prompt_length=s.script.max_prompt_length,
                                         template=template)
            answer_ids = tokenize_response(tokenizer, row["chosen"])
            # SFTConfig.completion_only_loss decides whether the prompt tokens count in the loss
            return {"input_ids": prompt_ids + answer_ids,
                    "completion_mask": [0] * len(prompt_ids) + [1] * len(answer_ids)}

        train, evals = tokenized(opening.train, opening.evals, tokenize)
        model = common.load_model_for(opening.model_path, s, revision=s.model.model_revision)
        return SFTTrainer(model=model, args=s.train, train_dataset=train, eval_dataset=evals,
                          processing_class=tokenizer, peft_config=common.lora_config(s, "CAUSAL_LM"),
                          callbacks=callbacks)

    def metrics(self, run: Trained) -> dict:
        return {"eval_loss_before": run.before.evaluation.get("eval_loss"),
                "eval_loss_after": run.after.evaluation.get("eval_loss"), "train_steps": run.trainer.state.global_step}

    def summary_lines(self, run: Trained, metrics: dict) -> list[str]:
        lines = [f"held-out loss on the chosen answers ({len(run.opening.evals)} pairs): "
                 f"{fmt(metrics['eval_loss_before'])} -> {fmt(metrics['eval_loss_after'])}"]
        if run.rows is not None:
            lines.append(heldout.tom_line(metrics))
        return lines
