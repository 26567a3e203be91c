"""What a story family produces, a :class:`Story` and its :class:`Question` s, and how a question's answers are worded.

Every question offers its candidate answers as one answer template filled with different keys, all of them named
in the story: ``The teapot is in the fridge now.`` / ``The teapot is on the counter now.``; yes/no questions
answer ``Yes, <sentence>.`` / ``No, <negated sentence>.``. A pair's chosen and rejected answers are two fillings of
the same template, so only the story can tell them apart. :func:`entity`, :func:`number` and :func:`yes_no` build
the three answer types that way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Answer types: how :mod:`tomlab.data.gold` reads a free answer.
ENTITY, NUMBER, YES_NO = "entity", "number", "yes_no"


@dataclass(frozen=True)
class Question:
    """One question about a story: its gold answer and one wrong answer, both in the same answer template."""

    kind: str                 # what is asked (where_now, first_place, count_now, why, who_did, winner, ...)
    text: str
    answer_type: str          # ENTITY | NUMBER | YES_NO
    chosen: str               # the answer sentence with the gold key
    rejected: str             # the same sentence with the wrong key
    gold: str                 # the key the story decides
    wrong: str                # another key the story names
    options: tuple[str, ...]  # every key an answer to this question may name (the judge reads these)

    def __post_init__(self):
        assert self.gold != self.wrong and {self.gold, self.wrong} <= set(self.options), self


@dataclass
class Story:
    """One generated story: the family and template that told it, its text and the questions it decides."""

    family: str
    template: str
    text: str
    questions: list[Question] = field(default_factory=list)


def cap(text: str) -> str:
    """``text`` with its first letter upper-case (the rest untouched, unlike ``str.capitalize``)."""
    return text[:1].upper() + text[1:]


def entity(kind: str, text: str, frame: str, gold: str, wrong: str, options, phrase: dict | None = None) -> Question:
    """A question whose answer is one of ``options``; ``frame`` holds ``{x}``, filled with the key's phrase."""
    def say(key):
        return cap(frame.format(x=(phrase or {}).get(key, key)))

    keys = tuple(dict.fromkeys([gold, wrong, *options]))
    return Question(kind, text, ENTITY, say(gold), say(wrong), gold, wrong, keys)


def number(kind: str, text: str, frame: str, gold: int, wrong: int, options=()) -> Question:
    """A question whose answer is a count; ``frame`` holds ``{x}``, filled with the number."""
    return Question(kind, text, NUMBER, cap(frame.format(x=gold)), cap(frame.format(x=wrong)), str(gold), str(wrong),
                    tuple(dict.fromkeys(str(n) for n in (gold, wrong, *options))))


def yes_no(kind: str, text: str, yes: str, no: str, truth: bool) -> Question:
    """A yes/no question: ``Yes, <yes>`` or ``No, <no>``, gold ``yes`` where ``truth``."""
    said = {"yes": f"Yes, {yes}", "no": f"No, {no}"}
    gold, wrong = ("yes", "no") if truth else ("no", "yes")
    return Question(kind, text, YES_NO, said[gold], said[wrong], gold, wrong, ("yes", "no"))

