"""The training skeleton every finetuning stage runs (:meth:`Stage.run`), written once; a stage (:mod:`.sft`,
:mod:`.reward`, :mod:`.dpo`, :mod:`.grpo`, :mod:`.ppo`) subclasses :class:`Stage` and supplies only what differs.

The skeleton, in order:

1. open (:meth:`Stage.open`): banner, base model, data, tokenizer, then the output folder;
2. the held-out prompts answered greedily before and after training (:meth:`Stage.heldout_rows`; None: none);
3. the stage's data and trainer (:meth:`Stage.build_trainer`), handed a :class:`common.LogRecorder` and the caller's
   callbacks; its TensorBoard events go to ``<output_dir>/runs`` (:func:`common.events_to_output_dir`);
4. measure before (:class:`Measured`), train (:meth:`Stage.train`), measure after;
5. the held-out answers to ``heldout_answers.jsonl``, the stage's metrics (:meth:`Stage.metrics`) followed by the
   held-out figures (:func:`heldout.summary`), adapter + tokenizer + ``metrics.json`` (:func:`common.finish`);
6. the summary: the stage's lines (:meth:`Stage.summary_lines`), then the adapter, curves and merge lines
   (:func:`common.print_summary`).

A measurement is the trainer's own evaluation on the held-out split (stages with :attr:`Stage.evaluates`) and the
greedy answers to the held-out prompts (:meth:`Stage.answer`). The console announces the first of them:
``evaluating before training ...``, or ``answering N held-out prompts greedily before training ...`` and
``answering the same N held-out prompts after training ...`` for a stage that does not evaluate.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import common, heldout
from .args import StageSettings

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import PreTrainedTokenizerBase, Trainer

#: What a stage records as the model its adapter trains (``task`` in metrics.json): a language model.
CAUSAL_LM = "causal-lm"


@dataclass
class Opening:
    """What a stage starts from."""

    model_path: str  # the base model's folder (resolved from --model_name_or_path)
    train: Dataset  # the training rows, as loaded (common.load_data)
    evals: Dataset  # the held-out rows, as loaded
    tokenizer: PreTrainedTokenizerBase


@dataclass
class Measured:
    """One measurement of the model, before or after training."""

    evaluation: dict | None  # what trainer.evaluate() returned (None: the stage does not evaluate)
    answers: dict | None  # heldout.measure of the held-out prompts (None: the stage answers none)


@dataclass
class Trained:
    """Everything a stage's metrics and summary lines read, once it has trained and measured."""

    opening: Opening
    rows: Dataset | None  # the held-out prompts answered before and after (None: none)
    trainer: Trainer
    logs: list[dict]  # every dict the trainer logged (common.LogRecorder), in order
    before: Measured
    after: Measured


def tokenized(train: Dataset, evals: Dataset, tokenize: Callable[[dict], dict]) -> tuple[Dataset, Dataset]:
    """(train, eval) rows mapped through ``tokenize``, which replaces every column of a row."""
    return (train.map(tokenize, remove_columns=train.column_names, desc="Tokenizing train"),
            evals.map(tokenize, remove_columns=evals.column_names, desc="Tokenizing eval"))


class Stage(ABC):
    """One finetuning stage: :meth:`run` is the skeleton; a subclass fills in :meth:`build_trainer`,
    :meth:`metrics` and :meth:`summary_lines`, and overrides the other hooks where it differs."""

    #: What the adapter trains, recorded in metrics.json: :data:`CAUSAL_LM` or ``seq-cls`` (a reward model).
    task = CAUSAL_LM
    #: Whether the trainer evaluates itself on the held-out split before and after training.
    evaluates = True

    def __init__(self, s: StageSettings):
        self.s = s

    # ------------------------------------------------------------------------------------------------ the hooks
    def open(self) -> Opening:
        """Banner, base model, data and tokenizer, then the output folder (last: bad input leaves it as it was)."""
        s = self.s
        common.header(s)
        model_path = common.resolve(s.model.model_name_or_path, "--model_name_or_path")
        train, evals = common.load_data(s)
        tokenizer = common.load_tokenizer_for(model_path, s, revision=s.model.model_revision)
        common.prepare_output_dir(s)
        return Opening(model_path, train, evals, tokenizer)

    def heldout_rows(self, evals: Dataset) -> Dataset | None:
        """The held-out prompts answered greedily before and after training: the first ``--heldout_prompts``."""
        return heldout.heldout_rows(evals, self.s.script.heldout_prompts)

    @abstractmethod
    def build_trainer(self, opening: Opening, callbacks: list) -> Trainer:
        """The stage's data (tokenized as it trains on them), model and TRL trainer, given ``callbacks``."""

    def answer(self, trainer: Trainer, opening: Opening, rows: Dataset, before: bool) -> dict:
        """Answer the held-out prompts greedily (:func:`heldout.measure`); before training with the adapter off."""
        return heldout.measure(trainer.model, opening.tokenizer, rows, self.s, adapter_off=before)

    def train(self, trainer: Trainer) -> None:
        """Train, resuming from a checkpoint where ``--resume_from_checkpoint`` asks."""
        trainer.train(resume_from_checkpoint=common.resume_arg(self.s))

    @abstractmethod
    def metrics(self, run: Trained) -> dict:
        """The stage's own figures for metrics.json (the held-out answers' figures follow them)."""

    @abstractmethod
    def summary_lines(self, run: Trained, metrics: dict) -> list[str]:
        """What the stage's summary says it measured, one line each."""

    # ------------------------------------------------------------------------------------------------ the skeleton
    def run(self, callbacks: list) -> dict:
        """Open, build the trainer, measure, train, measure, save and summarize; returns the metrics."""
        s = self.s
        opening = self.open()
        rows = self.heldout_rows(opening.evals)
        recorder = common.LogRecorder()
        trainer = self.build_trainer(opening, [recorder, *callbacks])
        common.events_to_output_dir(trainer)
        before = self._measure(trainer, opening, rows, before=True)
        self.train(trainer)
        after = self._measure(trainer, opening, rows, before=False)
        if rows is not None:
            heldout.save_answers(s.train.output_dir, rows, before.answers, after.answers)
        run = Trained(opening, rows, trainer, recorder.logs, before, after)
        metrics = self.metrics(run)
        if rows is not None:
            metrics.update(heldout.summary(before.answers, after.answers))
        final = common.finish(s, trainer, opening.tokenizer, opening.model_path, metrics, self.task)
        common.print_summary(s, self.summary_lines(run, metrics), final, opening.model_path)
        return metrics

    def _measure(self, trainer: Trainer, opening: Opening, rows: Dataset | None, before: bool) -> Measured:
        evaluation = None
        if self.evaluates:
            if before:
                common.log("evaluating before training ...")
            evaluation = trainer.evaluate()
        elif rows is not None:
            common.log(f"answering {len(rows)} held-out prompts greedily before training ..." if before else
                       f"answering the same {len(rows)} held-out prompts after training ...")
        answers = None if rows is None else self.answer(trainer, opening, rows, before)
        return Measured(evaluation, answers)

