"""A benchmark as a task: an item set (:mod:`tomlab.tasks.items`) asked in each of its question forms, one answer file
per form (:class:`tomlab.tasks.answers.BenchmarkFile`), scored by :mod:`tomlab.tasks.scoring`.

Defaults follow lm-evaluation-harness: one greedy answer per prompt, into ``results/answers_benchmarks/<benchmark>``.
Items are asked in the experiment's Base prompt (``--sbs`` appends the step-by-step instruction; the 16 scenarios'
CoT examples are not used). The run key hashes the benchmark and the form besides the runner's identity; the default
file name is ``<output_dir>/<benchmark>/<model>/Results_<model>_<benchmark>-<form>[-<prompting>]_<key>.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..answers import default_path
from ..errors import ToMLabError
from ..paths import BENCHMARK_ANSWERS_DIR as DEFAULT_OUTPUT_DIR
from ..prompts import Condition, ask_prompt
from ..scores import Score
from .answers import BenchmarkFile, form_label
from .items import FORMS, BenchmarkItem, Unit, write_jsonl
from .scoring import score_file

#: lm-evaluation-harness's convention for generative tasks: one greedy answer per prompt.
DEFAULTS = {"temperature": 0.0, "repetitions": 1, "output_dir": DEFAULT_OUTPUT_DIR}


@dataclass(frozen=True)
class Form:
    """One question form of a benchmark under one prompting type: one answer file."""

    benchmark: str
    form: str  # open / yesno
    condition: Condition  # Base, or SbS with --sbs

    @property
    def name(self) -> str:
        return f"{self.benchmark}-{self.form}"


@dataclass(frozen=True)
class Samples:
    items: list[BenchmarkItem]
    source: str  # where the items came from (the run block's items_file)
    extra: dict  # fields every exported record carries (strange_stories: the canary)


@dataclass(frozen=True)
class BenchmarkTask:
    name: str
    #: cfg -> (every item, where they came from, fields every exported record carries)
    load: Callable[..., tuple[list[BenchmarkItem], str, dict]]
    file_class: type[BenchmarkFile] = BenchmarkFile
    defaults: dict = field(default_factory=lambda: dict(DEFAULTS))

    def samples(self, cfg) -> Samples:
        items, source, extra = self.load(cfg)
        return Samples(items[: cfg.limit], source, extra)

    def variants(self, cfg, samples: Samples) -> list[Form]:
        available = [f for f in FORMS if all(f in item.forms() for item in samples.items)]
        if cfg.form != "all" and cfg.form not in available:
            raise ToMLabError(f"--form {cfg.form}: {self.name} items come in {', '.join(available)} form only")
        condition = Condition(cfg.step_by_step, False)
        return [Form(self.name, f, condition) for f in (available if cfg.form == "all" else [cfg.form])]

    def units(self, samples: Samples, variant: Form) -> list[tuple[BenchmarkItem, Unit]]:
        return [(item, u) for item in samples.items for u in item.units(variant.form)]

    def prompts(self, cfg, samples: Samples, variant: Form) -> dict[str, str]:
        return {u.id: ask_prompt(item.story, u.question, variant.condition, [], cfg.prompt_format)
                for item, u in self.units(samples, variant)}

    def identity(self, variant: Form) -> dict:
        return {"benchmark": self.name, "form": variant.form}

    def data_files(self, cfg, samples: Samples, variant: Form) -> dict:
        return {"items_file": samples.source, "limit": cfg.limit}

    def output_path(self, cfg, variant: Form, n_variants: int, key: str, label: str) -> Path:
        if cfg.output is None:
            name = form_label(self.name, variant.form, variant.condition.name)
            return default_path(Path(cfg.output_dir) / self.name, label, name, key)
        if n_variants == 1:
            return cfg.output
        return cfg.output.with_name(f"{cfg.output.stem}_{variant.form}{cfg.output.suffix}")

    def file_fields(self, samples: Samples, variant: Form) -> dict:
        return {"benchmark": self.name, "form": variant.form, "prompting": variant.condition.name,
                "units": self.units(samples, variant)}

    def score(self, paths: list) -> list[Score]:
        return [score_file(p).score() for p in paths]

    def export(self, cfg, target: Path) -> dict:
        """Write the item set (after ``--limit``) as JSONL; no model is loaded."""
        samples = self.samples(cfg)
        write_jsonl(target, [{**item.record(), **samples.extra} for item in samples.items])
        return {"items": len(samples.items), "path": str(target), "source": samples.source}
