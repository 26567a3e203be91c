"""A benchmark item, its two question forms, and the JSONL item files.

An item is one scored question about a story. Its *open* form asks the question itself (ToMi: "Where will Anne
look for the apple?", gold a container among ``choices``); its *yes/no* form asks one or more probes (ToMi: "Will
Anne look for the apple in the blue box?" for each of the two containers; Strange Stories: the question itself),
and the item counts as correct only when every probe is answered right, which cancels a yes- or a no-bias.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import ToMLabError
from ..io import atomic_write_text

FORMS = ("open", "yesno")
YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Probe:
    question: str
    answer: str  # "yes" / "no"


@dataclass(frozen=True)
class Unit:
    """One prompt of an item in one form: what is asked, its gold answer, the answers an open reply may name."""

    id: str
    question_id: str
    question: str
    answer: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class BenchmarkItem:
    id: str
    kind: str  # tomi: reality / memory / first_order / second_order; strange_stories: strange_story
    belief: str | None  # "true" / "false" (tomi), None where the benchmark has no such split
    story: str
    question: str  # the open question (tomi) or the yes/no question (strange_stories)
    answer: str  # its gold: a container, or yes / no
    choices: tuple[str, ...] = ()  # the containers an open answer may name
    probes: tuple[Probe, ...] = ()  # the yes/no form (none: the question itself is yes/no)
    events: tuple[dict, ...] = ()  # tomi: the story as a list of events, from which every gold label follows

    def forms(self) -> tuple[str, ...]:
        return FORMS if self.choices else ("yesno",)

    def units(self, form: str) -> list[Unit]:
        if form not in self.forms():
            raise ToMLabError(f"item {self.id} has no {form!r} form (it has: {', '.join(self.forms())})")
        if form == "open":
            return [Unit(self.id, self.id, self.question, self.answer, self.choices)]
        if not self.probes:
            return [Unit(self.id, self.id, self.question, self.answer)]
        return [Unit(f"{self.id}/{i}", self.id, p.question, p.answer) for i, p in enumerate(self.probes, 1)]

    def record(self) -> dict:
        return asdict(self)


def item_from_record(record: dict, where: str) -> BenchmarkItem:
    """Read and check one JSONL record (``where`` names it in errors)."""
    if not isinstance(record, dict):
        raise ToMLabError(f"{where}: not a JSON object")
    for key in ("id", "kind", "story", "question", "answer"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise ToMLabError(f"{where}: no text in '{key}'")
    probes = record.get("probes") or []
    if not isinstance(probes, list) or not all(isinstance(p, dict) and p.get("answer") in YES_NO
                                               and isinstance(p.get("question"), str) for p in probes):
        raise ToMLabError(f"{where}: 'probes' must be a list of {{question, answer: yes|no}}")
    choices = tuple(record.get("choices") or ())
    if choices and record["answer"] not in choices:
        raise ToMLabError(f"{where}: gold answer {record['answer']!r} is not one of its choices {list(choices)}")
    if not choices and not probes and record["answer"] not in YES_NO:
        raise ToMLabError(f"{where}: gold answer {record['answer']!r}; expected yes or no (or give 'choices')")
    return BenchmarkItem(record["id"], record["kind"], record.get("belief"), record["story"], record["question"],
                         record["answer"], choices, tuple(Probe(p["question"], p["answer"]) for p in probes),
                         tuple(record.get("events") or ()))


def read_jsonl(path) -> list[BenchmarkItem]:
    path = Path(path)
    if not path.is_file():
        raise ToMLabError(f"{path}: no such file")
    items, seen = [], set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ToMLabError(f"{path}:{n}: not valid JSON ({exc})") from None
        item = item_from_record(record, f"{path}:{n}")
        if item.id in seen:
            raise ToMLabError(f"{path}:{n}: duplicate item id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise ToMLabError(f"{path}: no items")
    return items


def write_jsonl(path, records: list[dict]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
