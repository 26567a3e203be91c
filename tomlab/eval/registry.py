"""The ToM tests by name (``--tasks``), as lm-evaluation-harness's registry: each is the ``TASK`` of one module under
``tomlab/tasks/`` (:class:`tomlab.eval.task.Task`). A new test is a module with its ``TASK``, named in :data:`TASKS`.
"""

from __future__ import annotations

from ..errors import ToMLabError
from ..tasks import strange_stories, tom16, tomi
from ..tasks.answers import BenchmarkFile
from .task import Task

#: Every task, in the order a run asks them.
TASKS: dict[str, Task] = {t.name: t for t in (tom16.TASK, tomi.TASK, strange_stories.TASK)}
#: What ``tom_eval.py`` asks without ``--tasks``.
DEFAULT = tom16.TASK.name
#: The tasks ``benchmark_eval.py --benchmark`` asks: those with benchmark answer files.
BENCHMARKS = tuple(name for name, t in TASKS.items() if issubclass(t.file_class, BenchmarkFile))


def names() -> list[str]:
    return list(TASKS)


def get(name: str) -> Task:
    if name not in TASKS:
        raise ToMLabError(f"--tasks {name}: unknown task; choose from {', '.join(TASKS)}")
    return TASKS[name]


def parse_names(text: str) -> list[str]:
    """``"tom16,tomi"`` -> ``["tom16", "tomi"]``: each known, none twice, at least one."""
    wanted = [n.strip() for n in text.split(",") if n.strip()]
    if not wanted:
        raise ToMLabError(f"--tasks {text!r}: name at least one of {', '.join(TASKS)}")
    for name in wanted:
        get(name)
    if len(set(wanted)) < len(wanted):
        raise ToMLabError(f"--tasks {text}: a task named twice")
    return wanted
