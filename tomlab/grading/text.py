"""Text splitting: words and their forms, sentences and clauses, and the part of an output that is the answer.

Everything here is about the surface of the text; what a clause *means* is read in ``proposition.py`` and
``reading.py``.

- ``normalize_text`` / ``tokens``: typographic quotes and contractions spelled out, lower-case word tokens.
- ``verb_lemmas`` / ``same_word``: the few morphological variants a question word may take in an answer.
- ``split_sentences`` / ``clauses``: an answer's sentences, a sentence's clauses.
- ``clean_output``: drop the end-of-turn token and anything after it, and the decoding debris the original
  runner left at the start (``ep:``, ``r:``, ...).
- ``extract_answer``: the answer is the text before the model starts a new block. ``Scenario:`` /
  ``Context:`` / ``Question:`` / ``Answer:`` blocks that merely echo the current scenario are read through
  (their ``Answer:`` part is an answer to the question); a block that repeats a CoT example is skipped and
  flagged; a block with an invented scenario ends the answer (flag ``rambling``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..schema import END_OF_TURN_TOKENS


@dataclass(frozen=True)
class CotItem:
    """A chain-of-thought example of the prompt, as the answer reader compares blocks with it."""

    context: str
    question: str


#: A labelled block whose content words are more than this share a CoT example's (and more than the current
#: scenario's) repeats the example; one with at least this share of the current scenario's echoes it. Below
#: both, the model has invented a new item. 0.6: echoes copy most words, invented items share only names.
BLOCK_ECHO_SHARE = 0.6

#: Words without content of their own (function words, negators, quantifiers); compared case-insensitively.
STOP_WORDS = frozenset("""
a an the this that these those it its it's they them their theirs he him his she her hers i me my we us our you your
is are was were be been being am do does did doing done have has had having will would shall should can could may might
must of in on at to for from by with about into onto over under after before during since until while as than then
and or nor but so because if whether when where which who whom whose what why how though although yet still already
just also even only very really too now today there here some any all each every both either neither one ones
like
not no never n't
""".split())

_IRREGULAR = {
    "saw": "see", "seen": "see", "sees": "see", "seeing": "see", "thought": "think", "knew": "know",
    "known": "know", "found": "find", "understood": "understand", "got": "get", "gotten": "get",
    "went": "go", "gone": "go", "made": "make", "took": "take", "taken": "take", "felt": "feel",
    "unaware": "aware",
}
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_CONTRACTIONS = (
    (re.compile(r"\bcan't\b", re.I), "can not"),
    (re.compile(r"\bcannot\b", re.I), "can not"),
    (re.compile(r"\bwon't\b", re.I), "will not"),
    (re.compile(r"\bshan't\b", re.I), "shall not"),
    (re.compile(r"n't\b", re.I), " not"),
)
_TOKEN_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*|\d+(?:[-:.]\d+)*")
_POSS_RE = re.compile(r"'s\b")


# --------------------------------------------------------------------------------------------- words


def normalize_text(text: str) -> str:
    """Typographic quotes to ASCII, contractions spelled out (``doesn't`` -> ``does not``)."""
    text = text.translate(_QUOTES)
    if "'" in text or "annot" in text:
        for rx, rep in _CONTRACTIONS:
            text = rx.sub(rep, text)
    return text


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of normalized text (possessive 's dropped, numbers like 5-3 kept)."""
    if "'" in text:
        text = _POSS_RE.sub("", text)
    return _TOKEN_RE.findall(text.lower())


def content_words(text: str) -> set:
    """The content words of a text (stop words and single letters dropped)."""
    return {t for t in tokens(normalize_text(text)) if t not in STOP_WORDS and len(t) > 1}


def overlap(a: set, b: set) -> float:
    """The share of ``a``'s words that are in ``b``."""
    if not a:
        return 0.0
    return len(a & b) / len(a)


def noun_norm(w: str) -> str:
    """A noun's singular, roughly (tulips -> tulip, boxes -> box, stories -> story)."""
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith("es") and (w[-3] in "sxz" or w[-4:-2] in ("ch", "sh")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


@functools.lru_cache(maxsize=65536)
def verb_lemmas(w: str) -> frozenset:
    """Candidate base forms of a (possibly inflected) verb token."""
    out = {w}
    if w in _IRREGULAR:
        out.add(_IRREGULAR[w])
    for suf, rep in (("ies", "y"), ("ied", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("d", ""),
                     ("ing", ""), ("ing", "e")):
        if w.endswith(suf) and len(w) - len(suf) >= 2:
            out.add(w[: len(w) - len(suf)] + rep)
    if len(w) > 5 and w.endswith("ing") and w[-4] == w[-5]:  # stopping -> stop
        out.add(w[:-4])
    if len(w) > 5 and w.endswith("ed") and w[-3] == w[-4]:
        out.add(w[:-3])
    return frozenset(out)


@functools.lru_cache(maxsize=65536)
def _word_forms(q: str) -> frozenset:
    """Forms of a question content word that count as the same word in an answer."""
    forms = {q, noun_norm(q), q + "s", q + "es"}
    inflected = False
    for suf in ("ed", "ing"):
        if q.endswith(suf) and len(q) - len(suf) >= 3:
            stem = q[: -len(suf)]
            inflected = True
            forms |= {stem, stem + "e", stem + "s", stem + "es", stem + "ed", stem + "ing", stem + "d", stem + "en"}
            if len(stem) > 3 and stem[-1] == stem[-2]:
                forms |= {stem[:-1], stem[:-1] + "s"}
    if q.endswith("e") and len(q) > 3:
        forms |= {q + "d", q[:-1] + "ing"}
    if not inflected and q.endswith("s") and len(q) > 3:
        forms.add(q[:-1])
    return frozenset(forms)


def same_word(q: str, a: str) -> bool:
    """Whether answer token ``a`` is a form of question word ``q`` (bloomed ~ bloom ~ blooming)."""
    return a in _word_forms(q) or noun_norm(a) == noun_norm(q)


# ------------------------------------------------------------------------------- sentences, clauses

# A sentence ends at . ! ? before a capital, a digit or a quote -- but not after an option letter ("(A). Yes").
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])(?<!\b[A-H]\.)(?<!\b[A-H]\)\.)\s+(?=[\"'(]?[A-Z0-9])")
_CLAUSE_SPLIT = re.compile(
    r";|:|,\s*(?:which|so|not|as)\b|\bso (?=(?:he|she|they|we|i)\b)"  # "... so he thinks she is sick"
    r"|\b(?:but|because|since|although|though|however|whereas|while|so that|instead of"
    r"|rather than|unless|until|that is why|as a result|therefore|thus|hence)\b",
    re.I,
)
# "as if he had caught a big fish": what follows is counterfactual and states nothing.
_COUNTERFACTUAL = re.compile(r"\bas (?:if|though)\b.*$", re.I)


def split_sentences(text: str) -> list[str]:
    """Lines, and within a line sentences ending in . ! ? before a capital, a digit or a quote."""
    out = []
    for line in re.split(r"\n+", text):
        line = line.strip()
        if line:
            out.extend(p.strip() for p in _SENTENCE_END_RE.split(line) if p.strip())
    return out


def clauses(sentence: str) -> list[str]:
    """A sentence's clauses: split at conjunctions, colons and semicolons; a counterfactual tail dropped."""
    sentence = _COUNTERFACTUAL.sub("", sentence)
    return [c.strip() for c in _CLAUSE_SPLIT.split(sentence) if c and c.strip()]


# ------------------------------------------------------------------------------------ answer region

_EOS_RE = re.compile("|".join(map(re.escape, END_OF_TURN_TOKENS)))
_DEBRIS_RE = re.compile(r"^\s{0,3}[a-z]{1,4}:(?=\s|$)")
# A block label starts a line or follows the end of a sentence ("... bloomed. Question: ..."), as the prompt's own
# labels do; after a word it is part of a sentence ("Possible answer: No", "let's break down the scenario:").
_LABEL_RE = re.compile(r"(?:^|(?<=[.!?\"')\]*#>]))[ \t]*(Scenario|Context|Question|Answer)\s*:", re.I | re.M)
# A line that only lists options ("Options: (A). no; (B). yes;", "B) Yes"): option letters with yes/no.
_OPTION_ITEM = r"(?:\(([A-H1-9])\)\.?|([A-H])(?:\)\.?|\.|:))[ \t]*(yes|no)\b[ \t.;,]*"
_OPTION_LINE_RE = re.compile(
    rf"^[ \t]*(?:(?:options|possible answers|choices|answers)[ \t]*:)?[ \t]*(?:{_OPTION_ITEM})+$", re.I | re.M)
_OPTION_ITEM_RE = re.compile(_OPTION_ITEM, re.I)
_SBS_RE = re.compile(r"\s*Let'?s think step by step\s*:?\s*", re.I)


@dataclass
class Cleaned:
    text: str
    had_eos: bool
    debris: str


def clean_output(output: str) -> Cleaned:
    """The output up to its end-of-turn token, without the decoding debris at its start."""
    m = _EOS_RE.search(output)
    text = output[: m.start()] if m else output
    debris = ""
    d = _DEBRIS_RE.match(text)
    if d:
        debris = d.group(0).strip()
        text = text[d.end():]
    return Cleaned(text.strip(), bool(m), debris)


def split_options(text: str) -> tuple[str, dict[str, str]]:
    """The text without its option lines, and the options they define ({"a": "no", "b": "yes"}).

    A list of options is no answer; an answer that names only an option's letter ("The answer is: (A)") is
    read through it. A letter given two different words is dropped.
    """
    options: dict = {}
    for line in _OPTION_LINE_RE.finditer(text):
        for m in _OPTION_ITEM_RE.finditer(line.group(0)):
            letter, word = (m.group(1) or m.group(2)).lower(), m.group(3).lower()
            options[letter] = word if options.get(letter, word) == word else None
    return _OPTION_LINE_RE.sub("", text), {k: v for k, v in options.items() if v}


@dataclass
class Extracted:
    text: str
    rambling: bool  # the model went on into an invented scenario / question
    prompt_echo: bool  # the model restated the scenario or question
    example_block: bool  # a labelled block repeated a CoT example


def _labelled_blocks(text: str) -> list[tuple[str | None, str]]:
    """(label or None, body) pieces of a text split at Scenario:/Context:/Question:/Answer: labels."""
    pieces, last, label = [], 0, None
    for m in _LABEL_RE.finditer(text):
        pieces.append((label, text[last:m.start()]))
        label, last = m.group(1).lower(), m.end()
    pieces.append((label, text[last:]))
    return pieces


def extract_answer(text: str, context: str, question: str, examples: Sequence[CotItem] = ()) -> Extracted:
    """The part of an output that answers the question (see the module docstring)."""
    ctx_words = content_words(context)
    q_words = content_words(question)
    ex_words = [(content_words(e.context), content_words(e.question)) for e in examples]
    answer_parts: list[str] = []
    rambling = prompt_echo = example_block = False
    block = "ours"  # whose scenario the current labelled block is: ours / example
    for label, body in _labelled_blocks(text):
        body = _SBS_RE.sub(" ", body).strip()
        if label is None:
            answer_parts.append(body)
            continue
        words = content_words(body)
        if label in ("scenario", "context"):
            if not words:
                block = "ours"
                continue
            ours = overlap(words, ctx_words)
            ex = max((overlap(words, c) for c, _ in ex_words), default=0.0)
            is_example = ex > BLOCK_ECHO_SHARE and ex > ours
        elif label == "question":
            ours = overlap(words, q_words) if words else 1.0
            ex = max((overlap(words, q) for _, q in ex_words), default=0.0)
            is_example = block == "example" or (ex > BLOCK_ECHO_SHARE and ex > ours)
        else:  # an answer: ours is read, an example's worked answer is skipped
            if block == "ours":
                answer_parts.append(body)
            continue
        if is_example:
            block, example_block = "example", True
        elif ours >= BLOCK_ECHO_SHARE:
            block, prompt_echo = "ours", True
        else:
            rambling = True
            break
    answer = "\n".join(p for p in answer_parts if p)
    return Extracted(answer.strip(), rambling, prompt_echo, example_block)
