"""Grading answer files: read an answer file (the original study's schema or this project's), grade every
answer, and count per file; ``grade_files`` also lets the label store override the grader."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ToMLabError
from ..io import read_json
from ..scenarios import DEFAULT_COT_EXAMPLES, DEFAULT_SCENARIOS, load_cot_examples, load_scenarios
from ..schema import BEHAVIOURS, LABELS, PROMPTING_FLAGS, PROMPTINGS
from ..scores import Score, scenario_test
from .grader import GRADER_VERSION, Grader, Item
from .labels import DEFAULT_LABEL_STORE, apply_labels, load_label_store
from .text import CotItem

_NAME_RE = re.compile(r"^Results_(?P<model>.+)_(?P<prompting>"
                      + "|".join(re.escape(p) for p in sorted(PROMPTINGS, key=len, reverse=True))
                      + r")(?:_.*)?$")
_PROMPTING_OF_FLAGS = {flags: name for name, flags in PROMPTING_FLAGS.items()}


def answer_id(output: str) -> str:
    """A short stable id of one output text (used to attach labels)."""
    return hashlib.sha1(output.encode("utf-8")).hexdigest()[:12]


@dataclass
class GradedAnswer:
    scenario: int
    repetition: int
    question: str
    gold: str
    output: str
    answer: str
    verdict: str
    label: str
    behaviour: str
    flags: list
    evidence: str
    auto_label: str
    auto_behaviour: str
    label_source: str | None = None  # the label store that set ``label`` (None: the grader's own label)
    finish_reason: str | None = None

    @property
    def answer_id(self) -> str:
        return answer_id(self.output)


@dataclass
class GradedFile:
    path: str
    name: str  # file name (the key labels are attached to)
    model: str
    prompting: str
    prompt_format: str | None
    complete: bool
    answers: list
    warnings: list = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.answers)

    @property
    def n_correct(self) -> int:
        return sum(1 for a in self.answers if a.label == "correct")

    @property
    def accuracy(self) -> float:
        return self.n_correct / self.n if self.n else float("nan")

    @property
    def n_labelled(self) -> int:
        """Answers whose label comes from a label store."""
        return sum(1 for a in self.answers if a.label_source)

    def label_sources(self) -> list[str]:
        return sorted({a.label_source for a in self.answers if a.label_source})

    def per_scenario_counts(self, auto: bool = False) -> dict[int, tuple[int, int]]:
        """{scenario id: (correct answers, answers)} in scenario order; ``auto``: the grader's own labels,
        label-store overrides ignored."""
        out: dict = {}
        for a in self.answers:
            correct, n = out.get(a.scenario, (0, 0))
            out[a.scenario] = (correct + ((a.auto_label if auto else a.label) == "correct"), n + 1)
        return dict(sorted(out.items()))

    def score(self) -> Score:
        """The file as the reports read every test: per scenario, correct answers out of answers."""
        return Score(self.model, scenario_test(self.prompting), [self.path], self.complete, self.per_scenario_counts())

    def per_scenario_correct(self, auto: bool = False) -> dict[int, int]:
        return {s: c for s, (c, _) in self.per_scenario_counts(auto).items()}

    def label_counts(self) -> dict:
        return {k: sum(1 for a in self.answers if a.label == k) for k in LABELS}

    def behaviour_counts(self) -> dict:
        return {k: sum(1 for a in self.answers if a.behaviour == k) for k in BEHAVIOURS}

    def verdict_counts(self) -> dict:
        return {k: sum(1 for a in self.answers if a.verdict == k) for k in ("yes", "no", "none")}

    def summary(self) -> dict:
        return {
            "file": self.path,
            "model": self.model,
            "prompting": self.prompting,
            "complete": self.complete,
            "n": self.n,
            "correct": self.n_correct,
            "accuracy": round(self.accuracy, 4) if self.n else None,
            "per_scenario_correct": {str(k): v for k, v in self.per_scenario_correct().items()},
            "labels": self.label_counts(),
            "behaviours": self.behaviour_counts(),
            "verdicts": self.verdict_counts(),
            "labels_from_store": self.n_labelled,
            "label_sources": self.label_sources(),
            "warnings": list(self.warnings),
        }


def prompting_from_flags(sbs, cot) -> str | None:
    """The prompting type of the original schema's two booleans (None when they are not booleans)."""
    if not isinstance(sbs, bool) or not isinstance(cot, bool):
        return None
    return _PROMPTING_OF_FLAGS[(sbs, cot)]


def is_answer_file(data) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("scenarios"), list) and not data.get("graded")
            and all(isinstance(s, dict) and "answers" in s for s in data["scenarios"]))


def _answer_files_in(folder: Path) -> list[Path]:
    found = []
    for q in sorted(q for q in folder.rglob("*.json") if q.is_file()):
        try:
            data = json.loads(q.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError):
            continue
        if is_answer_file(data):
            found.append(q)
    if not found:
        raise ToMLabError(f"{folder}: no answer files in this folder")
    return found


def collect_answer_files(paths: Iterable) -> list[Path]:
    """Expand files and folders (recursively: ``*.json`` files that are answer files) in a stable order."""
    out: list[Path] = []
    seen = set()
    for p in map(Path, paths):
        if p.is_dir():
            cands = _answer_files_in(p)
        elif p.is_file():
            cands = [p]
        else:
            raise ToMLabError(f"{p}: no such file or folder")
        for q in cands:
            if q.resolve() not in seen:
                seen.add(q.resolve())
                out.append(q)
    return out


def _display_model(data: dict, path: Path) -> str:
    run = data.get("run") if isinstance(data.get("run"), dict) else {}
    name = run.get("model_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    m = _NAME_RE.match(path.stem)
    if m:
        return m.group("model")
    model = data.get("model")
    if isinstance(model, str) and model.strip():
        return model.strip().rstrip("/").split("/")[-1].split()[0] or model.strip()
    return path.stem


def _prompting(data: dict, path: Path) -> str:
    p = data.get("prompting")
    if isinstance(p, str) and p in PROMPTINGS:
        return p
    p = prompting_from_flags(data.get("step-by_step reasoning"), data.get("chain-of-thougth examples"))
    if p:
        return p
    m = _NAME_RE.match(path.stem)
    if m:
        return m.group("prompting")
    raise ToMLabError(f"{path}: cannot tell the prompting type (no 'prompting' key, no "
                      "'step-by_step reasoning'/'chain-of-thougth examples' booleans, no Results_<model>_<type> name)")


def _item(path: Path, i: int, s: dict, scenarios: dict) -> Item:
    """The scenario of one entry of an answer file: what the file carries, completed from the scenario file."""
    sid = s.get("scenario id", s.get("id"))
    if isinstance(sid, bool) or not isinstance(sid, int):
        raise ToMLabError(f"{path}: scenario entry #{i + 1} has no integer 'scenario id'")
    known = scenarios.get(sid)
    question = s.get("question") if isinstance(s.get("question"), str) and s.get("question").strip() else None
    gold = s.get("gold answer")
    gold = gold.strip().lower() if isinstance(gold, str) and gold.strip().lower() in ("yes", "no") else None
    context = s.get("context") if isinstance(s.get("context"), str) else None
    if known is not None:
        question = question or known.question
        gold = gold or known.gold
        context = context if context is not None else known.context
    if question is None or gold is None:
        raise ToMLabError(f"{path}: scenario {sid} has no question/gold answer in the file and is not in the "
                          "scenario file (pass --scenarios)")
    if not isinstance(s.get("answers"), list):
        raise ToMLabError(f"{path}: scenario {sid} has no 'answers' list")
    return Item(sid, question, gold, context or "")


def grade_answer_file(path, scenarios: dict | None = None, grader: Grader | None = None) -> GradedFile:
    """Grade every answer of one answer file (original or this project's schema).

    ``scenarios``: {id: Item} used for questions, gold answers and contexts the file does not carry.
    """
    path = Path(path)
    data = read_json(path)
    if not is_answer_file(data):
        raise ToMLabError(f"{path}: not an answer file (expected an object with a 'scenarios' list whose "
                          "entries have 'answers')")
    grader = grader or Grader()
    prompting = _prompting(data, path)
    cot = PROMPTING_FLAGS[prompting][1]
    complete = data.get("complete", True)
    warnings = ["incomplete run ('complete': false)"] if complete is False else []
    answers = []
    for i, s in enumerate(data["scenarios"]):
        item = _item(path, i, s, scenarios or {})
        for j, a in enumerate(s["answers"]):
            if not isinstance(a, dict) or not isinstance(a.get("output"), str):
                raise ToMLabError(f"{path}: scenario {item.id} answer #{j + 1} has no 'output' text")
            fr = a.get("finish_reason") if isinstance(a.get("finish_reason"), str) else None
            g = grader.grade(a["output"], item, cot=cot, finish_reason=fr)
            answers.append(GradedAnswer(item.id, a.get("repetition", j + 1), item.question, item.gold, a["output"],
                                        g.answer, g.verdict, g.label, g.behaviour, g.flags, g.evidence, g.label,
                                        g.behaviour, None, fr))
    return GradedFile(str(path), path.name, _display_model(data, path), prompting,
                      data.get("prompt_format") if isinstance(data.get("prompt_format"), str) else None,
                      complete is not False, answers, warnings)


def scenario_items(path=None) -> dict:
    """{id: Item} from a scenario file (default: data/tom_scenarios.json)."""
    return {s.id: Item(s.id, s.question, s.answer, s.context) for s in load_scenarios(path or DEFAULT_SCENARIOS)}


def cot_items(path=None) -> list:
    """The chain-of-thought examples (default: data/cot_example_scenarios.json)."""
    return [CotItem(e.context, e.question) for e in load_cot_examples(path or DEFAULT_COT_EXAMPLES)]


def grade_files(paths, scenarios_path=None, cot_path=None, labels_path=None) -> list[GradedFile]:
    """Grade every answer file under ``paths`` (files or folders); labels of the label store (if any) override.

    This is the entry point the experiment runner calls at the end of a run:
    ``accuracy_table_markdown(grade_files([out_dir]))``.
    """
    items = scenario_items(scenarios_path)
    grader = Grader(cot_items(cot_path))
    graded = [grade_answer_file(p, items, grader) for p in collect_answer_files(paths)]
    store_path = Path(labels_path) if labels_path else DEFAULT_LABEL_STORE
    if store_path.exists():
        apply_labels(graded, load_label_store(store_path))
    return graded


def graded_file_json(g: GradedFile) -> dict:
    """The per-answer graded record written next to the summary (never over the input)."""
    return {
        "graded": True,
        "grader_version": GRADER_VERSION,
        "source": g.path,
        "model": g.model,
        "prompting": g.prompting,
        "prompt_format": g.prompt_format,
        "complete": g.complete,
        "summary": g.summary(),
        "answers": [
            {
                "scenario id": a.scenario, "repetition": a.repetition, "answer_id": a.answer_id,
                "gold answer": a.gold, "verdict": a.verdict, "label": a.label, "behaviour": a.behaviour,
                "auto_label": a.auto_label, "auto_behaviour": a.auto_behaviour, "label_source": a.label_source,
                "flags": a.flags, "evidence": a.evidence, "answer": a.answer,
            }
            for a in g.answers
        ],
    }
