"""Reading the models' answers: every 16-scenario and benchmark answer file under some folders, graded or scored,
as ``{model: {test: TestResult}}`` (one file per model and test; each file names its model).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from pathlib import Path

from ...errors import ToMLabError
from ...grading import grade_files, is_answer_file
from ...grading.labels import DEFAULT_LABEL_STORE
from ...tasks.scoring import is_benchmark_file, score_file
from .results import TestResult, test_rank


def read_json_or_none(path: Path):
    """The JSON value in ``path``, or None where it is unreadable or not JSON (a folder may hold other files)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def find_answer_files(folders: Sequence) -> tuple[list[Path], list[Path]]:
    """(16-scenario answer files, benchmark answer files) under the folders, searched recursively."""
    scenario_files, benchmark_files = [], []
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise ToMLabError(f"{folder}: no such folder")
        found = 0
        for path in sorted(folder.rglob("*.json")):
            data = read_json_or_none(path)
            if is_benchmark_file(data):
                benchmark_files.append(path)
            elif is_answer_file(data):
                scenario_files.append(path)
            else:
                continue
            found += 1
        if not found:
            raise ToMLabError(f"{folder}: no answer files in this folder")
    return list(dict.fromkeys(scenario_files)), list(dict.fromkeys(benchmark_files))


def _scenario_result(g) -> TestResult:
    data = read_json_or_none(Path(g.path))
    tokens = [a["new_tokens"] for s in data["scenarios"] for a in s["answers"] if isinstance(a.get("new_tokens"), int)]
    score = g.score()
    gold = {a.scenario: a.gold for a in g.answers}
    share_yes = sum(gold[s] == "yes" for s in score.counts) / len(score.counts) if score.counts else math.nan
    return TestResult(score.model, score.test, score.paths, score.complete,
                      {str(s): counts for s, counts in score.counts.items()}, tokens,
                      {"always yes": share_yes, "always no": 1 - share_yes}, graded=g)


def benchmark_chance(data: dict) -> dict:
    """What guessing scores on a benchmark file's items: a random container (open form), random verdicts and always
    the same word (yes/no form; a pair is right only when both probes are)."""
    units: dict = {}
    for entry in data["items"]:
        units.setdefault(entry["question_id"], []).append(entry)
    if data["form"] == "open":
        return {"a random container": statistics.fmean(1 / len(u[0]["choices"]) for u in units.values())}
    golds = [[e["gold answer"] for e in u] for u in units.values()]
    chance = {"random yes/no": statistics.fmean(0.5 ** len(g) for g in golds)}
    for word in ("yes", "no"):
        chance[f"always {word}"] = statistics.fmean(all(x == word for x in g) for g in golds)
    return chance


def _benchmark_result(path: Path) -> tuple[str, TestResult]:
    scored = score_file(path)
    data = read_json_or_none(path)
    tokens = [a["new_tokens"] for e in data["items"] for a in e["answers"] if isinstance(a.get("new_tokens"), int)]
    score = scored.score()
    return scored.model, TestResult(score.model, score.test, [str(path)], score.complete, score.counts, tokens,
                                    benchmark_chance(data), questions=scored.questions)


def load_models(folders: Sequence, labels_path=DEFAULT_LABEL_STORE) -> dict[str, dict[str, TestResult]]:
    """{model: {test: its answers}} from every answer file under the folders; one file per model and test."""
    scenario_files, benchmark_files = find_answer_files(folders)
    models: dict[str, dict[str, TestResult]] = {}

    def add(model: str, result: TestResult) -> None:
        tests = models.setdefault(model, {})
        if result.test in tests:
            raise ToMLabError(f"{model} has two answer files for {result.test}: {tests[result.test].paths[0]} and "
                              f"{result.paths[0]} (give folders holding one run per model and test)")
        tests[result.test] = result

    if scenario_files:
        for g in grade_files(scenario_files, labels_path=labels_path):
            add(g.model, _scenario_result(g))
    for path in benchmark_files:
        add(*_benchmark_result(path))
    return {m: dict(sorted(t.items(), key=lambda kv: test_rank(kv[0]))) for m, t in models.items()}
