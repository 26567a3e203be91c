"""The ToM training study as one resumable command (``tom-study``, ``scripts/tom_study.py``, ``make tom-study``):

    ToM-SFT -> merge;  ToM-DPO -> merge;  GRPO -> merge   (:func:`chain.plan_tom`, each from the base)  => <out>/models/
    the evaluation battery (:mod:`tomlab.analysis.battery`) on the base model and on each merged route model, and
    with ``with_gemma`` on Gemma 3 270M (skipped with one line when its package is not installed)     => <out>/answers/
    the study's report (:func:`tomlab.analysis.tom_training_report.write_tom_training_report`: the battery's answers,
    the routes' metrics.json and curves, the preference study's committed answers as extra models)   => <out>/report/

Every step but the report is a command a researcher could type (``tom-sft``, ``tom-dpo``, ``tom-grpo``, ``tom-merge``,
``tom-battery``; started as ``python -m tomlab.commands.<name>``, :func:`chain.command`), run by
:func:`chain.run_steps`: a progress line per step with its estimate, each step's
status, wall and CPU seconds in ``<out>/chain.json`` (with the machine's CPU count), a failed step stops the study and
keeps everything before it. Resuming: a route whose merged model is complete is skipped; a battery step is skipped when
the same command finished before and its answers are not older than its model (else it is asked again, the
battery's ``--overwrite``); the battery itself resumes a partial answer file; the report is written again whenever a
step ran or it is missing. A run folder holds one study: other training or battery settings are refused.

Prompts: the battery asks raw prompts (no chat template, scenario format). That is the shape the routes trained on:
every ToM training row's ``prompt`` is the benchmark runner's default raw Base prompt, so the held-out ToMi items are
asked exactly as the training items were. The route models are labelled ``<base>-ToM-SFT``, ``-ToM-DPO``,
``-ToM-GRPO`` (their folder names), as the report recognizes them.

The budget: each route at most 20 minutes on the 2-core CPU, the whole study at most 75. The routes'
recipes are sized to about 42 minutes together; the full battery on four models would add about 50 (the 16
scenarios about 3 minutes per model, the 960 greedy ToMi prompts about 8, Strange Stories about 1; the
constants below). The study therefore asks only the first :data:`STUDY_TOMI_LIMIT` of the 320 held-out ToMi items,
open and yes/no: the items cycle through the 4 kinds x 2 beliefs, so the cut keeps every cell with the same number
of items; the 16 scenarios (20 answers x 4 prompting types) and the 53 Strange Stories are asked in full. ``tomi_limit``
None asks all 320 (about 22 minutes more for four models).
"""

from __future__ import annotations

import importlib.util
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.correlation import N_BOOT, N_SPLITS
from ..errors import ToMLabError
from ..io import atomic_write_json, atomic_write_text
from ..models import EMBEDDED, GEMMA3, cache_dir
from ..paths import REPO_ROOT
from ..scenarios import DEFAULT_SCENARIOS, load_scenarios
from ..tasks import strange_stories, tomi
from ..tasks.items import read_jsonl
from .chain import (
    STATE,
    TOM_DATA,
    TOM_ROUTES,
    ChainSettings,
    Step,
    base_label,
    command,
    load_state,
    plan_tom,
    run_steps,
)
from .curves import draw_run

#: The preference study's committed answers (16 scenarios, context format): the base and its SFT, PPO and DPO
#: models, compared in the report with their own reference.
PREFERENCE_ANSWERS = REPO_ROOT / "results" / "answers"
PREFERENCE_REFERENCE = "SmolLM2-135M-Instruct [context]"
#: The preference study asked its models in the context format (the format its stages trained on); the other runs in
#: its folder (raw prompts, chat template) are the 16-scenario experiment's, and the study's own battery asks the base
#: model with raw prompts itself.
PREFERENCE_FORMAT = " [context]"
#: The held-out ToMi items the study asks (of 320): 12 per kind x belief cell, open and both yes/no probes.
STUDY_TOMI_LIMIT = 96
#: The smoke study: recipes tom-smoke; the battery on the first 2 scenarios, ToMi items and stories, 1 answer of at
#: most 16 tokens each.
SMOKE_PRESET = "tom-smoke"
SMOKE_BATTERY = {"reps": 1, "tokens": 16, "limit": 2, "tomi_limit": None}
FULL_BATTERY = {"reps": 20, "tokens": 128, "limit": None, "tomi_limit": STUDY_TOMI_LIMIT}

# ---- the estimate: seconds on the 2-core CPU with the machine alone (docs/finetuning.md, "The ToM study")
#: Each route with its held-out answers, evaluations and loading (the recipes' estimate in docs/finetuning.md);
#: smoke: rough, from the preference chain's smoke stages.
ROUTE_S = {"sft": 780, "dpo": 890, "grpo": 830}
SMOKE_ROUTE_S = {"sft": 45, "dpo": 90, "grpo": 60}
MERGE_S = 13
#: 16 scenarios: one sampled answer of up to 128 tokens (make experiment, float32, alone: 176.5 s for 1,280 answers;
#: finetuned models answer shorter, so an upper bound for them).
SCENARIO_ANSWER_S = 0.14
#: One greedy benchmark prompt (a distinct story, so prefilling dominates): a ToMi prompt (open or a probe) and a
#: Strange Stories prompt (longer stories).
TOMI_PROMPT_S = 0.5
STRANGE_PROMPT_S = 0.8
#: Starting Python and loading the model, once per battery (one runner call asks every test).
BATTERY_LOAD_S = 15
#: Gemma 3 270M costs about twice as much per token (its 262k-word output layer alone is 168M parameters).
GEMMA_FACTOR = 2.0
REPORT_S = 60
#: The budget for the whole study (not gemma) on the 2-core CPU.
BUDGET_S = 75 * 60


@dataclass
class StudySettings:
    out: Path  # the study's run folder (train/, models/, answers/, curves/, report/, chain.json)
    smoke: bool = False  # recipes tom-smoke and the smoke battery: the whole study in minutes
    routes: tuple[str, ...] = tuple(TOM_ROUTES)  # which routes to train and ask
    model: str = EMBEDDED  # the base model of every route, and the report's reference
    dataset: str = str(TOM_DATA)  # the ToM items: train.jsonl + validation.jsonl
    with_gemma: bool = False  # also ask the battery of Gemma 3 270M (raw prompts), when its package is installed
    tomi_limit: int | None = STUDY_TOMI_LIMIT  # held-out ToMi items asked (None: all 320; smoke: as its limit)
    preference_answers: Path | None = PREFERENCE_ANSWERS  # extra models for the report (None: none; the smoke
    # battery asks the first scenarios only, which the report cannot correlate with the preference study's 16)
    stage_args: list[str] = field(default_factory=list)  # extra arguments for every route
    n_boot: int = N_BOOT  # the report's bootstrap resamples (correlation)
    n_splits: int = N_SPLITS  # the report's random splits per split-half reliability

    def check(self) -> None:
        """Bad input: one error line, before anything is written."""
        unknown = [r for r in self.routes if r not in TOM_ROUTES]
        if unknown or not self.routes:
            raise ToMLabError(f"--routes {','.join(self.routes)}: no such route {', '.join(unknown) or '(none given)'}"
                              f" (routes: {', '.join(TOM_ROUTES)})")
        if self.out.exists() and not self.out.is_dir():
            raise ToMLabError(f"--out {self.out}: is a file, not a folder")
        data = Path(self.dataset)
        missing = [n for n in ("train.jsonl", "validation.jsonl") if not (data / n).is_file()]
        if missing:
            raise ToMLabError(f"--dataset {data}: no {' or '.join(missing)} (the ToM items: train.jsonl + "
                              "validation.jsonl)")
        if self.tomi_limit is not None and self.tomi_limit < 1:
            raise ToMLabError(f"--tomi_limit {self.tomi_limit}: must be at least 1")
        if self.preference_answers is not None and not Path(self.preference_answers).is_dir():
            raise ToMLabError(f"--preference_answers {self.preference_answers}: no such folder")

    @property
    def battery(self) -> dict:
        """The battery's settings (the same for every model): part of the study's identity."""
        if self.smoke:
            return dict(SMOKE_BATTERY)
        return {**FULL_BATTERY, "tomi_limit": self.tomi_limit}

    def chain(self) -> ChainSettings:
        return ChainSettings(out=self.out, preset=SMOKE_PRESET if self.smoke else "tom", model=self.model,
                             revision=None, dataset=self.dataset, reps=0, on_policy=False,
                             stage_args=list(self.stage_args), skip_eval=True, routes=tuple(self.routes),
                             study=self.battery)


def answers_dir(s: StudySettings) -> Path:
    return s.out / "answers"


def label_folders(s: StudySettings, label: str) -> tuple[Path, ...]:
    """Where the battery writes one model's answers (tomlab.analysis.battery's layout)."""
    answers = answers_dir(s)
    return (answers / "scenarios" / label, answers / "benchmarks" / "tomi" / label,
            answers / "benchmarks" / "strange_stories" / label)


def gemma_available() -> bool:
    """Gemma 3 270M can be asked: converted into the cache already, or its package installed."""
    folder = cache_dir() / "models" / GEMMA3.name
    return (folder / "config.json").is_file() or importlib.util.find_spec(GEMMA3.package) is not None


def battery_estimate_s(b: dict, factor: float = 1.0) -> float:
    """Seconds one model's battery takes alone on the 2-core CPU, from the per-answer and per-prompt constants."""
    n_scenarios = len(load_scenarios(DEFAULT_SCENARIOS)[: b["limit"]])
    n_tomi = len(read_jsonl(tomi.DEFAULT_ITEMS)[: b["tomi_limit"] or b["limit"]])
    n_stories = len(strange_stories.load(strange_stories.DEFAULT_ITEMS)[0][: b["limit"]])
    answers = n_scenarios * 4 * b["reps"] * SCENARIO_ANSWER_S * min(b["tokens"], 128) / 128
    prompts = n_tomi * 3 * TOMI_PROMPT_S + n_stories * STRANGE_PROMPT_S
    return BATTERY_LOAD_S + factor * (answers + prompts)


def battery_step(s: StudySettings, model: str, label: str, merged: Path | None = None,
                 factor: float = 1.0) -> Step:
    b = s.battery
    args = ["--model", model, "--label", label, "--out", str(answers_dir(s)), "--reps", str(b["reps"]), "--tokens",
            str(b["tokens"])]
    args += ["--limit", str(b["limit"])] if b["limit"] is not None else []
    args += ["--tomi_limit", str(b["tomi_limit"])] if b["tomi_limit"] is not None else []
    return Step(f"battery {label}", "eval", command("tom-battery", *args), model=merged,
                answers=label_folders(s, label) if merged is not None else (),
                estimate_s=battery_estimate_s(b, factor))


def plan_study(s: StudySettings) -> list[Step]:
    """The routes (and their merges), then the battery on the base, on each route model and optionally on Gemma."""
    c = s.chain()
    steps = plan_tom(c)
    route_s = SMOKE_ROUTE_S if s.smoke else ROUTE_S
    for step in steps:
        step.estimate_s = MERGE_S if step.kind == "merge" else route_s[step.name.removeprefix("tom-")]
    base = base_label(s.model)
    steps.append(battery_step(s, s.model, base))
    for route in s.routes:
        merged = s.out / "models" / f"{base}-{TOM_ROUTES[route][3]}"
        steps.append(battery_step(s, str(merged), merged.name, merged=merged))
    if s.with_gemma and gemma_available():
        steps.append(battery_step(s, GEMMA3.alias, GEMMA3.name, factor=GEMMA_FACTOR))
    return steps


def estimate_lines(s: StudySettings, steps: list[Step]) -> list[str]:
    """The estimate printed before the study starts: per step, the total, and the budget."""
    total = sum(step.estimate_s or 0 for step in steps) + REPORT_S
    lines = [f"ToM study in {s.out}: {len(steps)} steps and the report; estimate for the 2-core CPU alone:"]
    lines += [f"  {step.name:<44} {step.estimate_s / 60:>6.1f} min" for step in steps]
    gemma = sum(step.estimate_s for step in steps if step.name == f"battery {GEMMA3.name}")
    lines += [f"  {'report':<44} {REPORT_S / 60:>6.1f} min", f"  {'total':<44} {total / 60:>6.1f} min"
              + (f" (without Gemma {(total - gemma) / 60:.1f} min)" if gemma else "")
              + ("" if s.smoke else f"; the issue's budget: {BUDGET_S / 60:.0f} min without Gemma")]
    b = s.battery
    if not s.smoke:
        lines.append(f"battery: 16 scenarios x 4 prompting types x {b['reps']} answers, ToMi "
                     + (f"first {b['tomi_limit']} of 320 items" if b["tomi_limit"] else "all 320 items")
                     + " (open + yes/no pair), 53 Strange Stories; raw prompts")
    if s.with_gemma and not gemma_available():
        lines.append(f"Gemma 3 270M: not installed, its battery is skipped ({GEMMA3.install})")
    return lines


def cut_note(s: StudySettings) -> str:
    """What the study's battery left out, and why (for the report's 'how choices were made')."""
    b = s.battery
    if s.smoke:
        return (f"This is a smoke study (recipes {SMOKE_PRESET}; the battery on the first {b['limit']} scenarios, "
                f"ToMi items and Strange Stories, {b['reps']} answer of at most {b['tokens']} tokens): it shows that "
                "every step runs, not what the routes do.")
    if b["tomi_limit"] is None:
        return "The battery asked every test in full."
    return (f"To keep the whole study within the issue's 75 minutes on the 2-core CPU, the battery asked the first "
            f"{b['tomi_limit']} of the 320 held-out ToMi items (open form and both yes/no probes; the items cycle "
            f"through the 4 kinds x 2 beliefs, so every cell keeps {b['tomi_limit'] // 8} items) instead of all 320, "
            "which would take about 22 minutes more for four models; the 16 scenarios (20 answers x 4 prompting "
            "types) and the 53 Strange Stories were asked in full.")


def report_comparisons(s: StudySettings, extra: dict) -> list[tuple[str, str]]:
    """Every route model against the base; the preference study's models against their own reference."""
    base = base_label(s.model)
    pairs = [(f"{base}-{TOM_ROUTES[r][3]}", base) for r in s.routes]
    if PREFERENCE_REFERENCE in extra:
        pairs += [(m, PREFERENCE_REFERENCE) for m in extra if m != PREFERENCE_REFERENCE]
    return pairs


def write_report(s: StudySettings, command: str) -> Path:
    from ..analysis.tom_training_report import DEFAULT_CHOICES, load_models, write_tom_training_report

    extra = {}
    if s.preference_answers is not None:
        extra = {m: tests for m, tests in load_models([s.preference_answers]).items() if m.endswith(PREFERENCE_FORMAT)}
    return write_tom_training_report([answers_dir(s)], s.out / "report", base_label(s.model), chain_dir=s.out,
                                     comparisons=report_comparisons(s, extra),
                                     choices=f"{DEFAULT_CHOICES} {cut_note(s)}", command=command,
                                     n_boot=s.n_boot, n_splits=s.n_splits, extra=extra)


def _self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def summary_markdown(s: StudySettings, steps: list[Step], state: dict) -> str:
    lines = [f"# ToM study: {s.out}", "", f"Base model {s.model}; routes {', '.join(s.routes)}; battery "
             f"{state['settings']['battery']}; {state['machine']['cpu_count']} CPUs.", "",
             "| step | estimate (s) | wall (s) | CPU (s) |", "| --- | ---: | ---: | ---: |"]
    for name, estimate in [(step.name, step.estimate_s) for step in steps] + [("report", REPORT_S)]:
        entry = state["steps"].get(name, {})
        lines.append(f"| {name} | {estimate:.0f} | {entry.get('wall_s', 0):.1f} | {entry.get('cpu_s', 0):.1f} |")
    lines.append(f"| **total** | | **{state['total_wall_s']:.1f}** | |")
    return "\n".join(lines) + "\n"


def run_study(s: StudySettings, command: str = "") -> dict:
    """Check the settings, print the estimate, run every step not done yet, write the report; return chain.json."""
    s.check()
    c = s.chain()
    state = load_state(c)  # an existing folder of another study or of something else: one line, nothing written
    steps = plan_study(s)
    print("\n".join(estimate_lines(s, steps)), flush=True)
    start = time.time()
    ran = run_steps(c, steps, state)
    draw_run(s.out / "train", s.out / "curves")
    report = s.out / "report" / "REPORT.md"
    if ran or not report.is_file() or "report" not in state["steps"]:
        print(f"\n[report] {report}", flush=True)
        t0, cpu0 = time.time(), _self_cpu_s()
        write_report(s, command)
        state["steps"]["report"] = {"status": "done", "wall_s": round(time.time() - t0, 1),
                                    "cpu_s": round(_self_cpu_s() - cpu0, 1)}
    else:
        print("[report] nothing new since it was written, kept", flush=True)
    state["total_wall_s"] = round(sum(e.get("wall_s", 0) for e in state["steps"].values()), 1)
    atomic_write_json(s.out / STATE, state)
    atomic_write_text(s.out / "summary.md", summary_markdown(s, steps, state))
    print(f"\n=== ToM study finished in {time.time() - start:.0f} s this run ===")
    for name in [step.name for step in steps] + ["report"]:
        entry = state["steps"].get(name, {})
        print(f"  {name:<44} {entry.get('wall_s', 0):>8.1f} s wall {entry.get('cpu_s', 0):>8.1f} s CPU")
    print(f"  {'total':<44} {state['total_wall_s']:>8.1f} s ({state['total_wall_s'] / 60:.1f} min) on "
          f"{state['machine']['cpu_count']} CPUs")
    print(f"models: {s.out / 'models'}; answers: {answers_dir(s)}; report: {report}")
    return state
