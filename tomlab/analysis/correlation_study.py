"""The correlation study in one command: for every model of a models list file, the 16-scenario experiment (the
four prompting types, the original protocol) and every benchmark form (greedy), then the correlation report.

A models list file holds one model per line, as the runners' model flags (``#`` starts a comment)::

    embedded
    --model embedded --chat
    --model runs/finetune/ppo --prompt_format context --model_label SmolLM2-PPO
    --model Qwen/Qwen2.5-0.5B-Instruct --chat
    --backend openai --api_base http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-72B-Instruct --chat
    --backend openai --api_base https://api.example.com/v1 --api_key_env EXAMPLE_API_KEY --model some-model --chat

(a line without flags names ``--model``; ``--backend openai`` lines ask a model an OpenAI-compatible server serves,
with the server flags of :class:`~tomlab.eval.config.ModelArguments`, as the runner takes them). Each model is asked
every test in one runner call (:func:`tomlab.eval.runner.evaluate`: the model loaded once); its answer files are
found by their run keys, so whatever is already complete is read, not generated again; an interrupted study
resumes. Every test is read as one shape (:class:`tomlab.scores.Score`): the 16 scenarios graded by the ``tom16``
task's scorer (the rule grader), the benchmarks scored by ``tomlab.tasks.scoring``.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..backends.openai import read_api_key
from ..errors import ToMLabError
from ..eval.config import DEFAULT_OUTPUT_DIR, EvalConfig, ModelArguments, PromptArguments, flag, parse_groups
from ..eval.registry import BENCHMARKS, get
from ..eval.runner import check_backend_flags, evaluate, model_label
from ..grading import GRADER_VERSION
from ..io import atomic_write_json, atomic_write_text
from ..paths import REPO_ROOT
from ..schema import PROMPTINGS
from ..scores import Score, scenario_test
from ..tasks.benchmark import DEFAULTS as BENCHMARK_DEFAULTS
from ..tasks.scoring import score_file
from .correlation import (
    ANCHOR,
    N_BOOT,
    N_SPLITS,
    TestScores,
    analyse,
    correlation_table,
    models_table,
    pairwise_table,
    scatter,
    verdict,
)

DEFAULT_OUT = REPO_ROOT / "report" / "correlation"
HUB_MODELS = DEFAULT_OUT / "hub_models.txt"


@dataclass
class CorrelateArguments:
    models: Path = flag(DEFAULT_OUT / "models.txt", "models list file: one model per line, as runner model flags "
                                                     "(--backend openai --api_base URL --model NAME: a served model)")
    out: Path = flag(DEFAULT_OUT, "folder for REPORT.md, correlation.json and scatter.png")
    answers_dir: Path = flag(DEFAULT_OUTPUT_DIR, "where the 16-scenario answer files are (or go)")
    benchmarks_dir: Path = flag(BENCHMARK_DEFAULTS["output_dir"], "where the benchmark answer files are (or go)")
    prompting: str = flag("all", "which prompting types of the 16 scenarios count: all four pooled, or one",
                          choices=("all", *PROMPTINGS))
    n_boot: int = flag(N_BOOT, "bootstrap resamples per interval")
    n_splits: int = flag(N_SPLITS, "random item splits per split-half reliability")
    seed: int = flag(0, "seed of the bootstrap and the splits")
    progress: bool = flag(True, "progress bars while generating (--no_progress: none)")


def read_models(path: Path) -> list[tuple[str, dict]]:
    """[(the line as written, its model and prompt flags)]; a line's bad flags are one error naming the line."""
    if not Path(path).is_file():
        raise ToMLabError(f"--models {path}: no such file")
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        argv = shlex.split(text)
        if not argv[0].startswith("-"):
            argv = ["--model", *argv]
        values = parse_groups((ModelArguments, PromptArguments), argv, where=f"{path}:{n}")
        try:  # a server line's flags are checked now, not after the models before it ran for hours
            check_backend_flags(EvalConfig(**values))
            read_api_key(values["api_key_env"])
        except ToMLabError as exc:
            raise ToMLabError(f"{path}:{n}: {exc}") from None
        out.append((text, values))
    if not out:
        raise ToMLabError(f"--models {path}: no models in it")
    return out


def run_models(args: CorrelateArguments) -> list[dict]:
    """Run (or find complete) each model's experiment and benchmarks, each model in one runner call (one load):
    [{label, line, experiment, benchmarks}]. Two lines with one label are refused before anything runs."""
    runs, labels = [], {}
    models = [(line, {**values, "progress": args.progress}) for line, values in read_models(args.models)]
    for line, shared in models:
        label = model_label(EvalConfig(**shared))
        if label in labels:
            raise ToMLabError(f"--models {args.models}: two lines give the model label {label!r} ({labels[label]!r} "
                              f"and {line!r}); tell them apart with --model_label")
        labels[label] = line
    for (line, shared), label in zip(models, labels):
        print(f"== {line}", flush=True)
        tasks = [(get("tom16"), EvalConfig(**shared, all_conditions=True, grade=False, output_dir=args.answers_dir))]
        tasks += [(get(b), EvalConfig(**{**get(b).defaults, **shared, "output_dir": args.benchmarks_dir}))
                  for b in BENCHMARKS]
        files = evaluate(tasks)["files"]
        runs.append({"label": label, "line": line,
                     "experiment": [f["path"] for f in files if f["task"] == "tom16"],
                     "benchmarks": [f["path"] for f in files if f["task"] != "tom16"]})
    return runs


def scenario_scores(runs: list[dict], prompting: str) -> TestScores:
    """The 16 scenarios per model: each scenario's share of correct answers, the prompting types pooled (or one)."""
    models, rows, answers = [], [], []
    for run in runs:
        scores = [s for s in get("tom16").score(run["experiment"])
                  if prompting == "all" or s.test == scenario_test(prompting)]
        pooled = Score.pooled(scores, ANCHOR)
        items = sorted(pooled.counts)
        models.append(run["label"])
        rows.append([pooled.shares[s] for s in items])
        answers.append(pooled.n)
    return TestScores(ANCHOR, models, items, np.array(rows, float), np.array(answers))


def benchmark_scores(runs: list[dict]) -> dict:
    """Each benchmark form per model: each question's share of correct answers."""
    per_test: dict = {}
    for run in runs:
        for path in run["benchmarks"]:
            score = score_file(path).score()
            per_test.setdefault(score.test, []).append((run["label"], score))
    tests = {}
    for name, entries in per_test.items():
        items = list(entries[0][1].shares)
        rows, answers = [], []
        for _, score in entries:
            share = score.shares
            if list(share) != items:
                raise ToMLabError(f"{score.paths[0]}: asks other {name} items than {entries[0][1].paths[0]}")
            rows.append([share[q] for q in items])
            answers.append(score.n)
        tests[name] = TestScores(name, [label for label, _ in entries], items, np.array(rows, float),
                                 np.array(answers))
    return tests


def write_report(args: CorrelateArguments, runs: list[dict], tests: dict, result: dict, command: str) -> Path:
    out = Path(args.out)
    scatter(tests, out / "scatter.png")
    atomic_write_json(out / "correlation.json", {
        "command": command, "prompting": args.prompting,
        "models": [{k: run[k] for k in ("label", "line")} for run in runs],
        "accuracy": {name: dict(zip(t.models, map(float, t.accuracy()))) for name, t in tests.items()},
        **result})
    pooled = "all four prompting types pooled" if args.prompting == "all" else f"{args.prompting} prompting"
    files = "\n".join(f"- `{run['label']}` (`{run['line']}`): "
                      + ", ".join(f"`{_rel(p)}`" for p in run["experiment"] + run["benchmarks"]) for run in runs)
    text = f"""# Does the 16-scenario experiment track established ToM benchmarks?

Made by `{command}` from the models list `{_rel(args.models)}`.

## Models and their scores

Accuracy with 95% Wilson intervals. {ANCHOR}: {pooled}, 20 sampled answers per scenario and type, graded
automatically (grader {GRADER_VERSION}; always the same word: 0.50). Benchmarks: one greedy answer per prompt;
tomi-open = name the container (normalised match; one of the story's two containers at random: 0.50), tomi-yesno =
a yes/no probe per container, correct only when both are right (always the same word: 0; guessing: 0.25),
strange_stories-yesno = one yes/no question per story (always "no": 0.53, always "yes": 0.47).

{models_table(tests)}

## Correlation across models

Item scores = the share of an item's answers that were correct; a model's score = the mean over items. Intervals:
95% percentile bootstrap, {result['n_boot']} resamples of the models and, independently per test, of the items.
Split-half reliability: the correlation across models between the scores on two random halves of a test's items,
averaged over {result['n_splits']} random splits, then Spearman-Brown corrected to the full test. Corrected r =
r / sqrt(reliability x reliability) (Spearman's correction for attenuation; n/a where a reliability is not
positive). The last column: the smallest Pearson r a two-sided test at 5% could tell from zero with that many models.

{correlation_table(result)}

![scatter](scatter.png)
{_pairs_section(result)}
## What this can show

{verdict(result)}

## Recipe: 20+ hub models on a GPU box

`{_rel(HUB_MODELS)}` lists 24 hub models of 11 families from 0.1B to 14B, each asked with its chat template (the
two base models with the original raw prompts). On a CUDA machine with the hub reachable
(`conda env create -f environment.yml`):

```bash
python ToM_Experiment/correlate.py --models {_rel(HUB_MODELS)} --out report/correlation-hub
```

runs, for each model, the 16-scenario experiment (1,280 sampled answers) and the three benchmark forms (1,013 greedy
prompts), resuming whatever is already on disk, then writes this report for all of them. Add `--load_in_8bit` or
`--device_map auto` to a line for models that do not fit one GPU; add your own models as further lines.

## Files

{files}
"""
    atomic_write_text(out / "REPORT.md", text)
    return out / "REPORT.md"


def _pairs_section(result: dict) -> str:
    if not result["pairs"]:
        return ""
    return f"""
## Does every test order the models the same way?

Accuracy differences per pair of models, with 95% intervals from {result['n_boot']} resamples of each test's items.

{pairwise_table(result['pairs'])}
"""


def _rel(path) -> str:
    from ..models import repo_relative

    return repo_relative(path)


def main(argv=None, description: str | None = None) -> int:
    from ..errors import cli_main

    @cli_main
    def _main():
        args = CorrelateArguments(**parse_groups((CorrelateArguments,), argv, description))
        command = "python ToM_Experiment/correlate.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
        runs = run_models(args)
        tests = {ANCHOR: scenario_scores(runs, args.prompting), **benchmark_scores(runs)}
        result = analyse(tests, args.seed, args.n_boot, args.n_splits)
        path = write_report(args, runs, tests, result, command.strip())
        print(f"\n{models_table(tests)}\n\n{correlation_table(result)}\n\n{pairwise_table(result['pairs'])}\n\n"
              f"{verdict(result)}\n\nwrote {path}")
        return 0

    return _main()
