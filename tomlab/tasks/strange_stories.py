"""Happé's Strange Stories as BIG-bench 1.0.0 ships them (``strange_stories/boolean``): 53 yes/no questions on
short naturalistic stories, human-written, asked in the same yes/no form as the 16 scenarios.

The vendored file ``data/strange_stories/strange_stories_boolean.json`` is the task.json of the PyPI sdist
``bigbench==1.0.0`` with its license notice and source (sdist sha256, path) added on top; its canary string stays.
Each example's ``input`` is the story, a newline, and the question (sometimes prefixed ``Q: ``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ToMLabError
from ..models import repo_relative
from ..paths import DATA_DIR
from .benchmark import BenchmarkTask
from .items import YES_NO, BenchmarkItem

DEFAULT_ITEMS = DATA_DIR / "strange_stories" / "strange_stories_boolean.json"
KIND = "strange_story"


def load(path=DEFAULT_ITEMS) -> tuple[list[BenchmarkItem], str]:
    """The items and the file's canary string."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToMLabError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ToMLabError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("examples"), list) or not data["examples"]:
        raise ToMLabError(f"{path}: not a BIG-bench task file (no 'examples' list)")
    items = []
    for n, ex in enumerate(data["examples"], 1):
        scores = ex.get("target_scores") if isinstance(ex, dict) else None
        text = ex.get("input") if isinstance(ex, dict) else None
        if not isinstance(text, str) or "\n" not in text or not isinstance(scores, dict):
            raise ToMLabError(f"{path}: example {n} is not 'story\\nquestion' with target_scores")
        gold = [k for k, v in scores.items() if v == 1]
        if len(gold) != 1 or gold[0] not in YES_NO:
            raise ToMLabError(f"{path}: example {n} has target_scores {scores}; expected one of yes/no scored 1")
        story, question = text.rsplit("\n", 1)
        question = question.strip().removeprefix("Q:").strip()
        items.append(BenchmarkItem(f"ss-{n:02d}", KIND, None, story.strip(), question, gold[0]))
    return items, data.get("canary", "")


def load_items(cfg) -> tuple[list[BenchmarkItem], str, dict]:
    """The stories of ``--items`` (the vendored file by default); every exported record carries the canary."""
    if cfg.generate_seed is not None:
        raise ToMLabError("--generate_seed: only the tomi benchmark is generated")
    path = cfg.items or DEFAULT_ITEMS
    items, canary = load(path)
    return items, repo_relative(path), {"canary": canary}


TASK = BenchmarkTask("strange_stories", load_items)
