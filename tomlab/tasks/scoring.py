"""Scoring benchmark answer files: per question and repetition, correct or not; accuracy by kind and belief.

Open form: the named container must be the gold one (:func:`final_answer`). Yes/no form: each
probe is read by the project's grader (the one validated on the 16 scenarios against human graders), and a
question counts as correct only when all of its probes are (one probe for Strange Stories, two for ToMi).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ToMLabError
from ..formatting import markdown_table
from ..schema import BASE_PROMPTING, SBS_PROMPTING
from ..scores import Score
from ..stats import wilson_interval
from .answers import SCHEMA, form_label

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
#: "The answer is", "The answer to this question is:", "Answer:": what follows the last one is the final answer.
_ANSWER_MARKER = re.compile(r"\banswer\b[^.?!\n:]{0,40}?(?:\bis\b\s*:?|:)", re.I)


def _norm(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower().replace("_", " ")).strip() + " "


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def _named(sentence: str, choices) -> set:
    return {c for c in choices if _norm(c) in _norm(sentence)}


def final_answer(output: str, choices, step_by_step: bool = False) -> str | None:
    """The container an open answer gives, or None. The final answer is the first sentence after the last "the
    answer is" / "Answer:" where the output says one, else its first sentence (with step-by-step prompting, where
    the conclusion comes last, its last sentence that names a container); it must name exactly one of ``choices``
    (compared without case, punctuation or underscores). A story retold or a list of options first is no answer."""
    markers = list(_ANSWER_MARKER.finditer(output))
    if markers:
        pick = _sentences(output[markers[-1].end():])[:1]
    elif step_by_step:
        pick = [s for s in _sentences(output) if _named(s, choices)][-1:]
    else:
        pick = _sentences(output)[:1]
    hits = _named(pick[0], choices) if pick else set()
    return next(iter(hits)) if len(hits) == 1 else None


@dataclass
class ScoredQuestion:
    id: str
    kind: str
    belief: str | None
    correct: list  # per repetition
    answered: list  # per repetition: every prompt got a readable answer (a container / a yes or no)


@dataclass
class ScoredFile:
    path: str
    model: str
    benchmark: str
    form: str
    prompting: str
    complete: bool
    questions: list = field(default_factory=list)

    @property
    def test(self) -> str:
        """The test's name in tables: benchmark and form, and the prompting type where it is not Base."""
        return form_label(self.benchmark, self.form, self.prompting)

    @property
    def n(self) -> int:
        return sum(len(q.correct) for q in self.questions)

    @property
    def n_correct(self) -> int:
        return sum(sum(q.correct) for q in self.questions)

    @property
    def accuracy(self) -> float:
        return self.n_correct / self.n if self.n else float("nan")

    def score(self) -> Score:
        """The file as the reports read every test: per question, correct repetitions out of repetitions."""
        return Score(self.model, self.test, [self.path], self.complete,
                     {q.id: (sum(q.correct), len(q.correct)) for q in self.questions})


def is_benchmark_file(data) -> bool:
    return isinstance(data, dict) and data.get("schema") == SCHEMA and isinstance(data.get("items"), list)


def collect_benchmark_files(paths) -> list[Path]:
    """Files and folders (searched recursively for benchmark answer files), in a stable order."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            found = [q for q in sorted(p.rglob("*.json")) if _is_benchmark_path(q)]
            if not found:
                raise ToMLabError(f"{p}: no benchmark answer files in this folder")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise ToMLabError(f"{p}: no such file or folder")
    return list(dict.fromkeys(out))


def _is_benchmark_path(path: Path) -> bool:
    try:
        return is_benchmark_file(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return False


def score_file(path, grader=None) -> ScoredFile:
    from ..grading import Grader, Item

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ToMLabError(f"{path}: not a readable benchmark answer file ({exc})") from None
    if not is_benchmark_file(data):
        raise ToMLabError(f"{path}: not a benchmark answer file (schema {SCHEMA})")
    grader = grader or Grader()
    step_by_step = data.get("prompting") == SBS_PROMPTING
    units: dict = {}  # question id -> [(entry, {rep: (correct, answered)})]
    for entry in data["items"]:
        verdicts = {}
        for a in entry["answers"]:
            if data["form"] == "open":
                named = final_answer(a["output"], entry["choices"], step_by_step)
                verdicts[a["repetition"]] = (named == entry["gold answer"], named is not None)
            else:
                g = grader.grade(a["output"], Item(0, entry["question"], entry["gold answer"], entry["context"]),
                                 finish_reason=a.get("finish_reason"))
                verdicts[a["repetition"]] = (g.label == "correct", g.verdict != "none")
        units.setdefault(entry["question_id"], []).append((entry, verdicts))
    scored = ScoredFile(str(path), data["run"].get("model_name") or data["model"], data["benchmark"], data["form"],
                        data.get("prompting", BASE_PROMPTING), bool(data.get("complete")))
    for qid, parts in units.items():
        reps = sorted(set.intersection(*(set(v) for _, v in parts)))
        first = parts[0][0]
        scored.questions.append(ScoredQuestion(
            qid, first["kind"], first["belief"], [all(v[r][0] for _, v in parts) for r in reps],
            [all(v[r][1] for _, v in parts) for r in reps]))
    return scored


def breakdown(scored: ScoredFile) -> list[dict]:
    """Accuracy overall, per question kind and per belief type, with 95% Wilson intervals."""
    groups = [("all", "all", scored.questions)]
    for attr in ("kind", "belief"):
        values = list(dict.fromkeys(getattr(q, attr) for q in scored.questions if getattr(q, attr) is not None))
        if len(values) > 1:
            groups += [(attr, v, [q for q in scored.questions if getattr(q, attr) == v]) for v in values]
    rows = []
    for attr, value, qs in groups:
        k, n = sum(sum(q.correct) for q in qs), sum(len(q.correct) for q in qs)
        answered = sum(sum(q.answered) for q in qs)
        low, high = wilson_interval(k, n)
        rows.append({"by": attr, "value": value, "correct": k, "n": n, "accuracy": k / n if n else float("nan"),
                     "low": low, "high": high, "answered": answered / n if n else float("nan")})
    return rows


def breakdown_markdown(scored: ScoredFile) -> str:
    """The file's model and test, then :func:`breakdown` as a table."""
    table = markdown_table(["by", "group", "correct / n", "accuracy [95% CI]", "answered"], "llrlr",
                           [[r["by"], r["value"], f"{r['correct']} / {r['n']}",
                             f"{r['accuracy']:.3f} [{r['low']:.3f}, {r['high']:.3f}]", f"{r['answered']:.2f}"]
                            for r in breakdown(scored)], padded=True)
    title = f"{scored.model} - {scored.test}" + ("" if scored.complete else "  [INCOMPLETE run]")
    return title + "\n" + table.removesuffix("\n")
