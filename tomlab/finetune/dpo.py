"""DPO (TRL ``DPOTrainer``, LoRA) of the merged SFT model; reference = the same model with the adapter switched off.

Measures, before and after training: the held-out implicit-reward accuracy and margin (both 0 before, when policy
= reference) and DPO loss, and a fixed set of held-out prompts answered greedily (gold accuracy).
"""

from __future__ import annotations

from ..data import tokenize_prompt, tokenize_response
from . import common, heldout
from .common import change
from .skeleton import Opening, Stage, Trained, tokenized


def pretokenized_dpo_trainer_class():
    """DPOTrainer fed with ids tokenized by :mod:`tomlab.data` (prompt and answer apart, see
    :func:`tomlab.data.tokenize_response`); TRL 1.12 would re-tokenize prompt + answer jointly."""
    from trl import DPOTrainer

    class PretokenizedDPOTrainer(DPOTrainer):
        def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
            if "prompt_ids" not in dataset.column_names:
                return super()._prepare_dataset(dataset, processing_class, args, dataset_name)
            if args.max_length is not None:
                dataset = dataset.filter(lambda row: len(row["prompt_ids"]) < args.max_length,
                                         desc=f"Dropping fully truncated {dataset_name} pairs")
            return dataset

    return PretokenizedDPOTrainer


def _implicit_reward(result: dict) -> dict:
    return {"accuracy": result.get("eval_rewards/accuracies"), "margin": result.get("eval_rewards/margins"),
            "chosen": result.get("eval_rewards/chosen"), "rejected": result.get("eval_rewards/rejected"),
            "loss": result.get("eval_loss")}


class DPOStage(Stage):
    def build_trainer(self, opening: Opening, callbacks: list):
        s, tokenizer = self.s, opening.tokenizer
        template = heldout.prompt_template(s)

        def tokenize(row):
            return {"prompt_ids": tokenize_prompt(tokenizer, row["prompt"],
                                                  max_prompt_length=s.script.max_prompt_length, template=template),
                    "chosen_ids": tokenize_response(tokenizer, row["chosen"]),
                    "rejected_ids": tokenize_response(tokenizer, row["rejected"])}

        train, pairs = tokenized(opening.train, opening.evals, tokenize)
        model = common.load_model_for(opening.model_path, s, revision=s.model.model_revision)
        return pretokenized_dpo_trainer_class()(model=model, ref_model=None, args=s.train, train_dataset=train,
                                                eval_dataset=pairs, processing_class=tokenizer,
                                                peft_config=common.lora_config(s, "CAUSAL_LM"), callbacks=callbacks)

    def metrics(self, run: Trained) -> dict:
        before, after = _implicit_reward(run.before.evaluation), _implicit_reward(run.after.evaluation)
        return {**{f"eval_reward_{k}_before": v for k, v in before.items()},
                **{f"eval_reward_{k}_after": v for k, v in after.items()}, "eval_pairs": len(run.opening.evals),
                "train_steps": run.trainer.state.global_step}

    def summary_lines(self, run: Trained, metrics: dict) -> list[str]:
        return [f"held-out implicit-reward accuracy ({metrics['eval_pairs']} pairs): "
                f"{change(metrics, 'eval_reward_accuracy')}; margin chosen - rejected "
                f"{change(metrics, 'eval_reward_margin')}; DPO loss {change(metrics, 'eval_reward_loss')}",
                heldout.tom_line(metrics) if self.s.data.tom_items else
                f"held-out prompts ({len(run.rows)}, greedy): gold accuracy "
                f"{change(metrics, 'heldout_gold_accuracy')}, answers ending with EOS "
                f"{change(metrics, 'heldout_ended_with_eos')}"]
