"""What the original study published: its hand-graded accuracy per model and prompting type, and the human graders'
per-scenario counts (a CSV), with the model-name matching that finds a model among them.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ...errors import ToMLabError
from ...schema import PROMPTINGS

#: Published accuracy of the original report (correct / 320), REFERENCE.md: {model: {prompting type: accuracy}}, the
#: types in PROMPTINGS order.
PUBLISHED_ACCURACY = {
    model: dict(zip(PROMPTINGS, accuracy, strict=True)) for model, accuracy in {
        "GPT4All-J v1.3": (0.51, 0.31, 0.46, 0.45),
        "GPT4All-J PPO": (0.62, 0.35, 0.53, 0.49),
        "GPT4All-J DPO": (0.27, 0.35, 0.49, 0.60),
        "LLaMa2": (0.34, 0.43, 0.56, 0.58),
        "LLaMa2 Chat": (0.28, 0.57, 0.67, 0.78),
    }.items()
}


def model_key(name: str) -> str:
    """Normalize a model display name for matching ("GPT4All-J_v1.3" == "GPT4All-J v1.3")."""
    return re.sub(r"[\s_\-]+", " ", name).strip().lower()


def published_for(model: str) -> dict | None:
    """The original report's accuracy per prompting type for ``model`` (matched by :func:`model_key`), or None."""
    key = model_key(model)
    for name, row in PUBLISHED_ACCURACY.items():
        if model_key(name) == key:
            return row
    return None


def read_human_counts(path) -> dict:
    """{(model key, prompting): {scenario id: count}} from a CSV with columns model, prompting, s1..sN."""
    path = Path(path)
    if not path.is_file():
        raise ToMLabError(f"{path}: no such file")
    out = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = [c for c in (reader.fieldnames or []) if re.fullmatch(r"s\d+", c)]
        if not {"model", "prompting"} <= set(reader.fieldnames or []) or not cols:
            raise ToMLabError(f"{path}: expected columns model, prompting, s1, s2, ...")
        for line, row in enumerate(reader, start=2):
            try:
                out[(model_key(row["model"]), row["prompting"].strip())] = {int(c[1:]): int(row[c]) for c in cols}
            except (TypeError, ValueError):
                raise ToMLabError(f"{path}: line {line} has a non-integer count") from None
    return out
