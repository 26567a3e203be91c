"""The ToM evaluation battery of one model: the 16 scenarios, the held-out ToMi-style set and Strange Stories.

``run_battery(BatterySettings(model=..., label=..., out=...))`` asks, into one answers folder, resumably:

* the 16 scenarios under the four prompting types, ``reps`` sampled answers each (the experiment runner's defaults:
  20 answers, temperature 0.4, top-k 50, top-p 0.95) -> ``<out>/scenarios/<label>/Results_<label>_<type>_<key>.json``;
* the ToMi-style eval items (``data/tomi/tomi_items.jsonl``, the test set), open and yes/no pair form, and the 53
  Strange Stories, one greedy answer per prompt -> ``<out>/benchmarks/{tomi,strange_stories}/<label>/...``.

Raw prompts as the original protocol asks them (``chat=True``: the tokenizer's chat template; ``prompt_format``
``context``: the preference study's format). The three tests go through one runner call
(:func:`tomlab.eval.runner.evaluate`), which loads the model once, and only when something is missing: it finds the
complete files by their run keys and resumes a partial one, so a second call generates nothing.

``limit`` (smoke runs, tests): only the first N scenarios (a subset scenario file written into ``<out>``), ToMi
items and Strange Stories. ``tomi_limit``: only the first N ToMi items, whatever ``limit`` says (the items cycle
through the 4 kinds x 2 beliefs, so any first N items keep every cell balanced to within one). ``overwrite``: ask
every test anew, replacing this run's files (a model retrained under the same path and label).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToMLabError
from ..eval.config import EvalConfig
from ..eval.registry import BENCHMARKS, get
from ..eval.runner import evaluate, format_summary
from ..io import atomic_write_text
from ..prompts import PROMPT_FORMATS
from ..scenarios import DEFAULT_SCENARIOS, load_scenarios

#: Sub-folders of a battery's answers folder.
SCENARIOS_DIR = "scenarios"
BENCHMARKS_DIR = "benchmarks"
#: The battery's tests, in the order they are asked.
TESTS = ("16 scenarios", *BENCHMARKS)


@dataclass
class BatterySettings:
    model: str  # hub id, local folder, .gguf file, or 'embedded'
    out: Path  # the answers folder (scenarios/ and benchmarks/ below it)
    label: str | None = None  # the model's name in file names and reports (None: the runners' default name)
    chat: bool = False  # wrap every prompt in the tokenizer's chat template (the original protocol: raw prompts)
    prompt_format: str = "scenario"  # 'context': the preference study's format
    reps: int = 20  # sampled answers per scenario and prompting type (benchmarks: one greedy answer per prompt)
    max_new_tokens: int = 128  # per answer, every test
    limit: int | None = None  # smoke: only the first N scenarios, ToMi items and Strange Stories
    tomi_limit: int | None = None  # only the first N ToMi items (None: as limit)
    overwrite: bool = False  # ask every test anew, replacing files that hold this run
    seed: int = 0
    dtype: str = "auto"
    device: str | None = None
    batch_size: int = 320
    progress: bool = True

    def check(self) -> None:
        checks = [
            (self.limit is None or self.limit >= 1, f"--limit {self.limit}: must be at least 1"),
            (self.tomi_limit is None or self.tomi_limit >= 1, f"--tomi_limit {self.tomi_limit}: must be at least 1"),
            (self.reps >= 1, f"--reps {self.reps}: must be at least 1"),
            (self.max_new_tokens >= 1, f"--tokens {self.max_new_tokens}: must be at least 1"),
            (self.prompt_format in PROMPT_FORMATS, f"--prompt_format {self.prompt_format}: choose scenario or "
                                                   "context"),
            (self.label is None or self.label.strip() != "", "--label: must not be empty"),
            (not Path(self.out).exists() or Path(self.out).is_dir(), f"--out {self.out}: is a file, not a folder"),
        ]
        for ok, message in checks:
            if not ok:
                raise ToMLabError(message)


def scenario_file(s: BatterySettings) -> Path:
    """The scenario file to ask: the committed 16, or (``limit``) their first N, written once into ``<out>``."""
    if s.limit is None:
        return DEFAULT_SCENARIOS
    scenarios = load_scenarios(DEFAULT_SCENARIOS)[: s.limit]
    path = Path(s.out) / f"scenarios-first-{len(scenarios)}.json"
    text = json.dumps({"source": f"the first {len(scenarios)} of {DEFAULT_SCENARIOS.name} (battery --limit)",
                       "scenarios": [{"id": x.id, "context": x.context, "question": x.question, "answer": x.answer}
                                     for x in scenarios]}, indent=2) + "\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        atomic_write_text(path, text)
    return path


def run_battery(s: BatterySettings) -> dict:
    """Ask (or find complete) every test of the battery, the model loaded once: {"label", "summary": the runner's
    summary, "tests": {test: its files (the summary's entries)}}."""
    s.check()
    shared = {"model": s.model, "model_label": s.label, "chat": s.chat, "prompt_format": s.prompt_format,
              "max_new_tokens": s.max_new_tokens, "seed": s.seed, "dtype": s.dtype, "device": s.device,
              "batch_size": s.batch_size, "progress": s.progress, "overwrite": s.overwrite}
    runs = [(get("tom16"), EvalConfig(**shared, repetitions=s.reps, all_conditions=True, grade=False,
                                      scenarios=scenario_file(s), output_dir=Path(s.out) / SCENARIOS_DIR))]
    for benchmark in BENCHMARKS:
        runs.append((get(benchmark), EvalConfig(**{
            **get(benchmark).defaults, **shared,
            "limit": s.tomi_limit if benchmark == "tomi" and s.tomi_limit is not None else s.limit,
            "output_dir": Path(s.out) / BENCHMARKS_DIR})))
    summary = evaluate(runs)
    tests = {test: [f for f in summary["files"] if f["task"] == task.name] for test, (task, _) in zip(TESTS, runs)}
    return {"label": summary["model"], "summary": summary, "tests": tests}


def format_battery(summary: dict) -> str:
    """The runner's summary: every test's files, the answers generated and the generation speed."""
    return format_summary(summary["summary"])


def generated(summary: dict) -> int:
    """Answers the battery generated (0: every file was found complete)."""
    return summary["summary"]["answers_generated"]
