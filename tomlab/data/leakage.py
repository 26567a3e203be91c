"""Keep generated training items apart from the evaluation: no sentence or name of the 16 ToM test scenarios or of
the two chain-of-thought examples may occur in them; and ToMi-style training data (:mod:`.tom_training`) shares no
name, room, object, container, story-sentence template, question template or story with the ToMi-style eval items
(:func:`check_tom_training`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ToMLabError
from ..paths import DATA_DIR

TEST_ITEM_FILES = (DATA_DIR / "tom_scenarios.json", DATA_DIR / "cot_example_scenarios.json")


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


# ---------------------------------------------------------------------------------------------- ToMi-style data
#: The ToMi-style eval items (the test set): ToM training data (:mod:`.tom_training`) shares nothing with them.
TOMI_EVAL_ITEMS = DATA_DIR / "tomi" / "tomi_items.jsonl"
#: What each kind of story term becomes in a sentence template.
PLACEHOLDERS = {"names": "{agent}", "rooms": "{room}", "objects": "{object}", "containers": "{container}"}
_TERM_KEYS = {"agent": "names", "room": "rooms", "object": "objects", "thing": "objects", "container": "containers"}


@dataclass
class Inventory:
    """What a set of ToMi-style records (eval items or training rows) is made of."""

    terms: dict  # names / rooms / objects / containers -> the set of them
    sentence_templates: set  # story sentences with every term replaced by its placeholder
    question_templates: set  # questions and yes/no probes, likewise
    stories: set


def story_terms(events) -> dict[str, set]:
    """The names, rooms, objects (also the distractors' things) and containers of an event list."""
    terms = {kind: set() for kind in PLACEHOLDERS}
    for e in events:
        for key, kind in _TERM_KEYS.items():
            if key in e:
                terms[kind].add(e[key])
    return terms


def template_of(text: str, terms: dict) -> str:
    """``text`` with every term replaced by its placeholder (longest terms first, whole words only)."""
    pairs = sorted(((t, PLACEHOLDERS[kind]) for kind, ts in terms.items() for t in ts), key=lambda p: -len(p[0]))
    for term, placeholder in pairs:
        text = re.sub(rf"\b{re.escape(term)}\b", placeholder, text)
    return text


def inventory(records) -> Inventory:
    """Records need ``events``, ``story``, ``question`` and, for eval items, ``probes``."""
    inv = Inventory({kind: set() for kind in PLACEHOLDERS}, set(), set(), set())
    for r in records:
        terms = story_terms(r["events"])
        for kind, found in terms.items():
            inv.terms[kind] |= found
        inv.stories.add(r["story"])
        inv.sentence_templates.update(sentences(template_of(r["story"], terms)))
        for q in [r["question"], *(p["question"] for p in r.get("probes") or ())]:
            inv.question_templates.add(template_of(q, terms).lower())
    return inv


def _term_words(inv: Inventory) -> set:
    return {w for ts in inv.terms.values() for t in ts for w in re.findall(r"[a-z]+", t.lower())}


def _listed(values, limit: int = 4) -> str:
    values = sorted(values)
    more = f" (+{len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(repr(v) for v in values[:limit]) + more


def tom_training_leaks(train, validation, eval_records) -> list[str]:
    """Everything the training rows share with the eval items (and train with validation): empty when clean.

    Checked: names, rooms, objects, containers (as terms and word by word), story-sentence and question templates,
    identical stories; the names and sentences of the 16 ToM scenarios and CoT examples; no story in both splits.
    """
    problems = []
    ev = inventory(eval_records)
    eval_words = _term_words(ev)
    scenario_names = forbidden()[1]
    for split, rows in (("train", train), ("validation", validation)):
        inv = inventory(rows)
        for kind in PLACEHOLDERS:
            if shared := inv.terms[kind] & ev.terms[kind]:
                problems.append(f"{split} shares {kind} with the eval items: {_listed(shared)}")
        if shared := _term_words(inv) & eval_words:
            problems.append(f"{split} shares vocabulary words with the eval items: {_listed(shared)}")
        if shared := inv.sentence_templates & ev.sentence_templates:
            problems.append(f"{split} shares story-sentence templates with the eval items: {_listed(shared)}")
        if shared := inv.question_templates & ev.question_templates:
            problems.append(f"{split} shares question templates with the eval items: {_listed(shared)}")
        if shared := inv.stories & ev.stories:
            problems.append(f"{split} shares {len(shared)} stories with the eval items")
        if shared := inv.terms["names"] & scenario_names:
            problems.append(f"{split} uses names of the 16 ToM scenarios: {_listed(shared)}")
        if any(shares_a_sentence(r["story"], r["question"], r["chosen"], r["rejected"]) for r in rows):
            problems.append(f"{split} shares a sentence with the 16 ToM scenarios or the CoT examples")
    if shared := {r["story"] for r in train} & {r["story"] for r in validation}:
        problems.append(f"train and validation share {len(shared)} stories")
    return problems


def read_eval_records(path=TOMI_EVAL_ITEMS) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise ToMLabError(f"{path}: no such file (the ToMi-style eval items)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_tom_training(train, validation, eval_path=TOMI_EVAL_ITEMS) -> None:
    """Raise one error line naming what leaks (:func:`tom_training_leaks`); return quietly when nothing does."""
    problems = tom_training_leaks(train, validation, read_eval_records(eval_path))
    if problems:
        raise ToMLabError("ToM training data leaks into the eval items: " + "; ".join(problems))
