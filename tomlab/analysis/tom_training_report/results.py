"""The study's vocabulary: its tests in report order, their two groups (in-distribution, transfer), the route
models' names, and :class:`TestResult`, one model's answers to one test.

Route models are recognized by their names: ``...-ToM-SFT``, ``...-ToM-DPO``, ``...-ToM-GRPO`` (a ``[tag]`` aside),
as the chain names its merged models.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field

from ...schema import PROMPTINGS
from ...scores import Score, scenario_test

IN_DISTRIBUTION = "in-distribution"
TRANSFER = "transfer"
GROUP_TITLES = {IN_DISTRIBUTION: "In-distribution: generated ToMi-style items (the held-out test set)",
                TRANSFER: "Transfer: human-written tests (16 scenarios, Strange Stories)"}
#: The chain's merged models are named ``<base>-<suffix>``.
ROUTES = {"sft": "ToM-SFT", "dpo": "ToM-DPO", "grpo": "ToM-GRPO"}
BENCHMARK_TESTS = ("tomi-open", "tomi-yesno", "strange_stories-yesno")
SCENARIO_TESTS = tuple(scenario_test(p) for p in PROMPTINGS)
TEST_ORDER = ("tomi-open", "tomi-yesno", *SCENARIO_TESTS, "strange_stories-yesno")


def group_of(test: str) -> str:
    return IN_DISTRIBUTION if test.startswith("tomi") else TRANSFER


def route_of(model: str) -> str | None:
    """``sft``/``dpo``/``grpo`` for a name ending in that route's suffix (a ``[tag]`` aside), else None."""
    name = re.sub(r"\s*\[[^\]]*\]$", "", model)
    return next((r for r, suffix in ROUTES.items() if name.endswith(f"-{suffix}")), None)


@dataclass
class TestResult(Score):
    """One model's answers to one test: its :class:`~tomlab.scores.Score` (item ids as strings; n: answers, a yes/no
    pair counting once) and what this report adds."""

    tokens: list = field(default_factory=list)  # new tokens of every answer (a probe of a pair is an answer of its own)
    chance: dict = field(default_factory=dict)  # {what a guesser does: its accuracy on these items}
    questions: list = field(default_factory=list)  # benchmarks: ScoredQuestion (kind, belief) per item
    graded: object = None  # 16 scenarios: the GradedFile

    @property
    def mean_tokens(self) -> float:
        return statistics.fmean(self.tokens) if self.tokens else math.nan


def test_rank(test: str) -> int:
    """A test's place in the report's order (TEST_ORDER; any other test after them)."""
    return TEST_ORDER.index(test) if test in TEST_ORDER else len(TEST_ORDER)


def tests_of(models: dict) -> list[str]:
    """Every test some model has answers for, in report order."""
    return sorted({t for tests in models.values() for t in tests}, key=test_rank)


def chance_of(models: dict, test: str) -> dict:
    """A test's chance levels, from the first model that has it (every model is asked the same items)."""
    return next(tests[test].chance for tests in models.values() if test in tests)


def chance_bar(chance: dict) -> float:
    """The best a guesser scores on a test: the bar a model must clear to be above chance."""
    return max(chance.values())
