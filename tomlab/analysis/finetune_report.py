"""The finetuning study's report: base vs SFT vs PPO vs DPO on the ToM scenarios, each training stage's held-out
measurements, the preference data and the chain's time.

``write_finetune_report(graded, run_dir, out_dir)`` checks every input, then writes ``REPORT.md``, ``accuracy.png``
and a copy of the run's training curves (``<out>/curves/*.png``).
"""

from __future__ import annotations

import math
import os
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..data.generator import read_jsonl
from ..data.loader import DEFAULT_DATASET
from ..data.separability import format_report
from ..data.separability import report as separability
from ..errors import ToMLabError
from ..formatting import fmt, fmt_p, generated_by, markdown_table
from ..grading import GRADER_VERSION, GradedFile
from ..io import atomic_write_bytes, atomic_write_text, read_json
from ..models import repo_relative
from ..schema import PROMPTINGS
from ..stats import DETECTION_POWER, detectable_difference, holm, paired_ttest, wilson_interval
from .report import (
    Cell,
    accuracy_table_markdown,
    aggregate,
    bias_markdown,
    cell_for,
    chance_markdown,
    committed_markdown,
    figure_accuracy,
    models_of,
    yes_no_bias,
)

ROLES = ("base", "SFT", "PPO", "DPO")
#: (A, B): is model A different from model B? One Holm family over all comparisons x prompting types.
COMPARISONS = (("SFT", "base"), ("PPO", "SFT"), ("DPO", "SFT"))
ALPHA = 0.05
#: A pairwise accuracy (chosen scored above rejected) of a model that guesses.
PAIRWISE_CHANCE = 0.5
STAGES = {"sft": "SFT", "reward": "Reward model", "ppo": "PPO", "dpo": "DPO"}
#: Metrics that count training steps, with their names in the report.
STEP_KEYS = {"train_steps": "train steps", "updates": "PPO updates"}
STAGE_NOTES = {"dpo": "Before training the policy is its own reference: every implicit reward is 0, so the accuracy "
                      "(chosen strictly above rejected) starts at 0, not at chance."}


@dataclass(frozen=True)
class Measure:
    """A held-out measurement a stage records as ``<key>_before`` and ``<key>_after``."""

    label: str
    key: str
    n_key: str | None = None  # the metric holding the number of held-out items
    pairwise: bool = False  # a pairwise accuracy: its after value is tested against chance


MEASURES = {
    "sft": (Measure("held-out loss", "eval_loss"),),
    "reward": (Measure("held-out pairwise accuracy", "eval_accuracy", "eval_pairs", pairwise=True),),
    "ppo": (Measure("held-out RM score", "heldout_mean_reward", "heldout_prompts"),
            Measure("held-out gold accuracy", "heldout_gold_accuracy", "heldout_prompts")),
    "dpo": (Measure("implicit-reward accuracy", "eval_reward_accuracy", "eval_pairs", pairwise=True),
            Measure("held-out gold accuracy", "heldout_gold_accuracy", "heldout_prompts")),
}


# ------------------------------------------------------------------------------------- ToM answers


def role_of(model: str) -> str:
    """``SFT``/``PPO``/``DPO`` for a name ending in ``-SFT``/``-PPO``/``-DPO`` (a ``[format]`` tag aside), else base."""
    name = re.sub(r"\s*\[[^\]]*\]$", "", model).upper()
    return next((role for role in ROLES[1:] if name.endswith(f"-{role}")), "base")


def identify_roles(cells: Sequence[Cell]) -> dict[str, str]:
    """{role: model}; exactly one model per role, each with answers for every prompting type."""
    found: dict[str, list] = {role: [] for role in ROLES}
    for m in models_of(cells):
        found[role_of(m)].append(m)
    for role, models in found.items():
        if len(models) != 1:
            raise ToMLabError(f"expected one {role} model among the answers, found {len(models)}: "
                              f"{', '.join(models) or 'none'} (fine-tuned names end in -SFT, -PPO, -DPO)")
        missing = [p for p in PROMPTINGS if cell_for(cells, models[0], p) is None]
        if missing:
            raise ToMLabError(f"{models[0]} has no answers for {', '.join(missing)} prompting")
    return {role: models[0] for role, models in found.items()}


def comparison_tests(cells: Sequence[Cell], roles: dict[str, str]) -> list[dict]:
    """Paired t-test over the scenarios of A vs B per prompting type; Holm over all the tests as one family. Each row
    also holds the smallest difference its test could have detected at 80% power (``detectable``: at level ALPHA;
    ``detectable_holm``: at ALPHA / m, the strictest step of Holm's procedure over the m tests)."""
    rows = []
    for a, b in COMPARISONS:
        for p in PROMPTINGS:
            acc_a = cell_for(cells, roles[a], p).shares
            acc_b = cell_for(cells, roles[b], p).shares
            sids = sorted(acc_a.keys() & acc_b.keys())
            test = paired_ttest([acc_b[s] for s in sids], [acc_a[s] for s in sids])  # diff = A - B
            sd = statistics.stdev(acc_a[s] - acc_b[s] for s in sids) if len(sids) > 1 else math.nan
            rows.append({"a": a, "b": b, "prompting": p, "test": test, "sd": sd})
    for row, p_holm in zip(rows, holm([r["test"].p for r in rows])):
        row["p_holm"] = p_holm
        row["significant"] = not math.isnan(p_holm) and p_holm < ALPHA
        n = row["test"].n_a
        row["detectable"] = detectable_difference(row["sd"], n, ALPHA)
        row["detectable_holm"] = detectable_difference(row["sd"], n, ALPHA / len(rows))
    return rows


def comparisons_markdown(rows: list[dict]) -> str:
    """The paired tests of :func:`comparison_tests`, one row each."""
    return markdown_table(
        ["comparison (A vs B)", "prompting", "mean A", "mean B", "diff (A - B)", "t", "df", "p", "p_holm",
         "significant", "detectable", "detectable (Holm)"], "ll" + "r" * 7 + "lrr",
        [[f"{r['a']} vs {r['b']}", r["prompting"], fmt(t.mean_b, 3), fmt(t.mean_a, 3), fmt(t.diff, 3), fmt(t.t, 2),
          int(t.df), fmt_p(t.p), fmt_p(r["p_holm"]), "yes" if r["significant"] else "no", fmt(r["detectable"], 3),
          fmt(r["detectable_holm"], 3)] for r in rows for t in [r["test"]]])


def comparison_summary(rows: list[dict]) -> list[str]:
    """One line per comparison: per prompting type, the significant difference or "no detectable effect"."""
    lines = []
    for a, b in COMPARISONS:
        parts = []
        for r in (r for r in rows if (r["a"], r["b"]) == (a, b)):
            t, p = r["test"], f"p {fmt_p(r['test'].p)}, p_holm {fmt_p(r['p_holm'])}"
            if r["significant"]:
                parts.append(f"{r['prompting']}: {a} {'above' if t.diff > 0 else 'below'} {b} by {abs(t.diff):.2f} "
                             f"({t.mean_b:.2f} vs {t.mean_a:.2f}, {p})")
            elif math.isnan(t.p) and t.diff:
                parts.append(f"{r['prompting']}: no test possible (every scenario differs by {t.diff:+.2f})")
            else:
                bound = (f"no effect larger than {r['detectable_holm']:.2f}" if math.isfinite(r["detectable_holm"])
                         else "no spread to bound it by")
                parts.append(f"{r['prompting']}: no detectable effect (diff {t.diff:+.2f}, {p}; {bound})")
        lines.append(f"- **{a} vs {b}**: " + "; ".join(parts) + ".")
    return lines


# ------------------------------------------------------------------------------------- the run


def _read_object(path: Path) -> dict:
    """The JSON object in ``path`` (a run's ``chain.json`` or a stage's ``metrics.json``)."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise ToMLabError(f"{path}: not a JSON object")
    return data


def stage_metrics(run: Path, chain: dict, stage: str) -> dict:
    """A stage's metrics: ``metrics/<stage>.json``, else ``train/<stage>/metrics.json``, else ``chain.json``."""
    for path in (run / "metrics" / f"{stage}.json", run / "train" / stage / "metrics.json"):
        if path.is_file():
            return _read_object(path).get("metrics") or {}
    return (chain.get("steps", {}).get(stage) or {}).get("metrics") or {}


def measure_verdict(m: Measure, metrics: dict) -> str:
    """Did the measurement move? A pairwise accuracy: the after value's 95% Wilson interval against chance."""
    before, after, n = metrics.get(f"{m.key}_before"), metrics.get(f"{m.key}_after"), metrics.get(m.n_key)
    if after is None:
        return "not measured"
    if m.pairwise and n:
        lo, hi = wilson_interval(round(after * n), n)
        side = "above chance" if lo > PAIRWISE_CHANCE else "below chance" if hi < PAIRWISE_CHANCE else None
        return (f"after: 95% Wilson [{lo:.2f}, {hi:.2f}] on {n} pairs, "
                f"{side or 'not distinguishable from chance'} ({PAIRWISE_CHANCE:.2f})")
    if before is None:
        return "no before value"
    if after == before:
        return "unchanged"
    count = f" ({round((after - before) * n):+d} of {n})" if n and m.key.endswith("accuracy") else ""
    return f"changed by {after - before:+.3f}{count}"


def _steps(metrics: dict) -> str:
    return ", ".join(f"{metrics[k]} {name}" for k, name in STEP_KEYS.items() if metrics.get(k) is not None)


def stage_summary(stage: str, metrics: dict) -> str:
    """One line: each held-out measurement before -> after and whether it moved, or "not measured"."""
    parts = []
    for m in MEASURES[stage]:
        before, after = metrics.get(f"{m.key}_before"), metrics.get(f"{m.key}_after")
        parts.append(f"{m.label} not measured" if after is None
                     else f"{m.label} {fmt(before, 3)} -> {fmt(after, 3)}: {measure_verdict(m, metrics)}")
    steps = _steps(metrics)
    return f"- **{STAGES[stage]}**" + (f" ({steps})" if steps else "") + ": " + "; ".join(parts) + "."


def training_markdown(metrics: dict[str, dict], curves: list[str]) -> str:
    md = []
    for stage, name in STAGES.items():
        ms = metrics[stage]
        table = markdown_table(["measurement", "before", "after", "held-out n", "verdict"], "lrrrl",
                               [[m.label, fmt(ms.get(f"{m.key}_before"), 3), fmt(ms.get(f"{m.key}_after"), 3),
                                 ms.get(m.n_key) or "n/a", measure_verdict(m, ms)] for m in MEASURES[stage]])
        notes = f"Training: {_steps(ms) or 'not recorded'}. {STAGE_NOTES.get(stage, '')}".rstrip()
        md += [f"### {name}", "", table, notes, ""]
        if f"{stage}.png" in curves:
            md += [f"![{name} training curves](curves/{stage}.png)", ""]
    md += [f"![{c}](curves/{c})\n" for c in curves if c.removesuffix(".png") not in STAGES]
    return "\n".join(md)


def chain_time_markdown(chain: dict) -> str:
    steps = chain.get("steps") or {}
    wall = chain.get("total_wall_s") or sum(s.get("wall_s") or 0 for s in steps.values())
    cpu = sum(s.get("cpu_s") or 0 for s in steps.values())
    table = markdown_table(["step", "status", "wall (s)", "CPU (s)"], "llrr",
                           [*([name, s.get("status", "n/a"), fmt(s.get("wall_s"), 1), fmt(s.get("cpu_s"), 1)]
                              for name, s in steps.items()),
                            ["**total**", None, f"**{wall:.1f}**", f"**{cpu:.1f}**"]])
    cores = (chain.get("machine") or {}).get("cpu_count")
    where = (f"a machine with {cores} CPU cores (`os.cpu_count()`, recorded by the chain)" if cores else
             f"the machine that ran the chain (not recorded; this machine has {os.cpu_count()} CPU cores)")
    return table + f"\nWall and CPU seconds as `chain.json` recorded them, measured on {where}.\n"


# ------------------------------------------------------------------------------------ preference data


def data_folder(run: Path, data=None) -> Path:
    """``--data``, else the run's ``data/``, else the default dataset."""
    if data is not None:
        return Path(data)
    return run / "data" if (run / "data").is_dir() else DEFAULT_DATASET


def preference_markdown(folder: Path, run: Path, train: list[dict], evals: list[dict]) -> str:
    own = folder.resolve() == (run / "data").resolve()
    where = "the run's data" if own else "not the run's `data/`: the run may have trained on other pairs"
    train_by = Counter(r.get("source", "unknown") for r in train)
    eval_by = Counter(r.get("source", "unknown") for r in evals)
    table = markdown_table(["source", "train", "eval"], "lrr",
                           [*([s, train_by[s], eval_by[s]] for s in sorted(train_by.keys() | eval_by.keys())),
                            ["**total**", f"**{len(train)}**", f"**{len(evals)}**"]])
    lines = [f"Pairs of `{repo_relative(folder)}` ({where}), by source:", "", table,
             "Separability without the context (can a reward model that sees only the answer pick the chosen one?):",
             "", format_report(separability(train, evals)), ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ report


def write_finetune_report(graded: Sequence[GradedFile], run_dir, out_dir, data_dir=None, command: str = "") -> Path:
    """Check every input, then write ``REPORT.md``, its figure and the run's curves into ``out_dir``."""
    run, out = Path(run_dir), Path(out_dir)
    cells = aggregate(graded)
    if not cells:
        raise ToMLabError("no answer files among the answers given")
    roles = identify_roles(cells)
    cells = sorted(cells, key=lambda c: ROLES.index(role_of(c.model)))  # base, SFT, PPO, DPO in every table
    if not (run / "chain.json").is_file():
        raise ToMLabError(f"{run}: not a chain run folder (no chain.json)")
    chain = _read_object(run / "chain.json")
    metrics = {stage: stage_metrics(run, chain, stage) for stage in STAGES}
    folder = data_folder(run, data_dir)
    train, evals = read_jsonl(folder / "train.jsonl"), read_jsonl(folder / "eval.jsonl")
    if not train or not evals:
        raise ToMLabError(f"{folder}: train.jsonl and eval.jsonl must both hold pairs")
    preference = preference_markdown(folder, run, train, evals)
    tests = comparison_tests(cells, roles)
    curves = {p.name: p.read_bytes() for p in sorted((run / "curves").glob("*.png"))}

    md = ["# Finetuning study: does preference finetuning boost theory of mind?", ""]
    md += generated_by(command)
    md += [f"Grader: automatic (`tomlab.grading`, version {GRADER_VERSION}); {sum(c.n for c in cells)} answers in "
           f"{sum(len(c.files) for c in cells)} files. Models: "
           + ", ".join(f"{role} = {model}" for role, model in roles.items()) + ".", "",
           "## 1. Summary", "",
           f"ToM accuracy, Holm-corrected paired tests over the {tests[0]['test'].n_a} scenarios (significant: "
           f"p_holm < {ALPHA}):", ""]
    md += comparison_summary(tests)
    md += ["", "Did each training stage move its held-out measurement?", ""]
    md += [stage_summary(stage, metrics[stage]) for stage in STAGES]
    md += ["", "## 2. Accuracy", "", "Correct answers / all answers per model and prompting type, with 95% Wilson "
           "intervals.", "", accuracy_table_markdown(cells, ci=True), chance_markdown(cells), "",
           "Answers that commit to a conclusion at all (a 'yes' or a 'no' verdict, right or wrong):", "",
           committed_markdown(cells), "Yes/no bias: unpaired t-test between the per-scenario correct counts of the "
           "yes- and of the no-scenarios (t > 0: better on yes-scenarios).", "", bias_markdown(yes_no_bias(cells)),
           "## 3. Model comparisons", "",
           f"Paired t-test over the scenarios: each scenario's accuracy (correct / answers) of model A against that "
           f"of model B under the same prompting type, two-sided; the {len(tests)} tests are Holm-corrected as one "
           f"family; significant: p_holm < {ALPHA}. 'detectable' is the smallest difference each test would have "
           f"found with {DETECTION_POWER:.0%} power at level {ALPHA} (from the spread of its per-scenario "
           f"differences), 'detectable (Holm)' the same at {ALPHA} / {len(tests)}, the strictest step of Holm's "
           "procedure: a null result rules out effects larger than that, not effects in general.", "",
           comparisons_markdown(tests),
           "![Accuracy per model and prompting type](accuracy.png)", "",
           "## 4. Training", "", training_markdown(metrics, list(curves)),
           "## 5. Preference data", "", preference,
           "## 6. Chain time", "", chain_time_markdown(chain)]

    figure_accuracy(cells, out / "accuracy.png")
    for name, data in curves.items():
        atomic_write_bytes(out / "curves" / name, data)
    path = out / "REPORT.md"
    atomic_write_text(path, "\n".join(md))
    return path
