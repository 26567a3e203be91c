"""The ToM training study's report: did ToM-SFT, ToM-DPO or GRPO raise theory of mind in a small model, and where?

``write_tom_training_report(answers, out_dir, base=...)`` reads the answer folders of several models (the battery's,
:mod:`tomlab.analysis.battery`, or any folders holding 16-scenario and benchmark answer files; each file names its
model), checks every input, then writes ``REPORT.md``, ``report.json`` and figures into ``out_dir``:

* accuracy per model x test with 95% Wilson intervals and each test's chance level computed from its items, the
  **in-distribution** tests (the generated ToMi-style items: ``tomi-open``, ``tomi-yesno``) and the **transfer** tests
  (human-written: the 16 scenarios per prompting type, ``strange_stories-yesno``) in separate tables everywhere;
* paired tests of each compared model against its reference (default: every route model, else every other model,
  against ``base``): a paired t-test over the 16 scenarios' accuracies per prompting type, and over the 0/1 item
  scores (the share of an item's answers that were right) of ToMi and Strange Stories; all of them Holm-corrected as
  one family, each with the smallest mean difference it could have detected at 80% power at ALPHA and at ALPHA / m;
* the 16 scenarios' accuracy on the yes- and on the no-scenarios apart; ToMi per question kind, belief and kind x
  belief beside the best shortcut heuristic (:mod:`tomlab.analysis.shortcuts`, on the same items); answer length in
  new tokens; the routes' held-out before/after (``metrics.json`` of a ToM chain run) and curves;
* a summary in words generated from the numbers, and the correlation of the 16 scenarios with each benchmark across
  every model that has answers (:mod:`tomlab.analysis.correlation`), with and without the ToMi-trained models.

Route models are recognized by their names: ``...-ToM-SFT``, ``...-ToM-DPO``, ``...-ToM-GRPO`` (a ``[tag]`` aside),
as the chain names its merged models. Nothing is written when an input is bad.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ToMLabError
from ..formatting import fmt, fmt_p
from ..grading import GRADER_VERSION, grade_files, is_answer_file
from ..grading.labels import DEFAULT_LABEL_STORE
from ..io import atomic_write_bytes, atomic_write_json, atomic_write_text
from ..models import repo_relative
from ..paths import REPO_ROOT
from ..schema import PROMPTINGS
from ..scores import Score, scenario_test
from ..stats import DETECTION_POWER, detectable_difference, holm, paired_ttest, wilson_interval
from ..tasks import tomi
from ..tasks.items import read_jsonl
from ..tasks.scoring import is_benchmark_file, score_file
from . import shortcuts
from .correlation import ANCHOR, MIN_MODELS, N_BOOT, N_SPLITS, TestScores, analyse, correlation_table, critical_r
from .report import aggregate, bias_markdown, pyplot, save_png, yes_no_bias

ALPHA = 0.05
IN_DISTRIBUTION = "in-distribution"
TRANSFER = "transfer"
GROUP_TITLES = {IN_DISTRIBUTION: "In-distribution: generated ToMi-style items (the held-out test set)",
                TRANSFER: "Transfer: human-written tests (16 scenarios, Strange Stories)"}
#: The chain's merged models are named ``<base>-<suffix>``.
ROUTES = {"sft": "ToM-SFT", "dpo": "ToM-DPO", "grpo": "ToM-GRPO"}
BENCHMARK_TESTS = ("tomi-open", "tomi-yesno", "strange_stories-yesno")
DEFAULT_CHOICES = (
    "Every training setting (recipes, steps, learning rates, which checkpoint to keep) was chosen on the validation "
    "split of `data/tom_training` only (stories with names, rooms, objects and containers of their own). The test "
    "sets of this report - the ToMi-style eval items `data/tomi/tomi_items.jsonl`, the 16 scenarios and Strange "
    "Stories - were asked by the evaluation battery after training and were never used for a choice.")


SCENARIO_TESTS = tuple(scenario_test(p) for p in PROMPTINGS)
TEST_ORDER = ("tomi-open", "tomi-yesno", *SCENARIO_TESTS, "strange_stories-yesno")


def group_of(test: str) -> str:
    return IN_DISTRIBUTION if test.startswith("tomi") else TRANSFER


def route_of(model: str) -> str | None:
    """``sft``/``dpo``/``grpo`` for a name ending in that route's suffix (a ``[tag]`` aside), else None."""
    name = re.sub(r"\s*\[[^\]]*\]$", "", model)
    return next((r for r, suffix in ROUTES.items() if name.endswith(f"-{suffix}")), None)


# ------------------------------------------------------------------------------------------ reading


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


def _read(path: Path):
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
            data = _read(path)
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
    data = _read(Path(g.path))
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
    data = _read(path)
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
    return {m: dict(sorted(t.items(), key=lambda kv: _test_rank(kv[0]))) for m, t in models.items()}


def _test_rank(test: str) -> int:
    return TEST_ORDER.index(test) if test in TEST_ORDER else len(TEST_ORDER)


def tests_of(models: dict) -> list[str]:
    return sorted({t for tests in models.values() for t in tests}, key=_test_rank)


def chance_of(models: dict, test: str) -> dict:
    """A test's chance levels, from the first model that has it (every model is asked the same items)."""
    return next(tests[test].chance for tests in models.values() if test in tests)


def chance_bar(chance: dict) -> float:
    """The best a guesser scores on a test: the bar a model must clear to be above chance."""
    return max(chance.values())


# ------------------------------------------------------------------------------------------ comparisons


def order_models(models: dict, base: str) -> dict:
    """The base first, then the route models (SFT, DPO, GRPO), then the others as found."""
    rank = {r: i for i, r in enumerate(ROUTES, 1)}
    key = lambda m: 0 if m == base else rank.get(route_of(m), len(rank) + 1)  # noqa: E731
    return {m: models[m] for m in sorted(models, key=key)}


def default_comparisons(models: dict, base: str) -> list[tuple[str, str]]:
    """Every route model against the base; without route models, every other model against it."""
    routes = [m for m in models if m != base and route_of(m)]
    return [(m, base) for m in (routes or [m for m in models if m != base])]


def check_comparisons(models: dict, base: str, comparisons: Sequence[tuple[str, str]]) -> None:
    names = ", ".join(models)
    if base not in models:
        raise ToMLabError(f"--base {base}: no answers of that model (models found: {names})")
    for model, reference in comparisons:
        for m in (model, reference):
            if m not in models:
                raise ToMLabError(f"--compare {model}={reference}: no answers of {m} (models found: {names})")
        missing = [t for t in models[model] if t not in models[reference]]
        if missing:
            raise ToMLabError(f"{reference} has no answers for {', '.join(missing)}, which {model} has: the "
                              "comparison needs both")
    for m in models:
        if route_of(m):
            missing = [t for t in TEST_ORDER if t not in models[m]]
            if missing:
                raise ToMLabError(f"route model {m} has no answers for {', '.join(missing)} (run the battery)")


def compare(models: dict, comparisons: Sequence[tuple[str, str]]) -> list[dict]:
    """Paired tests of model against reference on every test the model has; Holm over all as one family of the m
    tests with a defined p. Each row holds the smallest mean difference its test could have detected at 80% power,
    at ALPHA (``detectable``) and at ALPHA / m (``detectable_holm``, the strictest step of Holm's procedure)."""
    rows = []
    for model, reference in comparisons:
        for test, result in models[model].items():
            ref = models[reference][test]
            shared = [i for i in ref.shares if i in result.shares]
            if not shared:
                raise ToMLabError(f"{model} and {reference} share no {test} item (other item sets)")
            a = [ref.shares[i] for i in shared]
            b = [result.shares[i] for i in shared]
            diffs = [y - x for x, y in zip(a, b)]
            sd = statistics.stdev(diffs) if len(diffs) > 1 else math.nan
            result_t = paired_ttest(a, b)
            if sd == 0 and diffs[0] != 0:  # every pair differs by the same amount: t is infinite, p its limit 0
                result_t = dataclasses.replace(result_t, t=math.copysign(math.inf, diffs[0]), p=0.0)
            rows.append({"model": model, "reference": reference, "test": test, "group": group_of(test),
                         "n": len(shared), "test_result": result_t, "sd": sd,
                         "accuracy": result.accuracy, "reference_accuracy": ref.accuracy,
                         "low": result.ci[0], "chance_bar": chance_bar(result.chance)})
    family = sum(not math.isnan(r["test_result"].p) for r in rows)
    for row, p_holm in zip(rows, holm([r["test_result"].p for r in rows])):
        row["p_holm"] = p_holm
        row["significant"] = not math.isnan(p_holm) and p_holm < ALPHA
        row["detectable"] = detectable_difference(row["sd"], row["n"], ALPHA)
        row["detectable_holm"] = detectable_difference(row["sd"], row["n"], ALPHA / family) if family else math.nan
        row["family"] = family
    return rows


def _no_spread(row: dict) -> str:
    diff = row["test_result"].diff
    return ("sd of differences 0: identical on every item, no test" if diff == 0 else
            f"sd of differences 0: every item differs by {diff:+.3f}, t infinite, p 0")


def comparisons_markdown(rows: list[dict], group: str) -> str:
    rows = [r for r in rows if r["group"] == group]
    if not rows:
        return "_No comparison on these tests._\n"
    lines = ["| model vs reference | test | pairs | reference | model | diff | sd of diffs | t | p | p_holm | "
             "significant | detectable | detectable (Holm) |", "|:--|:--|--:|--:|--:|--:|--:|--:|--:|--:|:--|--:|--:|"]
    for r in rows:
        t = r["test_result"]
        note = f" ({_no_spread(r)})" if r["sd"] == 0 else ""
        lines.append(f"| {r['model']} vs {r['reference']} | {r['test']} | {r['n']} | {fmt(t.mean_a, 3)} | "
                     f"{fmt(t.mean_b, 3)} | {fmt(t.diff, 3)}{note} | {fmt(r['sd'], 3)} | {fmt(t.t, 2)} | "
                     f"{fmt_p(t.p)} | {fmt_p(r['p_holm'])} | {'yes' if r['significant'] else 'no'} | "
                     f"{fmt(r['detectable'], 3)} | {fmt(r['detectable_holm'], 3)} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ tables


def accuracy_markdown(models: dict, group: str) -> str:
    tests = [t for t in tests_of(models) if group_of(t) == group]
    if not tests:
        return "_No model has answers for these tests._\n"
    lines = ["| model | " + " | ".join(tests) + " |", "|:--|" + "--:|" * len(tests)]
    for model, results in models.items():
        cells = []
        for test in tests:
            r = results.get(test)
            if r is None:
                cells.append("- (no answers)")
                continue
            lo, hi = r.ci
            cells.append(f"{r.accuracy:.3f} [{lo:.2f}, {hi:.2f}] ({r.correct}/{r.n})"
                         + ("" if r.complete else " incomplete"))
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    lines.append("| *chance* | " + " | ".join(
        "; ".join(f"{k} {v:.2f}" for k, v in chance_of(models, t).items()) for t in tests) + " |")
    return "\n".join(lines) + "\n"


def yes_no_rows(models: dict) -> list[dict]:
    """The 16 scenarios' accuracy on the yes- and on the no-scenarios, per model and prompting type."""
    graded = [r.graded for tests in models.values() for r in tests.values() if r.graded is not None]
    return yes_no_bias(aggregate(graded)) if graded else []


def _groups(questions: list) -> dict[str, list[int]]:
    """{group name: question positions}: all, each kind, each belief, each kind x belief."""
    out = {"all": list(range(len(questions)))}
    kinds = [k for k in tomi.KINDS if any(q.kind == k for q in questions)]
    beliefs = [b for b in tomi.BELIEFS if any(q.belief == b for q in questions)]
    out |= {k: [i for i, q in enumerate(questions) if q.kind == k] for k in kinds}
    out |= {f"belief {b}": [i for i, q in enumerate(questions) if q.belief == b] for b in beliefs}
    out |= {f"{k} / {b}": [i for i, q in enumerate(questions) if (q.kind, q.belief) == (k, b)]
            for k in kinds for b in beliefs}
    return {name: idx for name, idx in out.items() if idx}


def _items_file(result: TestResult) -> Path:
    run = (_read(Path(result.paths[0])) or {}).get("run") or {}
    source = run.get("items_file")
    path = REPO_ROOT / source if isinstance(source, str) and not Path(source).is_absolute() else source
    return Path(path) if path and Path(path).is_file() else tomi.DEFAULT_ITEMS


def heuristic_table(models: dict, test: str) -> list[dict]:
    """ToMi per kind / belief: each model's accuracy and the best shortcut heuristic's on the same items."""
    holders = [m for m in models if test in models[m]]
    first = models[holders[0]][test]
    questions = first.questions
    path = _items_file(first)
    by_id = {i.id: i for i in read_jsonl(path)}
    missing = [q.id for q in questions if q.id not in by_id]
    if missing:
        raise ToMLabError(f"{first.paths[0]}: asks {test} items that are not in {path} ({', '.join(missing[:3])})")
    form = test.split("-")[1]
    per_heuristic = shortcuts.scores(shortcuts.from_eval_items([by_id[q.id] for q in questions]), form)[form]
    rows = []
    for name, idx in _groups(questions).items():
        ids = [questions[i].id for i in idx]
        heuristics = {h: statistics.fmean(v[i] for i in idx) for h, v in per_heuristic.items()}
        best = max(heuristics.items(), key=lambda kv: kv[1])
        accs = {m: statistics.fmean(models[m][test].shares[q] for q in ids) for m in holders
                if all(q in models[m][test].shares for q in ids)}
        rows.append({"group": name, "n": len(idx), "best": best[0], "best_accuracy": best[1], "models": accs})
    return rows


def heuristic_markdown(rows: list[dict]) -> str:
    models = list(dict.fromkeys(m for r in rows for m in r["models"]))
    lines = ["| group | n | best heuristic | " + " | ".join(models) + " |", "|:--|--:|:--|" + "--:|" * len(models)]
    for r in rows:
        cells = [("-" if m not in r["models"] else f"{r['models'][m]:.3f}"
                  + (" (matched)" if r["models"][m] <= r["best_accuracy"] else "")) for m in models]
        lines.append(f"| {r['group']} | {r['n']} | {r['best']} {r['best_accuracy']:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def length_markdown(models: dict, comparisons: Sequence[tuple[str, str]]) -> str:
    tests = tests_of(models)
    lines = ["| model | " + " | ".join(tests) + " |", "|:--|" + "--:|" * len(tests)]
    for model, results in models.items():
        lines.append(f"| {model} | " + " | ".join(fmt(results[t].mean_tokens, 1) if t in results else "-"
                                                  for t in tests) + " |")
    for model, reference in comparisons:
        deltas = [models[model][t].mean_tokens - models[reference][t].mean_tokens if t in models[model] else None
                  for t in tests]
        lines.append(f"| *{model} - {reference}* | "
                     + " | ".join("-" if d is None else "n/a" if math.isnan(d) else f"{d:+.1f}" for d in deltas) + " |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ the chain


def chain_metrics(chain_dir) -> dict[str, dict]:
    """{route: its metrics} from a ToM chain run folder (``train/tom-<route>/metrics.json``, else
    ``metrics/tom-<route>.json``)."""
    run = Path(chain_dir)
    if not run.is_dir():
        raise ToMLabError(f"--chain {run}: no such folder")
    found = {}
    for route in ROUTES:
        for path in (run / "train" / f"tom-{route}" / "metrics.json", run / "metrics" / f"tom-{route}.json"):
            if path.is_file():
                data = _read(path)
                if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
                    raise ToMLabError(f"{path}: not a stage's metrics.json (no 'metrics' object)")
                found[route] = data["metrics"]
                break
    if not found:
        raise ToMLabError(f"--chain {run}: no route's metrics.json (train/tom-<route>/metrics.json)")
    return found


def route_markdown(route: str, metrics: dict) -> str:
    """Every measurement the route recorded before and after training (and first -> last along training)."""
    lines = ["| measurement | before | after | change |", "|:--|--:|--:|--:|"]
    n = metrics.get("heldout_prompts")
    for before_suffix, after_suffix in (("_before", "_after"), ("_first", "_last")):
        for key in sorted(k for k in metrics if k.endswith(before_suffix)):
            name = key.removesuffix(before_suffix)
            a, b = metrics.get(key), metrics.get(name + after_suffix)
            if not isinstance(a, int | float) or not isinstance(b, int | float):
                continue
            a_ci = b_ci = ""
            if name == "heldout_gold_accuracy" and n:
                a_ci, b_ci = (" [{:.2f}, {:.2f}]".format(*wilson_interval(round(v * n), n)) for v in (a, b))
            label = name if before_suffix == "_before" else f"{name} (first -> last quarter of training)"
            lines.append(f"| {label} | {a:.3f}{a_ci} | {b:.3f}{b_ci} | {b - a:+.3f} |")
    steps = metrics.get("train_steps")
    return (f"Held-out prompts: {n or 'n/a'} (validation split, greedy); training steps: {steps or 'n/a'}.\n\n"
            + "\n".join(lines) + "\n")


# ------------------------------------------------------------------------------------------ correlation


def correlation_tests(models: dict) -> dict[str, TestScores]:
    """The 16 scenarios (the four prompting types pooled, models with all four) and each benchmark test, as the
    correlation study's per-item score matrices."""
    tests = {}
    anchor = [m for m in models if all(t in models[m] for t in SCENARIO_TESTS)]
    if anchor:
        # the scenarios every anchor model was asked in every prompting type (a smoke battery asks fewer)
        items = sorted(set.intersection(*(set(models[m][t].shares) for m in anchor for t in SCENARIO_TESTS)), key=int)
        rows = [[statistics.fmean(models[m][t].shares[i] for t in SCENARIO_TESTS) for i in items] for m in anchor]
        tests[ANCHOR] = TestScores(ANCHOR, anchor, items, np.array(rows, float),
                                   np.array([sum(models[m][t].n for t in SCENARIO_TESTS) for m in anchor]))
    for test in BENCHMARK_TESTS:
        holders = [m for m in models if test in models[m]]
        if not holders:
            continue
        items = [i for i in models[holders[0]][test].shares if all(i in models[m][test].shares for m in holders)]
        tests[test] = TestScores(test, holders, items,
                                 np.array([[models[m][test].shares[i] for i in items] for m in holders], float),
                                 np.array([models[m][test].n for m in holders]))
    return tests


def correlation_section(models: dict, seed: int, n_boot: int, n_splits: int) -> tuple[str, dict]:
    tests = correlation_tests(models)
    if ANCHOR not in tests or len(tests) < 2:
        return ("_No correlation: it needs models with all four 16-scenario prompting types and a benchmark._\n",
                {})
    result = analyse(tests, seed, n_boot, n_splits)
    trained = [m for m in tests[ANCHOR].models if route_of(m)]
    md = [f"Across the {len(tests[ANCHOR].models)} models with all four 16-scenario prompting types ({ANCHOR}: the "
          "four types pooled; a benchmark test: the models that have it):", "", correlation_table(result), ""]
    untrained = {}
    if trained:
        kept = {name: _without(t, trained) for name, t in tests.items()}
        untrained = analyse(kept, seed, n_boot, n_splits)
        md += [f"Without the {len(trained)} ToMi-trained route models ({', '.join(trained)}):", "",
               correlation_table(untrained), ""]
    n = max((r["n_models"] for r in result["rows"]), default=0)
    md += [correlation_words(n, bool(trained)), ""]
    return "\n".join(md), {"all": result, "without_tomi_trained": untrained}


def _without(t: TestScores, models: list) -> TestScores:
    keep = [i for i, m in enumerate(t.models) if m not in models]
    return TestScores(t.name, [t.models[i] for i in keep], t.items, t.scores[keep], t.answers[keep])


def correlation_words(n: int, trained: bool) -> str:
    if n < MIN_MODELS:
        text = (f"No correlation can be estimated from {n} model(s) that have both tests: two points always lie on a "
                f"line, and a split-half reliability across models needs {MIN_MODELS} or more.")
    else:
        text = (f"With {n} models only a Pearson r beyond {critical_r(n):.2f} could be told from zero at p < 0.05.")
    text += (" Models from one or two families (a base model, its finetunes, perhaps one other pretrained model) "
             "span a narrow range of ability and share most of their weights, so they are not independent draws. "
             "They can show whether the tests order these particular models alike; "
             "they cannot show whether the 16 scenarios measure what the benchmarks measure in models at large (that "
             "needs 20+ models of several families and sizes, `report/correlation/hub_models.txt`).")
    if trained:
        text += (" The ToMi-trained route models were trained on ToMi-style stories: their ToMi accuracy is inflated "
                 "by training on the task's own format and rules, not by a general ability, so with them a "
                 "correlation with ToMi is one of training exposure; the table without them is the fairer one.")
    return text


# ------------------------------------------------------------------------------------------ summary


def summary_lines(models: dict, rows: list[dict], yes_no: list[dict], heuristics: dict) -> list[str]:
    """The answers in words: the positive control (held-out ToMi) and transfer (human-written tests)."""
    lines = []
    family = rows[0]["family"] if rows else 0
    where = f"Holm-corrected over {family} tests, p_holm < {ALPHA}"
    control = [r for r in rows if r["group"] == IN_DISTRIBUTION]
    gains = [r for r in control if r["significant"] and r["test_result"].diff > 0]
    if not control:
        lines.append("- **Positive control (held-out ToMi-style items)**: no compared model has ToMi answers.")
    elif gains:
        parts = []
        for r in gains:
            matched = [f"{h['group']} ({h['models'][r['model']]:.2f} <= {h['best']} {h['best_accuracy']:.2f})"
                       for h in heuristics.get(r["test"], []) if r["model"] in h["models"] and h["group"] != "all"
                       and "/" not in h["group"] and h["models"][r["model"]] <= h["best_accuracy"]]
            parts.append(f"{r['model']} on {r['test']}: {r['reference_accuracy']:.2f} -> {r['accuracy']:.2f} "
                         f"(p_holm {fmt_p(r['p_holm'])})"
                         + (f"; a shortcut heuristic that tracks no belief scores as much on {', '.join(matched)}"
                            if matched else ""))
        lines.append(f"- **Positive control (held-out ToMi-style items): yes** ({where}): " + "; ".join(parts) + ".")
    else:
        bounds = [r["detectable_holm"] for r in control if math.isfinite(r["detectable_holm"])]
        lines.append(f"- **Positive control (held-out ToMi-style items): no** compared model raised ToMi accuracy "
                     f"significantly ({where})" + (f"; no effect larger than {min(bounds):.2f} to {max(bounds):.2f} "
                                                   "(per test, at Holm's strictest step)." if bounds else "."))
    transfer = [r for r in rows if r["group"] == TRANSFER]
    up = [r for r in transfer if r["significant"] and r["test_result"].diff > 0]
    real = [r for r in up if r["low"] > r["chance_bar"]]
    bias = {(row["model"], scenario_test(row["prompting"])): row for row in yes_no}
    if not transfer:
        lines.append("- **Transfer (human-written tests)**: no compared model has answers to them.")
    elif real:
        parts = []
        for r in real:
            split = bias.get((r["model"], r["test"]))
            ref = bias.get((r["reference"], r["test"]))
            note = ""
            if split and ref:
                both = split["acc_yes"] >= ref["acc_yes"] and split["acc_no"] >= ref["acc_no"]
                note = (f"; yes-scenarios {ref['acc_yes']:.2f} -> {split['acc_yes']:.2f}, no-scenarios "
                        f"{ref['acc_no']:.2f} -> {split['acc_no']:.2f}"
                        + ("" if both else ": a shift of yes/no bias, not a gain on both"))
            parts.append(f"{r['model']} on {r['test']}: {r['reference_accuracy']:.2f} -> {r['accuracy']:.2f} "
                         f"(p_holm {fmt_p(r['p_holm'])}, 95% lower bound {r['low']:.2f} > chance "
                         f"{r['chance_bar']:.2f}){note}")
        lines.append(f"- **Transfer (human-written tests): yes** ({where}, and above chance): " + "; ".join(parts)
                     + ".")
    else:
        bounds = [r["detectable_holm"] for r in transfer if math.isfinite(r["detectable_holm"])]
        at_chance = "; ".join(f"{r['model']} on {r['test']} rose {r['reference_accuracy']:.2f} -> "
                              f"{r['accuracy']:.2f} but stays within chance ({r['chance_bar']:.2f})" for r in up)
        lines.append(f"- **Transfer (human-written tests): no** compared model lifted a human-written test above its "
                     f"reference ({where}) and above chance"
                     + (f" ({at_chance})" if at_chance else "")
                     + (f"; the smallest gains these tests could detect at Holm's strictest step range from "
                        f"{min(bounds):.2f} to {max(bounds):.2f} (no gain larger than that on the test concerned)."
                        if bounds else "."))
    return lines


# ------------------------------------------------------------------------------------------ figure


def figure_accuracy(models: dict, path: Path) -> None:
    """Accuracy per test and model with 95% Wilson intervals; in-distribution and transfer tests in two panels."""
    plt = pyplot()
    groups = [(g, [t for t in tests_of(models) if group_of(t) == g]) for g in (IN_DISTRIBUTION, TRANSFER)]
    groups = [(g, ts) for g, ts in groups if ts]
    names = list(models)
    fig, axes = plt.subplots(1, len(groups), figsize=(sum(1.2 * len(ts) + 1.5 for _, ts in groups) + 1, 4.2),
                             squeeze=False, gridspec_kw={"width_ratios": [len(ts) for _, ts in groups]})
    width = 0.8 / max(1, len(names))
    colours = plt.get_cmap("tab10")
    for ax, (group, tests) in zip(axes[0], groups):
        for j, model in enumerate(names):
            xs, ys, lo, hi = [], [], [], []
            for i, t in enumerate(tests):
                r = models[model].get(t)
                if r is None or not r.n:
                    continue
                low, high = r.ci
                xs.append(i + (j - (len(names) - 1) / 2) * width)
                ys.append(r.accuracy)
                lo.append(r.accuracy - low)
                hi.append(high - r.accuracy)
            ax.bar(xs, ys, width * 0.92, color=colours(j % 10), label=model, zorder=2)
            ax.errorbar(xs, ys, yerr=[lo, hi], fmt="none", ecolor="#212121", elinewidth=1, capsize=2, zorder=3)
        for i, t in enumerate(tests):
            bar = chance_bar(chance_of(models, t))
            ax.plot([i - 0.45, i + 0.45], [bar, bar], color="#616161", ls="--", lw=1, zorder=4,
                    label="chance (best guesser)" if i == 0 else None)
        ax.set_xticks(range(len(tests)))
        ax.set_xticklabels([t.replace("16 scenarios ", "16 sc.\n") for t in tests], fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(group, fontsize=10)
        ax.grid(axis="y", color="#e0e0e0", zorder=0)
    axes[0][0].set_ylabel("accuracy (95% Wilson interval)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=min(4, len(labels)), loc="upper center", bbox_to_anchor=(0.5, 0.0),
               frameon=False, fontsize=8)
    fig.tight_layout()
    save_png(fig, path)


# ------------------------------------------------------------------------------------------ the report


def write_tom_training_report(answers: Sequence, out_dir, base: str, chain_dir=None,
                              comparisons: Sequence[tuple[str, str]] | None = None, choices: str | None = None,
                              labels_path=DEFAULT_LABEL_STORE, command: str = "", seed: int = 0,
                              n_boot: int = N_BOOT, n_splits: int = N_SPLITS,
                              extra: dict[str, dict[str, TestResult]] | None = None) -> Path:
    """Check every input, then write ``REPORT.md``, ``report.json``, ``accuracy.png`` (and the chain's curves under
    ``curves/``) into ``out_dir``; return the report's path.

    ``answers``: folders holding the models' answer files (each file names its model); ``base``: the reference
    model; ``comparisons``: (model, reference) pairs (default :func:`default_comparisons`); ``chain_dir``: a ToM chain
    run folder (its routes' ``metrics.json`` and ``curves/``); ``choices``: how the settings were chosen (default
    :data:`DEFAULT_CHOICES`); ``extra``: models loaded elsewhere (:func:`load_models`) added after the folders' own
    (a model the folders hold already keeps its own answers)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ToMLabError(f"--out {out}: is a file, not a folder")
    models = load_models(answers, labels_path)
    models = order_models({**(extra or {}), **models}, base)
    comparisons = list(comparisons) if comparisons is not None else default_comparisons(models, base)
    check_comparisons(models, base, comparisons)
    route_metrics = chain_metrics(chain_dir) if chain_dir is not None else {}
    curves = ({p.name: p.read_bytes() for p in sorted((Path(chain_dir) / "curves").glob("*.png"))}
              if chain_dir is not None else {})
    rows = compare(models, comparisons)
    yes_no = yes_no_rows(models)
    heuristics = {t: heuristic_table(models, t) for t in tests_of(models) if t.startswith("tomi-")}
    correlation_md, correlation = correlation_section(models, seed, n_boot, n_splits)
    family = rows[0]["family"] if rows else 0

    md = ["# ToM training study: do ToM-SFT, ToM-DPO or GRPO raise theory of mind in a small model?", ""]
    if command:
        md += ["Generated by:", "", "```", command, "```", ""]
    md += [f"Models: {', '.join(models)}; reference: **{base}**. Comparisons: "
           + (", ".join(f"{m} vs {r}" for m, r in comparisons) or "none") + ". 16 scenarios graded automatically "
           f"(grader {GRADER_VERSION}); ToMi and Strange Stories scored by `tomlab.tasks.scoring`.", "",
           "## 1. Summary", ""]
    md += summary_lines(models, rows, yes_no, heuristics)
    md += ["", "How choices were made: " + (choices or DEFAULT_CHOICES), ""]
    md += ["## 2. Accuracy", "",
           "Correct / answers with 95% Wilson intervals. In-distribution and transfer tests are kept apart: a gain "
           "on the generated ToMi-style items (the format the routes trained on) says the training worked; only a "
           "gain on the human-written tests would be a gain in theory of mind beyond the training format. Chance "
           "levels are computed from each test's items: 16 scenarios and Strange Stories always 'yes' / always "
           "'no'; ToMi open one of the story's two containers at random; ToMi yes/no pair (both probes right) "
           "random verdicts or always the same word.", ""]
    for group, title in GROUP_TITLES.items():
        md += [f"### {title}", "", accuracy_markdown(models, group)]
    md += ["![Accuracy per test and model](accuracy.png)", ""]
    md += ["## 3. Comparisons", "",
           "Paired tests, model against its reference, two-sided: the 16 scenarios as a paired t-test over the "
           "scenarios' accuracies (correct / answers per scenario) per prompting type; ToMi and Strange Stories as a "
           "paired t-test over the items' 0/1 scores (one greedy answer per prompt; a yes/no pair scores 1 only "
           f"when both probes are right). All {len(rows)} tests are one Holm family; the {family} with a defined p "
           f"are corrected together. Where the differences have no spread (sd 0) the table says so: identical "
           "answers on every item have no test (and no p), a constant difference on every item has t infinite and "
           "p 0; neither has a detectable effect to state. "
           f"'detectable': the smallest mean difference the test finds with {DETECTION_POWER:.0%} power at level "
           f"{ALPHA}; 'detectable (Holm)': the same at {ALPHA} / {max(family, 1)}, Holm's strictest step. A null "
           "result reads 'no effect larger than that', not 'no effect'.", ""]
    for group, title in GROUP_TITLES.items():
        md += [f"### {title}", "", comparisons_markdown(rows, group)]
    md += ["## 4. The 16 scenarios: yes- and no-scenarios apart", "",
           "A boost that comes from answering 'yes' (or 'no') more often raises one side and lowers the other; a gain "
           "in theory of mind raises both. Unpaired t-test between the per-scenario counts of the two sides (t > 0: "
           "better on the yes-scenarios).", "",
           bias_markdown(yes_no) if yes_no else "_No 16-scenario answers._\n"]
    md += ["## 5. ToMi per question kind and belief, beside the shortcut heuristics", "",
           "Each model's accuracy per group of the held-out items, beside the best heuristic that tracks no belief "
           "(`tomlab.analysis.shortcuts` on the same items: last/first-mentioned container, the object's real "
           "location, always yes/no). '(matched)': a heuristic scores as much, so that accuracy is no evidence of "
           "belief tracking; a gain on such a group is a gain a heuristic matches. (The story-blind classifier of "
           "the shortcut audit scores at most 0.50 on these items, `results/tom_training/shortcuts/`.)", ""]
    for test, table in heuristics.items():
        md += [f"### {test}", "", heuristic_markdown(table)]
    if not heuristics:
        md += ["_No ToMi answers._", ""]
    md += ["## 6. Answer length", "",
           "Mean new tokens per answer (a probe of a yes/no pair is an answer of its own); the rows in italics are "
           "the change of a compared model against its reference (ToM-RL's 'reasoning collapse' would show as a "
           "large drop).", "", length_markdown(models, comparisons)]
    md += ["## 7. The routes' own held-out measurement", ""]
    if route_metrics:
        md += ["Before and after training, as each route measured itself on held-out prompts of the validation "
               "split (greedy; gold accuracy per form and overall, with 95% Wilson intervals where the number of "
               "prompts is known; answer length in tokens).", ""]
        for route, metrics in route_metrics.items():
            md += [f"### {ROUTES[route]}", "", route_markdown(route, metrics)]
            curve = f"tom-{route}.png"
            if curve in curves:
                md += [f"![{ROUTES[route]} training curves](curves/{curve})", ""]
    else:
        md += ["_No chain run folder given._", ""]
    md += ["## 8. Correlation of the 16 scenarios with the benchmarks", "", correlation_md]
    md += ["## Inputs", ""]
    md += [f"- {model}, {test}: " + ", ".join(f"`{repo_relative(p)}`" for p in r.paths)
           + ("" if r.complete else " (incomplete)") for model, tests in models.items() for test, r in tests.items()]
    md += [""]

    record = {"command": command, "base": base, "comparisons": [list(c) for c in comparisons],
              "accuracy": {m: {t: {"accuracy": r.accuracy, "correct": r.correct, "n": r.n, "ci": list(r.ci),
                                   "chance": r.chance, "mean_tokens": r.mean_tokens, "complete": r.complete}
                               for t, r in tests.items()} for m, tests in models.items()},
              "tests": [{**{k: v for k, v in r.items() if k != "test_result"}, **r["test_result"].as_dict()}
                        for r in rows],
              "yes_no": [{k: v for k, v in r.items() if k != "test"} for r in yes_no],
              "heuristics": heuristics, "routes": route_metrics,
              "correlation": {k: {"rows": v.get("rows", [])} for k, v in correlation.items()}}
    figure_accuracy(models, out / "accuracy.png")
    for name, data in curves.items():
        atomic_write_bytes(out / "curves" / name, data)
    atomic_write_json(out / "report.json", _clean(record))
    path = out / "REPORT.md"
    atomic_write_text(path, "\n".join(md))
    return path


def _clean(x):
    """JSON-safe: NaN and infinities -> None, numpy numbers -> Python numbers."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x
