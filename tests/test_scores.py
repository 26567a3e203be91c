"""One scored-result shape (tomlab.scores.Score) from the rule grader and from the benchmark scorer alike."""

from __future__ import annotations

import math

import pytest

from tests.conftest import ROOT
from tomlab.eval.registry import TASKS
from tomlab.grading import grade_files
from tomlab.scores import Score
from tomlab.stats import wilson_interval
from tomlab.tasks.scoring import score_file

SCENARIO_FILE = next((ROOT / "results" / "answers" / "SmolLM2-135M-Instruct").glob("*_Base_*.json"))
BENCHMARK_FILES = {"tomi": next((ROOT / "results" / "answers_benchmarks" / "tomi" / "SmolLM2-135M-Instruct").glob(
    "*_tomi-yesno_*.json")), "strange_stories": next((ROOT / "results" / "answers_benchmarks" / "strange_stories"
                                                     / "SmolLM2-135M-Instruct").glob("*.json"))}


def test_counts_give_accuracy_interval_and_shares():
    s = Score("m", "t", ["a.json"], True, {1: (3, 4), 2: (0, 4), 3: (0, 0)})
    assert (s.correct, s.n, s.accuracy) == (3, 8, 3 / 8) and s.ci == wilson_interval(3, 8)
    assert s.shares == {1: 0.75, 2: 0.0}
    assert math.isnan(Score("m", "t", [], True, {}).accuracy)


def test_pooled_adds_items_up_and_keeps_one_model():
    a = Score("m", "16 scenarios Base", ["a"], True, {1: (1, 2), 2: (2, 2)})
    b = Score("m", "16 scenarios SbS", ["b"], False, {2: (0, 2), 3: (1, 1)})
    pooled = Score.pooled([a, b], "16 scenarios")
    assert pooled.counts == {1: (1, 2), 2: (2, 4), 3: (1, 1)} and pooled.paths == ["a", "b"] and not pooled.complete
    with pytest.raises(ValueError, match="several models"):
        Score.pooled([a, Score("other", "x", [], True, {})], "x")


def test_grader_and_benchmark_scorer_return_the_same_shape():
    (graded,) = grade_files([SCENARIO_FILE])
    score = graded.score()
    assert isinstance(score, Score) and score.test == "16 scenarios Base" and score.paths == [str(SCENARIO_FILE)]
    assert (score.n, score.correct) == (graded.n, graded.n_correct) and list(score.counts) == list(range(1, 17))
    scored = score_file(BENCHMARK_FILES["tomi"])
    bench = scored.score()
    assert bench.test == "tomi-yesno" and (bench.n, bench.correct) == (scored.n, scored.n_correct)
    assert list(bench.counts) == [q.id for q in scored.questions] and bench.model == scored.model == score.model


def test_every_task_scores_its_files_as_scores():
    files = {"tom16": SCENARIO_FILE, **BENCHMARK_FILES}
    for name, task in TASKS.items():
        (score,) = task.score([files[name]])
        assert isinstance(score, Score) and score.n > 0 and score.complete
