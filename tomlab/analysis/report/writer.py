"""``REPORT.md``: every table, test and figure of the report in one file, with the command that made it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ...errors import ToMLabError
from ...formatting import generated_by
from ...grading import GRADER_VERSION, GradedFile
from ...io import atomic_write_text
from .aggregate import aggregate, models_of
from .figures import figure_accuracy, figure_behaviours, figure_bias, figure_heatmap
from .published import published_for
from .significance import prompting_tests, yes_no_bias
from .tables import (
    accuracy_table_markdown,
    behaviour_markdown,
    bias_markdown,
    chance_markdown,
    committed_markdown,
    per_scenario_table_markdown,
    tests_markdown,
)


def write_report(graded: Sequence[GradedFile], out_dir, command: str = "", human_counts: dict | None = None) -> Path:
    """Write ``REPORT.md`` and its PNG figures into ``out_dir``; returns the report's path."""
    out = Path(out_dir)
    cells = aggregate(graded)
    if not cells:
        raise ToMLabError("no graded answers to report on")
    figs = {"accuracy": "accuracy.png", "heatmap": "scenario_heatmap.png", "behaviours": "behaviours.png",
            "bias": "yes_no_bias.png"}
    tests = prompting_tests(cells)
    bias = yes_no_bias(cells)
    figure_accuracy(cells, out / figs["accuracy"])
    figure_heatmap(cells, out / figs["heatmap"])
    figure_behaviours(cells, out / figs["behaviours"])
    figure_bias(bias, out / figs["bias"])

    n_answers = sum(c.n for c in cells)
    n_labelled = sum(f.n_labelled for c in cells for f in c.files)
    sources = sorted({s for c in cells for f in c.files for s in f.label_sources()})
    any_pub = any(published_for(m) for m in models_of(cells))
    md = ["# ToM experiment report", ""]
    md += generated_by(command)
    md += [f"Grader: automatic (`tomlab.grading`, version {GRADER_VERSION}); "
           f"{n_answers} answers in {sum(len(c.files) for c in cells)} files"
           + (f"; {n_labelled} answers carry a label from {', '.join(f'`{x}`' for x in sources)} that overrides "
              "the automatic one." if n_labelled else "."),
           "Accuracy counts only correct answers; inconclusive answers (no verdict) count as not correct, as in "
           "the original report. See `docs/grading.md` for the grading rules and their validation against the "
           "human labels.", ""]
    incomplete = [f for c in cells for f in c.files if not f.complete]
    if incomplete:
        md += ["**Incomplete runs** (graded, but not every answer was generated):", ""]
        md += [f"- `{f.path}`: {f.model} {f.prompting}, {f.n} answers" for f in incomplete]
        md += [""]
    md += ["## 1. Accuracy", "",
           "Correct answers / all answers per model and prompting type, with 95% Wilson intervals"
           + (" and, where the model was in the original report, its published (hand-graded) accuracy." if any_pub
              else "."), "",
           accuracy_table_markdown(cells, ci=True, published=any_pub), "",
           chance_markdown(cells), "",
           f"![Accuracy per model and prompting type]({figs['accuracy']})", "",
           "Answers that commit to a conclusion at all (a 'yes' or a 'no' verdict, right or wrong; the rest are "
           "inconclusive: hedging, evasion, example repetition, rambling):", "",
           committed_markdown(cells), ""]
    md += ["## 2. Correct answers per scenario", "",
           "Correct answers out of the answers per scenario (20 per scenario in the original protocol)"
           + ("; the human graders' counts beside where available." if human_counts else "."), ""]
    for m in models_of(cells):
        md += [f"### {m.replace('_', ' ')}", "", per_scenario_table_markdown(cells, m, human_counts), ""]
    md += [f"![Correct answers per scenario and condition]({figs['heatmap']})", ""]
    md += ["## 3. Does the prompting type matter?", "",
           "Paired t-test over the per-scenario correct counts, Base vs each other prompting type "
           "(two-sided; p (Holm): Holm-Bonferroni over the three comparisons of a model; "
           "d_z: mean difference / SD of the differences; * p<0.05, ** p<0.01, *** p<0.001).", "",
           tests_markdown(tests) if tests else "_No model has a Base run and another prompting type._", ""]
    md += ["## 4. Yes/no bias", "",
           "Unpaired (Student) t-test between the per-scenario correct counts of the yes-scenarios and those of "
           "the no-scenarios; t > 0 means more correct answers on yes-scenarios, i.e. a tendency to answer "
           "'yes' (yes-bias). d: Cohen's d with the pooled SD. The share of 'yes' verdicts is taken over the "
           "answers that commit to yes or no.", "",
           bias_markdown(bias), "", f"![Yes/no bias]({figs['bias']})", ""]
    md += ["## 5. Answer behaviour", "",
           "Each answer's behaviour (grading rules in `docs/grading.md`): a clear correct answer, a wrong "
           "conclusion, multiple answers / hedging, question evasion (\"cannot be determined\"), example "
           "repetition (answering a chain-of-thought example instead of the question) or task deviation / "
           "rambling (no answer to the question at all).", "",
           behaviour_markdown(cells), "", f"![Answer behaviour]({figs['behaviours']})", ""]
    md += ["## Inputs", ""]
    md += [f"- `{f.path}`: {f.model}, {f.prompting}, {f.n} answers" + ("" if f.complete else " (incomplete)")
           for c in cells for f in c.files]
    md += [""]
    path = out / "REPORT.md"
    atomic_write_text(path, "\n".join(md))
    return path
