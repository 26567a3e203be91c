"""The grader's decision for one answer: verdict (yes / no / none), label and behaviour.

Pipeline (``Grader.grade``): clean the output and cut out the answer region (``text.py``), read each of its
sentences against the question (``reading.py``), then combine the readings (``decide``):

- an explicit "the answer is" wins; then a concluding sentence ("Therefore,", "So,", ...), unless the
  reasoning states the opposite proposition outright; then everything else;
- both polarities stated = multiple answers; only hedged claims ("may", "it is possible that") = hedging;
  "cannot be determined" and friends = question evasion; example text and no answer = example repetition;
  nothing usable = task deviation / rambling.

Labels: ``correct`` (verdict equals the gold answer), ``incorrect`` (the opposite verdict), ``inconclusive``
(no verdict). Accuracy counts only ``correct``, as the original report did.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from .proposition import other_gender_pronouns, parse_question, scenario_names, subject_names
from .reading import Scene, SentenceReading, echo_norm, join_bare_markers, ngrams, read_options, read_sentence
from .text import (
    STOP_WORDS,
    CotItem,
    clean_output,
    content_words,
    extract_answer,
    normalize_text,
    overlap,
    split_options,
    split_sentences,
    tokens,
)

GRADER_VERSION = "2.1"

#: A sentence ending in "?" that shares at least this share of the question's content words restates the
#: question and is no answer (the same share that makes a labelled block an echo, ``text.BLOCK_ECHO_SHARE``).
QUESTION_ECHO_SHARE = 0.6


@dataclass(frozen=True)
class Item:
    """What the grader needs about one scenario."""

    id: int
    question: str
    gold: str  # yes / no
    context: str = ""


@dataclass
class Grade:
    verdict: str  # yes / no / none
    label: str  # correct / incorrect / inconclusive
    behaviour: str
    answer: str  # the part of the output read as the answer
    flags: list = field(default_factory=list)
    evidence: str = ""


class Grader:
    """Grades single answers.  ``examples``: the CoT examples (read only for CoT prompting types)."""

    def __init__(self, examples: Sequence[CotItem] = ()):
        self.examples = tuple(examples)

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - a Grader lives as long as the grading run it serves
    def scene(self, item: Item, cot: bool) -> Scene:
        """Everything derived from a scenario (computed once per scenario and prompting kind)."""
        examples = self.examples if cot else ()
        prop = parse_question(item.question)
        ctx_toks = tokens(normalize_text(item.context))
        names = scenario_names(item.context, item.question)
        subj = subject_names(prop, names)
        scen_words = frozenset(tokens(normalize_text(item.context + " " + item.question)))
        ex_words = frozenset(
            t for e in examples for t in tokens(normalize_text(e.context + " " + e.question)) if t not in STOP_WORDS
        ) - scen_words
        others = (names - subj) | other_gender_pronouns(prop, names) if subj else frozenset()
        return Scene(prop, frozenset(ctx_toks), frozenset(ngrams(echo_norm(ctx_toks, names))), names,
                     others, scen_words, ex_words,
                     tuple(parse_question(e.question) for e in examples))

    def grade(self, output: str, item: Item, cot: bool = False, finish_reason: str | None = None) -> Grade:
        cleaned = clean_output(output)
        examples = self.examples if cot else ()
        ext = extract_answer(cleaned.text, item.context, item.question, examples)
        scene = self.scene(item, bool(examples))
        flags = []
        if cleaned.debris:
            flags.append("debris")
        if ext.rambling:
            flags.append("rambling")
        if ext.prompt_echo:
            flags.append("prompt_echo")
        if finish_reason == "length" or (finish_reason is None and not cleaned.had_eos):
            flags.append("truncated")

        q_words = content_words(item.question)
        text, options = split_options(ext.text)
        sentences, readings = [], []
        for sent in join_bare_markers(split_sentences(text)):
            if sent.rstrip().endswith("?") and overlap(q_words, content_words(sent)) >= QUESTION_ECHO_SHARE:
                if "prompt_echo" not in flags:
                    flags.append("prompt_echo")
                continue
            sentences.append(sent)
            readings.append(read_sentence(sent, scene, not readings, options))
        readings = read_options(sentences, readings)
        example_seen = ext.example_block or any(r.example for r in readings)
        if example_seen:
            flags.append("example_repetition")
        verdict, behaviour, evidence = decide(readings)
        if verdict == "none" and behaviour is None and len(set(options.values())) == 2:
            behaviour = "multiple answers / hedging"  # a list of options, none chosen
        if verdict in ("yes", "no"):
            label = "correct" if verdict == item.gold else "incorrect"
            behaviour = "clear answer" if label == "correct" else "wrong conclusion"
        else:
            label = "inconclusive"
            if example_seen and behaviour != "multiple answers / hedging":
                # Answering (or retelling) a CoT example instead of the question.
                behaviour = "example repetition"
            elif behaviour is None:
                behaviour = "task deviation / rambling"
        return Grade(verdict if verdict in ("yes", "no") else "none", label, behaviour, ext.text, flags, evidence)


def _combine(rs: list[SentenceReading], weak_counts: bool = False) -> tuple[str, SentenceReading]:
    """The polarity a group of readings commits to ("hedge", "conflict", "yes", "no") and its evidence."""
    committed = [r for r in rs if not r.hedged]
    if not committed:
        return "hedge", rs[-1]
    if any(r.polarity == "conflict" for r in committed):
        return "conflict", next(r for r in committed if r.polarity == "conflict")
    strong = [r for r in committed if r.strength in ("strong", "bare")]
    use = committed if weak_counts else (strong or committed)
    ps = {r.polarity for r in use}
    if len(ps) == 2:
        return "conflict", use[-1]
    return ps.pop(), use[-1]


def _finish(v: str, r: SentenceReading) -> tuple[str, str | None, str]:
    if v in ("hedge", "conflict"):
        return "none", "multiple answers / hedging", r.text
    return v, None, r.text


def _outright(x: SentenceReading, polarity: str, tiers: tuple) -> bool:
    return x.tier in tiers and not x.hedged and x.strength in ("strong", "bare") and x.polarity == polarity


def _contradiction(readings: list[SentenceReading], verdict: str, tiers: tuple,
                   answer: SentenceReading) -> SentenceReading | None:
    """The first reading of the given tiers that states the opposite of ``verdict`` outright and still stands at
    the ``answer``. A reasoning that tells a change of state does not contradict its answer: an opposite statement
    limited to an earlier time ("at first", "until ..."), or followed, before the answer, by a sentence that moves
    the story on ("John doesn't know where his keys are. Then he noticed them behind the sofa. So, the answer is:
    Yes"; a retold event of the scenario). "She sees the minivan. So, she doesn't see it. So, the answer is: No"
    tells no change: it contradicts itself."""
    opposite = "no" if verdict == "yes" else "yes"
    at = next(k for k, x in enumerate(readings) if x is answer)
    for k, x in enumerate(readings):
        if not _outright(x, opposite, tiers):
            continue
        if k < at and (x.earlier or any(y.moves_on for y in readings[k + 1:at])):
            continue
        return x
    return None


def decide(readings: list[SentenceReading]) -> tuple[str, str | None, str]:
    """Combine sentence readings into (verdict, behaviour-if-inconclusive, evidence)."""
    pol = [r for r in readings if r.polarity]
    evasions = [k for k, r in enumerate(readings) if r.evasion and not r.polarity]
    t1 = [r for r in pol if r.tier == 1]
    if t1:
        v, r = _combine(t1)
        # "No, they don't find it unoccupied. ... they find it unoccupied. So, the answer is: No": the answer
        # contradicts itself, whatever its last word.
        other = _contradiction(readings, v, (2, 3), r) if v in ("yes", "no") else None
        if other:
            return "none", "multiple answers / hedging", other.text
        return _finish(v, r)
    # An explicit marker without yes/no ("the answer is: it cannot be determined", "the answer is: not necessarily").
    t1_open = [r for r in readings if r.tier == 1 and (r.evasion or r.hedge_phrase)]
    if t1_open:
        return ("none", "question evasion" if t1_open[-1].evasion else "multiple answers / hedging",
                t1_open[-1].text)
    t2 = [r for r in pol if r.tier == 2]
    if t2:
        v, r = _combine(t2)
        if v in ("yes", "no"):
            # The reasoning stated the opposite proposition outright: the answer contradicts itself.
            other = _contradiction(readings, v, (3,), r)
            if other:
                return "none", "multiple answers / hedging", other.text
            last_t2 = max(k for k, x in enumerate(readings) if x is r)
            if any(k > last_t2 for k in evasions):
                return "none", "question evasion", readings[evasions[-1]].text
        return _finish(v, r)
    if pol:
        v, r = _combine(pol, weak_counts=True)
        if v in ("yes", "no") and evasions:
            last_claim = max(k for k, x in enumerate(readings) if x.polarity)
            if evasions[-1] > last_claim:
                return "none", "question evasion", readings[evasions[-1]].text
        return _finish(v, r)
    if evasions:
        return "none", "question evasion", readings[evasions[0]].text
    hedges = [r for r in readings if r.hedge_phrase]
    if hedges:
        return "none", "multiple answers / hedging", hedges[0].text
    return "none", None, ""
