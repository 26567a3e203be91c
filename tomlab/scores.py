"""One model's scored answers to one test: the shape every scorer returns and every report reads.

The rule grader's files (:meth:`tomlab.grading.GradedFile.score`) and the benchmark scorer's
(:meth:`tomlab.tasks.scoring.ScoredFile.score`) both become a :class:`Score`: per item, correct answers out of
answers (a benchmark question is correct only when every probe is; see :mod:`tomlab.tasks.scoring`). A task's
scorer (:meth:`tomlab.eval.task.Task.score`) returns one per answer file; :meth:`Score.pooled` adds several up (the
16 scenarios' prompting types, for the correlation). Imports nothing of the project but :mod:`tomlab.stats`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from .stats import wilson_interval

#: How tables name the 16 scenarios, pooled or under one prompting type (:func:`scenario_test`).
SCENARIOS = "16 scenarios"


def scenario_test(prompting: str) -> str:
    """The test's name of the 16 scenarios under one prompting type: "16 scenarios Base"."""
    return f"{SCENARIOS} {prompting}"


@dataclass
class Score:
    model: str  # the model's label (the run block's model_name)
    test: str  # "16 scenarios Base", "tomi-open", "strange_stories-yesno" ...
    paths: list  # the answer files scored
    complete: bool  # every file holds every answer its run asked for
    counts: dict[Hashable, tuple[int, int]]  # item id -> (correct answers, answers), in item order

    @property
    def n(self) -> int:
        return sum(n for _, n in self.counts.values())

    @property
    def correct(self) -> int:
        return sum(c for c, _ in self.counts.values())

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else math.nan

    @property
    def ci(self) -> tuple[float, float]:
        """95% Wilson interval of the accuracy."""
        return wilson_interval(self.correct, self.n)

    @property
    def shares(self) -> dict:
        """{item id: share of its answers that were correct} (items with answers)."""
        return {item: c / n for item, (c, n) in self.counts.items() if n}

    @classmethod
    def pooled(cls, scores: Sequence[Score], test: str) -> Score:
        """The scores of one model added up per item (items in order of first appearance)."""
        if len({s.model for s in scores}) > 1:
            raise ValueError(f"pooling scores of several models: {sorted({s.model for s in scores})}")
        counts: dict = {}
        for s in scores:
            for item, (c, n) in s.counts.items():
                c0, n0 = counts.get(item, (0, 0))
                counts[item] = (c0 + c, n0 + n)
        return cls(scores[0].model if scores else "", test, [p for s in scores for p in s.paths],
                   all(s.complete for s in scores), counts)
