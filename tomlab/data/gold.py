"""Judge a free answer against a generated question's gold: correct, incorrect, or unjudgeable (``None``).

Only the answer's first sentence counts, normalised (lower case, punctuation to spaces):

* ``yes_no``: its first word must be ``yes`` or ``no`` (not "No idea", "No one ...");
* ``number``: its first number (digits or a number word) is compared with the gold number;
* ``entity``: exactly one of the question's option keys (places, people, teams, causes ... the story could name)
  must occur in it, as whole words; options the question itself mentions are ignored (``Where did Maya go right
  after the bakery?`` -- "bakery" in the answer says nothing), except the gold.

Anything else (no verdict word, no number, no option or two of them) is unjudgeable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .stories import ENTITY, NUMBER, YES_NO

NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90})

#: Words after a leading "no"/"yes" that make it no verdict ("No idea.", "No one knows.").
NOT_A_VERDICT = frozenset({"idea", "one", "way", "clue", "doubt", "matter", "problem"})


def first_sentence(text: str) -> str | None:
    """The answer up to its first sentence end (``.``, ``!``, ``?`` or a line break); ``None`` if it never ends."""
    match = re.search(r"[.!?](?=\s|$)|\n", text.strip())
    if match is None:
        return None
    return text.strip()[:match.end()].strip()


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _contains(haystack: str, needle: str) -> bool:
    return f" {needle} " in f" {haystack} "


def first_number(sentence: str) -> int | None:
    words = normalise(sentence).split()
    for i, word in enumerate(words):
        if word.isdigit():
            return int(word)
        if word in NUMBER_WORDS:
            value = NUMBER_WORDS[word]
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if value >= 20 and NUMBER_WORDS.get(nxt, 10) < 10:  # "twenty three"
                value += NUMBER_WORDS[nxt]
            return value
    return None


def answer_key(answer: str, answer_type: str, options, question: str = "", gold: str | None = None,
               ended: bool = True) -> str | None:
    """The key a free answer names (``"yes"``, ``"7"``, ``"drawer"``), or ``None`` when it names none or several.

    ``ended``: whether the answer is complete (a sampled answer cut at its token limit has no verdict unless its
    first sentence ended).
    """
    sentence = first_sentence(answer)
    if sentence is None:
        if not ended:
            return None
        sentence = answer
    text = normalise(sentence)
    if not text:
        return None
    if answer_type == YES_NO:
        first, *rest = text.split()
        if rest and rest[0] in NOT_A_VERDICT:
            return None
        return first if first in ("yes", "no") else None
    if answer_type == NUMBER:
        value = first_number(text)
        return None if value is None else str(value)
    if answer_type == ENTITY:
        asked = normalise(question)
        found = [o for o in options if _contains(text, normalise(o))
                 and (o == gold or not _contains(asked, normalise(o)))]
        return found[0] if len(found) == 1 else None
    raise ValueError(f"unknown answer type {answer_type!r}")


def judge(answer: str, row: Mapping, ended: bool = True) -> bool | None:
    """``True``/``False`` when the answer names the gold key / another key; ``None`` when it cannot be judged.

    ``row`` is a dataset row with ``prompt``, ``answer_type``, ``gold`` and ``options`` (as the generator writes).
    """
    question = row["prompt"].rsplit(" Question: ", 1)[-1]
    key = answer_key(answer, row["answer_type"], row["options"], question, row["gold"], ended)
    return None if key is None else key == row["gold"]
