"""ToM training items (``data/tom_training``): their gold, and reading a model's answer to one as the ToMi scorer does.

A ToM item is a preference pair whose ``prompt`` is the whole prompt the benchmark runner asks (the stages take it as
it is, :data:`tomlab.data.FULL_PROMPT_TEMPLATE`) and which carries its gold: ``form`` (``open``: name the container;
``yesno``: one probe "Will Anne look for the apple in the blue box?"), ``answer`` (a container of ``choices`` for the
open form, ``yes``/``no`` for a probe), ``choices`` (the story's two containers), ``story`` and ``question``. Every
row must hold them (:func:`check_items`); the stages refuse data without.

An answer is read as :mod:`tomlab.tasks.scoring` reads the benchmark's: the open form by
:func:`tomlab.tasks.scoring.final_answer` (the one container its final answer names), a probe by the project's grader
(its yes/no verdict). ``None``: no readable answer (no container or two, no verdict).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ToMLabError
from ..tasks.items import FORMS, YES_NO
from ..tasks.scoring import final_answer

#: What a ToM item carries besides its preference pair; every row must hold each.
GOLD_COLUMNS = ("answer", "form", "choices", "story", "question")


def check_items(ds, name: str, split: str) -> None:
    """Refuse rows whose gold cannot be read: an unknown form, an open answer that is not one of its choices, a probe
    answered other than yes/no."""
    for i, row in enumerate(ds.select_columns(["answer", "form", "choices"])):
        where = f"--dataset {name} ({split} split) row {i}"
        if row["form"] not in FORMS:
            raise ToMLabError(f"{where}: form {row['form']!r} (expected one of {', '.join(FORMS)})")
        if row["form"] == "open" and row["answer"] not in (row["choices"] or []):
            raise ToMLabError(f"{where}: gold answer {row['answer']!r} is not one of its choices {row['choices']}")
        if row["form"] == "yesno" and row["answer"] not in YES_NO:
            raise ToMLabError(f"{where}: gold answer {row['answer']!r} of a yes/no probe (expected yes or no)")


def read_answer(output: str, row: Mapping, ended: bool = True, grader=None) -> str | None:
    """The answer ``output`` gives to a ToM item: a container (open form), ``yes``/``no`` (probe), or None.

    ``ended``: whether the answer ended with EOS (the grader reads an answer cut at its token limit more strictly);
    ``grader``: a :class:`tomlab.grading.Grader` to reuse (it caches per-story work).
    """
    if row["form"] == "open":
        return final_answer(output, row["choices"])
    from ..grading import Grader, Item

    grade = (grader or Grader()).grade(output, Item(0, row["question"], row["answer"], row["story"]),
                                       finish_reason="stop" if ended else "length")
    return grade.verdict if grade.verdict in YES_NO else None
