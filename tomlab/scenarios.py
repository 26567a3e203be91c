"""The ToM scenarios and chain-of-thought examples: loading and validation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import ToMLabError
from .paths import DATA_DIR

DEFAULT_SCENARIOS = DATA_DIR / "tom_scenarios.json"
DEFAULT_COT_EXAMPLES = DATA_DIR / "cot_example_scenarios.json"


@dataclass(frozen=True)
class Scenario:
    id: int
    context: str
    question: str
    answer: str  # gold: "yes" / "no"


@dataclass(frozen=True)
class CotExample:
    context: str
    question: str
    answer: str  # the worked reasoning


def _read(path: str | Path) -> list:
    path = Path(path)
    if not path.is_file():
        raise ToMLabError(f"{path}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ToMLabError(f"{path}: not valid JSON ({exc})") from None
    items = data.get("scenarios") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise ToMLabError(f"{path}: expected a non-empty list of scenarios (or an object with a 'scenarios' list)")
    return items


def _text_field(path, i, item, key) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ToMLabError(f"{path}: scenario #{i + 1} has no text in '{key}'")
    return value.strip()


def load_scenarios(path: str | Path = DEFAULT_SCENARIOS) -> list[Scenario]:
    """Read and validate a scenario file: ids unique ints, context/question text, gold answer yes/no."""
    items = _read(path)
    out, seen = [], set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ToMLabError(f"{path}: scenario #{i + 1} is not an object")
        sid = item.get("id", i + 1)
        if isinstance(sid, bool) or not isinstance(sid, int):
            raise ToMLabError(f"{path}: scenario #{i + 1} has a non-integer id {sid!r}")
        if sid in seen:
            raise ToMLabError(f"{path}: duplicate scenario id {sid}")
        seen.add(sid)
        answer = str(item.get("answer", "")).strip().lower()
        if answer not in ("yes", "no"):
            raise ToMLabError(f"{path}: scenario {sid} has gold answer {item.get('answer')!r}; expected 'yes' or 'no'")
        out.append(Scenario(sid, _text_field(path, i, item, "context"), _text_field(path, i, item, "question"), answer))
    return out


def load_cot_examples(path: str | Path = DEFAULT_COT_EXAMPLES) -> list[CotExample]:
    items = _read(path)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ToMLabError(f"{path}: example #{i + 1} is not an object")
        out.append(CotExample(*(_text_field(path, i, item, k) for k in ("context", "question", "answer"))))
    return out
