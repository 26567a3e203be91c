"""``write_tom_training_report``: check every input, then write ``REPORT.md``, ``report.json`` and the figures.

Nothing is written when an input is bad.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...errors import ToMLabError
from ...formatting import generated_by
from ...grading import GRADER_VERSION
from ...grading.labels import DEFAULT_LABEL_STORE
from ...io import atomic_write_bytes, atomic_write_json, atomic_write_text
from ...models import repo_relative
from ...stats import DETECTION_POWER
from ..correlation import N_BOOT, N_SPLITS
from ..report import bias_markdown
from .chain import chain_metrics, route_markdown
from .comparisons import ALPHA, check_comparisons, compare, comparisons_markdown, default_comparisons, order_models
from .correlation_section import correlation_section
from .figure import figure_accuracy
from .heuristics import heuristic_markdown, heuristic_table
from .loading import load_models
from .results import GROUP_TITLES, ROUTES, TestResult, tests_of
from .summary import summary_lines
from .tables import accuracy_markdown, length_markdown, yes_no_rows

DEFAULT_CHOICES = (
    "Every training setting (recipes, steps, learning rates, which checkpoint to keep) was chosen on the validation "
    "split of `data/tom_training` only (stories with names, rooms, objects and containers of their own). The test "
    "sets of this report - the ToMi-style eval items `data/tomi/tomi_items.jsonl`, the 16 scenarios and Strange "
    "Stories - were asked by the evaluation battery after training and were never used for a choice.")


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
    md += generated_by(command)
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
