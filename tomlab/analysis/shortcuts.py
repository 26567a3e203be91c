"""Shortcut audit of ToMi-style questions: what heuristics that do not track beliefs score.

Heuristics, per question kind and belief type, on the eval items and on the ToM training data:

* ``last_mentioned`` / ``first_mentioned``: the container the story names last / first;
* ``current_location``: where the object really is at the end (the reality answer, from the event list);
* ``always_yes`` / ``always_no`` (yes/no form only).

A container heuristic answers the open form with its container, and a yes/no probe "yes" exactly when the probe asks
about its container. The yes/no form is scored as the eval scores it: per question (every probe right, the tests
``<set>-yesno``) and per probe (``<set>-yesno-probe``).

``story_blind``: a linear classifier that sees the question and a candidate answer (a container, or yes/no), never
the story. Features: the candidate's words and every (question word, candidate word) pair; a Bradley-Terry model
(the gold candidate beats the other,
:func:`tomlab.data.separability.fit_pairwise`) fitted on the train split's pairs of one form, scored on the
validation split and the eval items. It picks the candidate it scores higher (open: one of the two containers; a
probe: yes or no); a tie counts 1/2 (a probe pair: the product of its probes' chances). On the train split it is
cross-fitted (:data:`CROSS_FIT_FOLDS` folds of stories). Near 0.5 (per probe) means a question's wording and
candidates carry no answer.

Test names: the eval items as the benchmark tables call them (``tomi-open``, ``tomi-yesno``; ``tomi-yesno-probe``),
the training data as ``train-...`` and ``validation-...``. :func:`by_kind` gives ``{test: {kind: {heuristic:
accuracy}}}`` (kind ``all`` included) and :func:`best_by_kind` the best heuristic per kind, for a report that sets a
model's accuracy beside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import tom_training
from ..data.separability import fit_pairwise
from ..errors import ToMLabError
from ..formatting import markdown_table
from ..io import atomic_write_json, atomic_write_text
from ..models import repo_relative
from ..tasks import tomi
from ..tasks.items import YES_NO, read_jsonl

CONTAINER_HEURISTICS = ("last_mentioned", "first_mentioned", "current_location")
YES_NO_HEURISTICS = ("always_yes", "always_no")
STORY_BLIND = "story_blind"
ALL = "all"
#: The story-blind classifier on the train split: each fold of stories is scored by a model fitted on the others.
CROSS_FIT_FOLDS = 2


@dataclass(frozen=True)
class Probe:
    question: str
    answer: str  # yes / no
    container: str  # the container it asks about


@dataclass(frozen=True)
class Question:
    """One scored question: the open question and/or its yes/no probes, with what a heuristic may read."""

    id: str
    kind: str
    belief: str
    story: str
    events: tuple
    choices: tuple
    gold: str  # the gold container
    question: str = ""  # the open question ("" where only the yes/no form was asked)
    probes: tuple = ()


def from_eval_items(items) -> list[Question]:
    """Eval items (:func:`tomlab.tasks.items.read_jsonl`); a probe asks about the container of its position."""
    return [Question(i.id, i.kind, i.belief, i.story, tuple(i.events), tuple(i.choices), i.answer, i.question,
                     tuple(Probe(p.question, p.answer, c) for p, c in zip(i.probes, i.choices, strict=True)))
            for i in items]


def _named(text: str, choices) -> str:
    found = [c for c in choices if re.search(rf"\b{re.escape(c)}\b", text)]
    if len(found) != 1:
        raise ValueError(f"expected one container of {list(choices)} in {text!r}")
    return found[0]


def from_training_rows(rows: list[dict], form: str) -> list[Question]:
    """The training rows of one form as questions (a yes/no story's two probe rows make one question)."""
    grouped: dict[str, list[dict]] = {}
    for r in rows:
        if r["form"] == form:
            grouped.setdefault(r["id"].split("/")[0], []).append(r)
    out = []
    for qid, parts in grouped.items():
        first = parts[0]
        base = dict(id=qid, kind=first["kind"], belief=first["belief"], story=first["story"],
                    events=tuple(first["events"]), choices=tuple(first["choices"]))
        if form == "open":
            out.append(Question(**base, gold=first["answer"], question=first["question"]))
        else:
            probes = tuple(Probe(r["question"], r["answer"], _named(r["question"], first["choices"])) for r in parts)
            out.append(Question(**base, gold=next(p.container for p in probes if p.answer == "yes"), probes=probes))
    return out


# ---------------------------------------------------------------------------------------------- heuristics
def _mentions(story: str, container: str) -> list[int]:
    return [m.start() for m in re.finditer(rf"\b{re.escape(container)}\b", story)]


def pick(heuristic: str, q: Question) -> str:
    """The container a container heuristic answers."""
    if heuristic == "last_mentioned":
        return max(q.choices, key=lambda c: max(_mentions(q.story, c), default=-1))
    if heuristic == "first_mentioned":
        return min(q.choices, key=lambda c: min(_mentions(q.story, c), default=len(q.story)))
    if heuristic == "current_location":
        return tomi.simulate(q.events).reality
    raise ValueError(heuristic)


def probe_verdict(heuristic: str, q: Question, p: Probe) -> str:
    if heuristic in YES_NO_HEURISTICS:
        return heuristic.removeprefix("always_")
    return "yes" if pick(heuristic, q) == p.container else "no"


# ---------------------------------------------------------------------------------------------- story-blind
def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _features(question: str, candidate: str) -> set:
    answer = _words(candidate)
    return {f"a:{w}" for w in answer} | {f"q:{x}|a:{w}" for x in set(_words(question)) for w in answer}


class StoryBlind:
    """Question + candidate -> score; fitted on (question, chosen, rejected) triples."""

    def __init__(self, triples: list[tuple[str, str, str]]):
        if not triples:
            raise ToMLabError("the story-blind classifier has no training pairs of this form")
        chosen = [_features(q, c) for q, c, _ in triples]
        rejected = [_features(q, r) for q, _, r in triples]
        self.index = {f: i for i, f in enumerate(sorted(set().union(*chosen, *rejected)))}
        self.w = fit_pairwise(self._matrix(chosen) - self._matrix(rejected))

    def _matrix(self, feature_sets) -> np.ndarray:
        x = np.zeros((len(feature_sets), len(self.index)))
        for row, features in enumerate(feature_sets):
            for f in features:
                if f in self.index:
                    x[row, self.index[f]] = 1.0
        return x

    def chance(self, question: str, right: str, wrong: str) -> float:
        """1 if the right candidate scores higher, 0 if lower, 1/2 on a tie."""
        margin = ((self._matrix([_features(question, right)]) - self._matrix([_features(question, wrong)]))
                  @ self.w).item()
        return 0.5 if np.isclose(margin, 0.0, atol=1e-9) else float(margin > 0)

    @classmethod
    def fit(cls, rows: list[dict], form: str) -> StoryBlind:
        """On the rows of ``form``: the gold candidate beats the other (container, or verdict)."""
        return cls([(r["question"], r["answer"], _other(r["choices"] if form == "open" else YES_NO, r["answer"]))
                    for r in rows if r["form"] == form])


def _other(candidates, c: str) -> str:
    return next(x for x in candidates if x != c)


# ---------------------------------------------------------------------------------------------- scoring
def scores(questions: list[Question], form: str, blind=None) -> dict[str, dict[str, list]]:
    """{test suffix: {heuristic: per-question scores (0..1)}}: ``open``, or ``yesno`` (per question) and
    ``yesno-probe`` (per probe, in the order of the questions' probes). ``blind``: question -> the fitted
    :class:`StoryBlind` that scores it (none: no story-blind column)."""
    if form == "open":
        out = {h: [float(pick(h, q) == q.gold) for q in questions] for h in CONTAINER_HEURISTICS}
        if blind is not None:
            out[STORY_BLIND] = [blind(q).chance(q.question, q.gold, _other(q.choices, q.gold)) for q in questions]
        return {"open": out}
    per_probe: dict[str, list[list[float]]] = {
        h: [[float(probe_verdict(h, q, p) == p.answer) for p in q.probes] for q in questions]
        for h in CONTAINER_HEURISTICS + YES_NO_HEURISTICS}
    if blind is not None:
        per_probe[STORY_BLIND] = [[blind(q).chance(p.question, p.answer, _other(YES_NO, p.answer))
                                   for p in q.probes] for q in questions]
    return {"yesno": {h: [float(np.prod(v)) for v in vs] for h, vs in per_probe.items()},
            "yesno-probe": {h: [s for v in vs for s in v] for h, vs in per_probe.items()}}


def _labels(questions: list[Question], suffix: str) -> list[tuple[str, str]]:
    if suffix == "yesno-probe":
        return [(q.kind, q.belief) for q in questions for _ in q.probes]
    return [(q.kind, q.belief) for q in questions]


def summarize(labels: list[tuple[str, str]], by_heuristic: dict[str, list]) -> dict:
    """Mean score per kind (and ``all``) and per kind x belief, with the counts."""
    kinds = [k for k in tomi.KINDS if any(k == kind for kind, _ in labels)]

    def mean(values, keep):
        picked = [v for v, lab in zip(values, labels, strict=True) if keep(lab)]
        return round(float(np.mean(picked)), 4) if picked else None

    groups = {ALL: lambda lab: True, **{k: (lambda lab, k=k: lab[0] == k) for k in kinds}}
    return {
        "n": {name: sum(map(keep, labels)) for name, keep in groups.items()},
        "by_kind": {name: {h: mean(v, keep) for h, v in by_heuristic.items()} for name, keep in groups.items()},
        "by_kind_belief": {k: {b: {h: mean(v, lambda lab, k=k, b=b: lab == (k, b)) for h, v in by_heuristic.items()}
                               for b in tomi.BELIEFS} for k in kinds},
    }


def audit(train_rows: list[dict], validation_rows: list[dict], eval_items) -> dict:
    """Every heuristic on the eval items (both forms) and on the training data's splits. The story-blind classifier
    is fitted on ``train_rows`` and scored on the validation split and the eval items; on the train split itself it
    is cross-fitted (each fold of stories scored by a model fitted on the other folds)."""
    eval_questions = from_eval_items(eval_items)
    tests = {}
    for form in tom_training.FORMS:
        full = StoryBlind.fit(train_rows, form)
        train_questions = from_training_rows(train_rows, form)
        fold = {q.id: i % CROSS_FIT_FOLDS for i, q in enumerate(train_questions)}  # questions of the form in turn
        folds = [StoryBlind.fit([r for r in train_rows if fold.get(r["id"].split("/")[0]) not in (None, f)], form)
                 for f in range(CROSS_FIT_FOLDS)]
        for name, questions, blind in (
                ("tomi", eval_questions, lambda q, m=full: m),
                ("train", train_questions, lambda q, m=folds, f=fold: m[f[q.id]]),
                ("validation", from_training_rows(validation_rows, form), lambda q, m=full: m)):
            for suffix, by_heuristic in scores(questions, form, blind).items():
                tests[f"{name}-{suffix}"] = summarize(_labels(questions, suffix), by_heuristic)
    result = {"tests": tests}
    result["best"] = {test: {kind: {"heuristic": h, "accuracy": a} for kind, (h, a) in best.items()}
                      for test, best in best_by_kind(result).items()}
    return result


def by_kind(result: dict) -> dict[str, dict[str, dict[str, float]]]:
    """{test: {kind: {heuristic: accuracy}}} (kind ``all`` included)."""
    return {test: t["by_kind"] for test, t in result["tests"].items()}


def best_by_kind(result: dict) -> dict[str, dict[str, tuple[str, float]]]:
    """{test: {kind: (the best heuristic, its accuracy)}} (the first listed on a tie)."""
    return {test: {kind: max(accs.items(), key=lambda kv: kv[1]) for kind, accs in kinds.items()}
            for test, kinds in by_kind(result).items()}


def run(train_path=None, validation_path=None, items_path=None) -> dict:
    """:func:`audit` on files (defaults: the committed ToM training data and eval items)."""
    train_path = train_path or tom_training.DEFAULT_OUT / "train.jsonl"
    validation_path = validation_path or tom_training.DEFAULT_OUT / "validation.jsonl"
    items_path = items_path or tomi.DEFAULT_ITEMS
    result = audit(tom_training.read_rows(train_path), tom_training.read_rows(validation_path), read_jsonl(items_path))
    result["inputs"] = {"train": repo_relative(train_path), "validation": repo_relative(validation_path),
                        "eval_items": repo_relative(items_path)}
    return result


def markdown(result: dict) -> str:
    """Tables: accuracy per test x kind for every heuristic (best in bold), then per kind x belief."""
    heuristics = list(dict.fromkeys(h for t in result["tests"].values() for h in t["by_kind"][ALL]))
    fmt = lambda a: "-" if a is None else f"{a:.3f}"  # noqa: E731
    by_kind = []
    for test, t in result["tests"].items():
        for kind, accs in t["by_kind"].items():
            best = result["best"][test][kind]
            cells = [f"**{fmt(accs[h])}**" if h in accs and accs[h] == best["accuracy"] else fmt(accs.get(h))
                     for h in heuristics]
            by_kind.append([test, kind, t["n"][kind], *cells, best["heuristic"]])
    by_belief = [[test, kind, belief, *(fmt(accs.get(h)) for h in heuristics)]
                 for test, t in result["tests"].items() for kind, beliefs in t["by_kind_belief"].items()
                 for belief, accs in beliefs.items()]
    return "\n".join([
        markdown_table(["test", "kind", "n", *heuristics, "best"], "llr" + "r" * len(heuristics) + "l", by_kind,
                       padded=True),
        "Per kind x belief:", "",
        markdown_table(["test", "kind", "belief", *heuristics], "lll" + "r" * len(heuristics), by_belief,
                       padded=True).removesuffix("\n")])


def write_report(out, result: dict, command: str) -> None:
    """``shortcuts.md`` (what was run, how to read it, the tables) and ``shortcuts.json`` into ``out``, atomically."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ToMLabError(f"--out {out}: not a folder")
    inputs = ", ".join(f"{k} `{v}`" for k, v in result.get("inputs", {}).items())
    text = f"""# Shortcut audit of the ToMi-style questions

Made by `{command}` ({inputs}).

Accuracy of heuristics that track no belief, per question kind (and below, per kind x belief). Tests: `tomi-*` the
eval items, `train-*` / `validation-*` the ToM training data; `-yesno` scores a question as the eval does (correct
only when both of its probes are), `-yesno-probe` per probe. `story_blind` sees only the question and a candidate
answer (fitted on the train split's pairs; on the train split cross-fitted over {CROSS_FIT_FOLDS} folds); a tie
counts 1/2. `best`: the highest heuristic of the row (the first listed on a tie). A kind on which a heuristic scores
1.0 can be answered without tracking any belief; a model's accuracy there says nothing about theory of mind.

{markdown(result)}
"""
    atomic_write_json(out / "shortcuts.json", {"command": command, **result})
    atomic_write_text(out / "shortcuts.md", text)
