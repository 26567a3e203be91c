"""GRPO (TRL ``GRPOTrainer``, LoRA) on ToM items with a verifiable reward, after ToM-RL (Lu et al. 2025,
arXiv 2504.01698).

For each training prompt the policy samples ``--num_generations`` answers. Each answer's reward is the sum of two
terms (:func:`gold_reward`, :func:`format_reward`; TRL logs each one's mean, ``rewards/<name>/mean``):

* :data:`GOLD_REWARD` when its final answer, read as the ToMi scorer reads it (:func:`tomlab.finetune.tom.read_answer`:
  the one container the open answer names, the yes/no verdict of a probe), is the gold one, else 0;
* :data:`FORMAT_REWARD` when it ended (EOS) and a final answer could be read at all, right or wrong.

An answer's advantage is its reward relative to the other answers to the same prompt (TRL: minus the group's mean,
divided by its standard deviation), so a prompt whose answers all score alike teaches nothing. There is no reward
model and no value model; the reference (policy with its adapter switched off) is only used with ``--beta`` > 0.

Measures a fixed set of held-out prompts answered greedily before and after training (gold accuracy per form,
answer length in tokens) and, from the training rollouts, the reward curve (first vs last quarter of the steps).
"""

from __future__ import annotations

from functools import partial

from ..data import tokenize_prompt
from ..errors import ToMLabError
from . import common, heldout
from .args import StageSettings
from .common import fmt
from .skeleton import Opening, Stage, Trained
from .tom import GOLD_COLUMNS, read_answer

#: Reward of an answer whose final answer is the gold one.
GOLD_REWARD = 1.0
#: Added for an answer that ended (EOS) and whose final answer can be read, right or wrong: small beside
#: GOLD_REWARD, so that a readable wrong answer never outscores a right one, yet it favours an answer the scorer can
#: read over rambling cut at the token limit.
FORMAT_REWARD = 0.1


def _readings(completions, completion_ids, eos_token_id: int, grader, rows: dict) -> list[tuple[str | None, bool]]:
    """(the answer each completion gives, whether it ended with EOS), per completion."""
    from ..grading import Grader

    grader = grader or Grader()
    out = []
    for i, (text, ids) in enumerate(zip(completions, completion_ids)):
        ended = bool(ids) and ids[-1] == eos_token_id
        row = {col: rows[col][i] for col in GOLD_COLUMNS}
        out.append((read_answer(text, row, ended, grader), ended))
    return out


def gold_reward(completions, completion_ids, *, eos_token_id: int, grader=None, **columns) -> list[float]:
    """:data:`GOLD_REWARD` for each completion whose final answer is the gold ``answer``, else 0.

    TRL passes the dataset's columns (``answer``, ``form``, ``choices``, ``story``, ``question``) as lists, one value
    per completion."""
    readings = _readings(completions, completion_ids, eos_token_id, grader, columns)
    return [GOLD_REWARD if named == gold else 0.0 for (named, _), gold in zip(readings, columns["answer"])]


def format_reward(completions, completion_ids, *, eos_token_id: int, grader=None, **columns) -> list[float]:
    """:data:`FORMAT_REWARD` for each completion that ended and whose final answer can be read, else 0."""
    readings = _readings(completions, completion_ids, eos_token_id, grader, columns)
    return [FORMAT_REWARD if named is not None and ended else 0.0 for named, ended in readings]


def reward_functions(eos_token_id: int) -> list:
    """The reward functions handed to TRL (named ``gold_reward`` and ``format_reward`` in its logs)."""
    from ..grading import Grader

    grader = Grader()  # one per run: it caches what it derives from each story
    return [partial(gold_reward, eos_token_id=eos_token_id, grader=grader),
            partial(format_reward, eos_token_id=eos_token_id, grader=grader)]


def grpo_trainer_class(template: str, max_prompt_length: int):
    """GRPOTrainer whose prompts are tokenized by :func:`tomlab.data.tokenize_prompt` (the ids the held-out
    measurement and the other stages use, cut to their last ``max_prompt_length`` tokens)."""
    from trl import GRPOTrainer

    class ToMGRPOTrainer(GRPOTrainer):
        def _tokenize_prompts(self, prompts: list):
            ids = [tokenize_prompt(self.processing_class, p, max_prompt_length=max_prompt_length, template=template)
                   for p in prompts]
            return ids, None, {}

    return ToMGRPOTrainer


def build_grpo_trainer(s: StageSettings, model, tokenizer, train, callbacks: list):
    groups = s.train.generation_batch_size // s.train.num_generations
    if len(train) < groups:
        raise ToMLabError(f"{len(train)} training prompts are fewer than one generation batch ({groups} prompts x "
                          f"{s.train.num_generations} answers)")
    train = train.select_columns(["prompt", *GOLD_COLUMNS])
    cls = grpo_trainer_class(heldout.prompt_template(s), s.script.max_prompt_length)
    return cls(model=model, reward_funcs=reward_functions(tokenizer.eos_token_id), args=s.train, train_dataset=train,
               processing_class=tokenizer, peft_config=common.lora_config(s, "CAUSAL_LM"), callbacks=callbacks)


def _mean(rows: list[dict], key: str):
    values = [r[key] for r in rows if r.get(key) is not None]
    return sum(values) / len(values) if values else None


def curve_metrics(logs: list[dict]) -> dict:
    """First vs last quarter of the logged training steps: reward (and its two terms), answer length, the share of
    prompts whose answers all scored alike (no learning signal), entropy, KL (with --beta > 0)."""
    steps = [r for r in logs if "reward" in r]
    if not steps:
        raise ToMLabError("GRPO logged no step: check --max_steps / --num_train_epochs against the data")
    k = max(1, len(steps) // 4)
    first, last = steps[:k], steps[-k:]
    keys = {"reward": "reward", "gold_reward": "rewards/gold_reward/mean",
            "format_reward": "rewards/format_reward/mean", "completion_tokens": "completions/mean_length",
            "zero_std_share": "frac_reward_zero_std", "entropy": "entropy"}
    metrics = {"logged_steps": len(steps), "curve_quarter": k}
    for name, key in keys.items():
        metrics[f"{name}_first"], metrics[f"{name}_last"] = _mean(first, key), _mean(last, key)
    metrics["kl_last"] = _mean(last, "kl")
    return metrics


class GRPOStage(Stage):
    evaluates = False  # no eval loss: measured by the held-out answers and the reward curve

    def build_trainer(self, opening: Opening, callbacks: list):
        s = self.s
        model = common.load_model_for(opening.model_path, s, revision=s.model.model_revision)
        trainer = build_grpo_trainer(s, model, opening.tokenizer, opening.train, callbacks)
        config = trainer.args
        common.log(f"GRPO: {config.num_generations} answers per prompt, {config.generation_batch_size} answers per "
                   f"generation batch, <= {config.max_completion_length} new tokens at temperature "
                   f"{config.temperature}; rewards: gold {GOLD_REWARD}, format {FORMAT_REWARD}; beta {config.beta}, "
                   f"lr {config.learning_rate}")
        return trainer

    def metrics(self, run: Trained) -> dict:
        return {"train_steps": run.trainer.state.global_step, "num_generations": run.trainer.args.num_generations,
                "gold_reward_value": GOLD_REWARD, "format_reward_value": FORMAT_REWARD, **curve_metrics(run.logs)}

    def summary_lines(self, run: Trained, metrics: dict) -> list[str]:
        k = metrics["curve_quarter"]

        def span(name: str, digits: int = 3) -> str:
            return f"{fmt(metrics[f'{name}_first'], digits)} -> {fmt(metrics[f'{name}_last'], digits)}"

        return [heldout.tom_line(metrics),
                f"training answers (sampled, {metrics['num_generations']} per prompt), first {k} vs last {k} steps: "
                f"reward {span('reward')} (gold {span('gold_reward')}, format {span('format_reward')}); answer length "
                f"{span('completion_tokens', 1)} tokens; prompts whose answers all scored alike "
                f"{span('zero_std_share')}"]
