"""Graded answer files pooled into cells, one per model x prompting type, in the report's order.

The original report's models come first, in its order, then the others in input order; prompting types follow
:data:`tomlab.schema.PROMPTINGS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ...grading import GradedFile
from ...schema import BEHAVIOURS, PROMPTINGS
from ...scores import Score, scenario_test
from .published import PUBLISHED_ACCURACY, model_key


@dataclass
class Cell(Score):
    """One model x prompting type: the :class:`~tomlab.scores.Score` of its graded files pooled (per scenario,
    correct answers out of answers, in scenario order; accuracy, Wilson interval, completeness) and the files
    themselves, for what only graded answers carry (gold answers, behaviours, verdicts)."""

    prompting: str = ""
    files: list = field(default_factory=list)  # the GradedFiles pooled, in input order

    @classmethod
    def of(cls, files: Sequence[GradedFile]) -> Cell:
        """The cell of graded files of one model and prompting type (several files of one condition are pooled)."""
        prompting = files[0].prompting
        score = Score.pooled([f.score() for f in files], scenario_test(prompting))
        return cls(score.model, score.test, score.paths, score.complete, dict(sorted(score.counts.items())),
                   prompting, list(files))

    @property
    def answers(self) -> list:
        return [a for f in self.files for a in f.answers]

    def scenario_ids(self) -> list:
        return list(self.counts)

    def per_scenario(self) -> dict:
        """{scenario id: correct answers}."""
        return {s: c for s, (c, _) in self.counts.items()}

    def per_scenario_n(self) -> dict:
        """{scenario id: answers}."""
        return {s: n for s, (_, n) in self.counts.items()}

    def gold(self) -> dict:
        return {a.scenario: a.gold for a in self.answers}

    def behaviours(self) -> dict:
        return {b: sum(f.behaviour_counts()[b] for f in self.files) for b in BEHAVIOURS}

    def verdicts(self) -> dict:
        """{"yes", "no", "none": answers}: how many answers commit to each conclusion (none: no conclusion)."""
        return {v: sum(f.verdict_counts()[v] for f in self.files) for v in ("yes", "no", "none")}

    @property
    def committed(self) -> int:
        """Answers that commit to a conclusion at all (yes or no, right or wrong)."""
        v = self.verdicts()
        return v["yes"] + v["no"]

    def yes_rate(self) -> float:
        return self.verdicts()["yes"] / self.committed if self.committed else math.nan


def _prompting_order(p: str) -> int:
    return PROMPTINGS.index(p) if p in PROMPTINGS else len(PROMPTINGS)


def aggregate(graded: Iterable[GradedFile]) -> list[Cell]:
    groups: dict = {}
    order: list = []
    for g in graded:
        groups.setdefault((g.model, g.prompting), []).append(g)
        if g.model not in order:
            order.append(g.model)
    cells = {key: Cell.of(files) for key, files in groups.items()}
    known = [model_key(m) for m in PUBLISHED_ACCURACY]

    def model_rank(m):  # the original report's order for its models, then the input order
        k = model_key(m)
        return (known.index(k), 0) if k in known else (len(known), order.index(m))

    return sorted(cells.values(), key=lambda c: (model_rank(c.model), _prompting_order(c.prompting)))


def models_of(cells: Sequence[Cell]) -> list:
    out = []
    for c in cells:
        if c.model not in out:
            out.append(c.model)
    return out


def promptings_of(cells: Sequence[Cell]) -> list:
    return sorted({c.prompting for c in cells}, key=_prompting_order)


def cell_for(cells, model, prompting) -> Cell | None:
    """The cell of one model x prompting type, or None."""
    return next((c for c in cells if c.model == model and c.prompting == prompting), None)


def chance_level(cells: Sequence[Cell]) -> dict:
    """What a model that always gives the same word scores: {"yes": accuracy, "no": accuracy, "yes_scenarios": n,
    "no_scenarios": n} over the scenarios asked (8 yes + 8 no in the study: 0.50 either way)."""
    gold: dict = {}
    for c in cells:
        gold.update(c.gold())
    n_yes = sum(1 for g in gold.values() if g == "yes")
    share = n_yes / len(gold) if gold else math.nan
    return {"yes": share, "no": 1 - share, "yes_scenarios": n_yes, "no_scenarios": len(gold) - n_yes}
