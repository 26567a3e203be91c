"""Keep generated training items apart from the evaluation: no sentence or name of the 16 ToM test scenarios or of
the two chain-of-thought examples may occur in them."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from ..models import REPO_ROOT

TEST_ITEM_FILES = (REPO_ROOT / "data" / "tom_scenarios.json", REPO_ROOT / "data" / "cot_example_scenarios.json")


def sentences(text: str) -> list[str]:
    """Split into normalised sentences (the unit the leakage check compares)."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [re.sub(r"\s+", " ", p).strip().lower() for p in parts if re.sub(r"\W", "", p)]


@lru_cache(maxsize=1)
def forbidden() -> tuple[frozenset[str], frozenset[str]]:
    """Sentences and capitalised words (names) of the 16 test scenarios and the two CoT examples."""
    found_sentences, names = set(), set()
    for path in TEST_ITEM_FILES:
        for item in json.loads(path.read_text())["scenarios"]:
            for key in ("context", "question", "answer"):
                found_sentences.update(sentences(item[key]))
                names.update(re.findall(r"\b[A-Z][a-z]+\b", item[key]))
    return frozenset(found_sentences), frozenset(names)


def shares_a_sentence(*texts: str) -> bool:
    """True when any sentence of ``texts`` is a sentence of a test scenario or CoT example."""
    bad = forbidden()[0]
    return any(s in bad for text in texts for s in sentences(text))
