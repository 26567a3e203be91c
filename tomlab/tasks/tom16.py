"""The 16 ToM scenarios of Moghaddam & Honey (2023) as a task: each scenario asked under the requested prompting
types (Base, SbS, CoT, SbS+CoT: ``--sbs``, ``--cot``, ``--all_conditions``), ``--reps`` sampled answers each, one
answer file per prompting type (:class:`tomlab.answers.AnswerFile`, the original schema), graded by the rule grader
(:mod:`tomlab.grading`).

The prompts are the original scripts' (:func:`tomlab.prompts.build_prompt`); the scenarios and CoT examples are
``data/tom_scenarios.json`` and ``data/cot_example_scenarios.json`` (:mod:`tomlab.scenarios`). The run key hashes
nothing beyond the runner's identity, and the default file name is
``<output_dir>/<model>/Results_<model>_<prompting>_<key>.json``: the keys of every committed file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..answers import AnswerFile, default_path
from ..grading import grade_files
from ..models import repo_relative
from ..prompts import Condition, build_prompt
from ..scenarios import CotExample, Scenario, load_cot_examples, load_scenarios
from ..scores import Score


@dataclass(frozen=True)
class Samples:
    scenarios: list[Scenario]
    examples: list[CotExample] = field(default_factory=list)  # loaded only where a prompting type uses them


@dataclass(frozen=True)
class Tom16Task:
    name: str = "tom16"
    file_class: type[AnswerFile] = AnswerFile
    defaults: dict = field(default_factory=dict)  # the flags' defaults are the original protocol's

    def samples(self, cfg) -> Samples:
        scenarios = load_scenarios(cfg.scenarios)[: cfg.limit]
        examples = load_cot_examples(cfg.cot_examples) if any(c.cot for c in cfg.conditions) else []
        return Samples(scenarios, examples)

    def variants(self, cfg, samples: Samples) -> list[Condition]:
        return cfg.conditions

    def prompts(self, cfg, samples: Samples, variant: Condition) -> dict[int, str]:
        return {s.id: build_prompt(s, variant, samples.examples, cfg.prompt_format) for s in samples.scenarios}

    def identity(self, variant: Condition) -> dict:
        return {}

    def data_files(self, cfg, samples: Samples, variant: Condition) -> dict:
        files = {"scenarios_file": repo_relative(cfg.scenarios),
                 "cot_examples_file": repo_relative(cfg.cot_examples) if variant.cot else None}
        return files if cfg.limit is None else {**files, "limit": cfg.limit}

    def output_path(self, cfg, variant: Condition, n_variants: int, key: str, label: str) -> Path:
        if cfg.output is None:
            return default_path(cfg.output_dir, label, variant.name, key)
        if n_variants == 1:
            return cfg.output
        return cfg.output.with_name(f"{cfg.output.stem}_{variant.name}{cfg.output.suffix}")

    def file_fields(self, samples: Samples, variant: Condition) -> dict:
        return {"condition": variant, "scenarios": samples.scenarios}

    def score(self, paths: list) -> list[Score]:
        return [g.score() for g in grade_files(paths)]


TASK = Tom16Task()
