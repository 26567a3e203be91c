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
from ...stats import wilson_interval
from .published import PUBLISHED_ACCURACY, model_key


@dataclass
class Cell:
    """All graded files of one model x prompting type (several files of the same condition are pooled)."""

    model: str
    prompting: str
    files: list = field(default_factory=list)

    @property
    def answers(self) -> list:
        return [a for f in self.files for a in f.answers]

    @property
    def n(self) -> int:
        return sum(f.n for f in self.files)

    @property
    def correct(self) -> int:
        return sum(f.n_correct for f in self.files)

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else math.nan

    @property
    def ci(self) -> tuple:
        return wilson_interval(self.correct, self.n)

    @property
    def complete(self) -> bool:
        return all(f.complete for f in self.files)

    def per_scenario_counts(self) -> dict[int, tuple[int, int]]:
        """{scenario id: (correct answers, answers)}, the files' counts added up."""
        out: dict = {}
        for f in self.files:
            for s, (c, n) in f.per_scenario_counts().items():
                c0, n0 = out.get(s, (0, 0))
                out[s] = (c0 + c, n0 + n)
        return dict(sorted(out.items()))

    def scenario_ids(self) -> list:
        return list(self.per_scenario_counts())

    def per_scenario(self) -> dict:
        return {s: c for s, (c, _) in self.per_scenario_counts().items()}

    def per_scenario_n(self) -> dict:
        return {s: n for s, (_, n) in self.per_scenario_counts().items()}

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
    cells: dict = {}
    order: list = []
    for g in graded:
        key = (g.model, g.prompting)
        if key not in cells:
            cells[key] = Cell(g.model, g.prompting)
            if g.model not in order:
                order.append(g.model)
        cells[key].files.append(g)
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
