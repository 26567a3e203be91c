"""What a ToM test supplies to the runner (:mod:`tomlab.eval.runner`), as lm-evaluation-harness's ``Task`` and
inspect_ai's ``Task(dataset, solver, scorer)`` do.

A task is one module under ``tomlab/tasks/`` holding a ``TASK`` object with the members below (``tom16``: the 16
scenarios; ``tomi``, ``strange_stories``: the benchmarks); the registry (:mod:`tomlab.eval.registry`) finds it by
name. The runner does the rest the same way for every task: one model load, the chat template, the run key, the
run block, the answer file, the seeds, the engine call, the summary. ``cfg`` is the runner's settings
(:class:`tomlab.eval.config.EvalConfig`), each task reading only its own flags.

Contract of the run key (committed answer files must resume): the key hashes the runner's identity (model, revision,
dtype, seed, sampling, the exact prompts, code version, quantization, a hand-given label) plus
:meth:`Task.identity`; the default file name is :meth:`Task.output_path`. Neither may change for an existing task.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..answers import AnswerFile
from ..scores import Score


@runtime_checkable
class Variant(Protocol):
    """One way of asking a task's samples; one answer file each (a prompting type; a benchmark's question form)."""

    @property
    def name(self) -> str:
        """How summaries call its file ("Base", "tomi-open"); also the tag that seeds its answers."""
        ...


@runtime_checkable
class Task(Protocol):
    name: str  # the registry name (--tasks)
    file_class: type[AnswerFile]  # the class of its answer files (the schema, the item list's keys)
    defaults: Mapping[str, Any]  # flag values where the task's default differs from the flag's own, by field name

    def samples(self, cfg) -> Any:
        """Load and check what is asked (first ``cfg.limit``); bad input is one :class:`~tomlab.errors.ToMLabError`
        before any model is loaded."""
        ...

    def variants(self, cfg, samples) -> list[Variant]:
        """The variants the flags ask for, in file order."""
        ...

    def prompts(self, cfg, samples, variant: Variant) -> dict[Hashable, str]:
        """{item id: the exact raw prompt} in the file's order (the runner applies a chat template)."""
        ...

    def identity(self, variant: Variant) -> dict:
        """What the run key hashes besides the runner's identity (``{}``: nothing)."""
        ...

    def data_files(self, cfg, samples, variant: Variant) -> dict:
        """The run block's record of the data asked (files, limit)."""
        ...

    def output_path(self, cfg, variant: Variant, n_variants: int, key: str, label: str) -> Path:
        """Where the variant's answer file goes: a default name under ``cfg.output_dir``, or ``cfg.output`` (with
        a suffix per variant where the run writes several)."""
        ...

    def file_fields(self, samples, variant: Variant) -> dict:
        """The task's own arguments of ``file_class.new`` (the runner adds model, params, prompt format, chat,
        prompts and run)."""
        ...

    def score(self, paths: list) -> list[Score]:
        """Score answer files of this task: one :class:`tomlab.scores.Score` per file, in order (the shape the
        reports and the correlation read)."""
        ...
