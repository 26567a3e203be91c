"""Automatic grading of ToM answers: verdict (yes / no / none), label and behaviour.

The grader is rule based and general: everything it needs is derived from each scenario's question,
gold answer and context (and, for chain-of-thought prompting, from the two CoT examples).  No rule is
keyed to a scenario id or to a scenario's text.

Pipeline for one answer (``Grader.grade``):

1. ``clean_output``: drop the end-of-text token and anything after it, the decoding debris the original
   runner left at the start (``ep:``, ``r:``, ...), and a restated "Let's think step by step:".
2. ``extract_answer``: the answer is the text before the model starts a new block.  ``Scenario:`` /
   ``Context:`` / ``Question:`` / ``Answer:`` blocks that merely echo the current scenario are read through
   (their ``Answer:`` part is an answer to the question); a block that repeats a CoT example is skipped and
   flagged; a block with an invented scenario ends the answer (flag ``rambling``).
3. Every sentence of the answer is read against the *question's proposition*: the question "When Pam is
   driving home, does she assume her tulips have bloomed?" gives the verb class {assume, think, believe,
   expect, know, ...} and the content words {tulips, bloomed}.  A clause that states the proposition gives
   a polarity from its negations ("does not assume", "cannot assume", "never thinks", "has not bloomed",
   "is unaware that", "has no idea that"); a clause that states the same verb with a substituted
   content word ("Jeff believes he is wearing a pink shirt" for "... a white shirt") is a weaker,
   implied "no".  Leading "Yes,"/"No," and explicit "the answer is: ..." are read too, and checked against
   the restatement that follows them.  Sentences about a CoT example are attributed to the example.
4. The claims are combined: an explicit "the answer is" wins; then a concluding sentence ("Therefore,",
   "So,", ...), unless the reasoning states the opposite proposition outright; then everything else.
   Both polarities stated = multiple answers; only hedged claims ("may", "it is possible that") =
   hedging; "cannot be determined" and friends = question evasion; example text and no answer = example
   repetition; nothing usable = task deviation / rambling.

Labels: ``correct`` (verdict equals the gold answer), ``incorrect`` (the opposite verdict),
``inconclusive`` (no verdict).  Accuracy counts only ``correct``, as the original report did.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .errors import ToMLabError
from .schema import BEHAVIOURS, END_OF_TURN_TOKENS, LABELS, PROMPTINGS

GRADER_VERSION = "1.1"


# --------------------------------------------------------------------------------------------- words

_STOP = set("""
a an the this that these those it its it's they them their theirs he him his she her hers i me my we us our you your
is are was were be been being am do does did doing done have has had having will would shall should can could may might
must of in on at to for from by with about into onto over under after before during since until while as than then
and or nor but so because if whether when where which who whom whose what why how though although yet still already
just also even only very really too now today there here some any all each every both either neither one ones
like
not no never n't
""".split())
# Words that carry no content in a proposition but are not stop words for echo detection.
_FILLER = set("""
actually really certainly definitely probably likely indeed again anymore ever also just still yet now today
""".split())
# Pronouns that can stand for a missing content word ("they find it unoccupied"); not "her" (mostly possessive).
_PRONOUNS = {"it", "they", "them", "he", "him", "she"}
_NEGATORS = {"not", "never", "no", "neither", "nor", "nobody", "nothing", "none", "hardly", "barely"}
_HEDGE_MODALS = {"may", "might", "could", "possibly", "perhaps", "maybe", "probably"}
_AUX = {"does", "do", "did", "is", "are", "was", "were", "will", "would", "can", "could", "has", "have", "had",
        "should", "shall", "may", "might", "must"}
_BE = {"is", "are", "was", "were"}
# Quantifiers that change a proposition's meaning: kept as content words.
_QUANT = {"all", "every", "entire", "whole", "only", "half", "some", "none", "both"}

# Verb classes: a question's verb is matched by any member of its class.
_BELIEF = {"think", "believe", "assume", "expect", "suppose", "presume", "imagine", "guess", "suspect",
           "know", "realize", "realise", "aware", "idea", "anticipate", "consider", "understand"}
_PERCEIVE = {"see", "find", "discover", "notice", "spot", "observe", "encounter"}
_IRREGULAR = {
    "saw": "see", "seen": "see", "sees": "see", "seeing": "see", "thought": "think", "knew": "know",
    "known": "know", "found": "find", "understood": "understand", "got": "get", "gotten": "get",
    "went": "go", "gone": "go", "made": "make", "took": "take", "taken": "take", "felt": "feel",
    "unaware": "aware",
}
_COMMON_VERBS = _BELIEF | _PERCEIVE | {
    "get", "go", "come", "make", "take", "feel", "want", "need", "like", "have", "be", "hear", "remember",
    "forget", "recognize", "recognise", "taste", "smell", "look", "eat", "drink", "wear", "use", "keep",
    "leave", "put", "place", "move", "stay", "wait", "say", "tell", "ask", "answer", "win", "lose", "give",
    "read", "write", "buy", "sell", "open", "close", "hope", "plan", "intend", "try", "decide", "agree",
}


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_CONTRACTIONS = [
    (re.compile(r"\bcan't\b", re.I), "can not"),
    (re.compile(r"\bcannot\b", re.I), "can not"),
    (re.compile(r"\bwon't\b", re.I), "will not"),
    (re.compile(r"\bshan't\b", re.I), "shall not"),
    (re.compile(r"n't\b", re.I), " not"),
]


def normalize_text(text: str) -> str:
    """Typographic quotes to ASCII, contractions spelled out (``doesn't`` -> ``does not``)."""
    text = text.translate(_QUOTES)
    if "'" in text or "annot" in text:
        for rx, rep in _CONTRACTIONS:
            text = rx.sub(rep, text)
    return text


_TOKEN_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*|\d+(?:[-:.]\d+)*")


_POSS_RE = re.compile(r"'s\b")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of normalized text (possessive 's dropped, numbers like 5-3 kept)."""
    if "'" in text:
        text = _POSS_RE.sub("", text)
    return _TOKEN_RE.findall(text.lower())


def _noun_norm(w: str) -> str:
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
    forms = {q, _noun_norm(q), q + "s", q + "es"}
    inflected = False
    for suf in ("ed", "ing"):
        if q.endswith(suf) and len(q) - len(suf) >= 3:
            stem = q[: -len(suf)]
            inflected = True
            forms |= {stem, stem + "e", stem + "s", stem + "es", stem + "ed", stem + "ing", stem + "ed",
                      stem + "d", stem + "en"}
            if len(stem) > 3 and stem[-1] == stem[-2]:
                forms |= {stem[:-1], stem[:-1] + "s"}
    if q.endswith("e") and len(q) > 3:
        forms |= {q + "d", q[:-1] + "ing"}
    if not inflected and q.endswith("s") and len(q) > 3:
        forms.add(q[:-1])
    return frozenset(forms)


def _same_word(q: str, a: str) -> bool:
    return a in _word_forms(q) or _noun_norm(a) == _noun_norm(q)


# ------------------------------------------------------------------------------------ propositions


@dataclass(frozen=True)
class Proposition:
    """What a yes/no question asks: a verb (class) and the content words of its complement."""

    question: str
    verb: str | None  # base form, None for a copular question ("Is the cake ...?")
    verb_class: frozenset
    content: tuple  # complement content words, in order
    negations: int  # negators inside the question's complement
    subject: tuple  # subject tokens

    def verb_matches(self, tok: str) -> bool:
        return bool(verb_lemmas(tok) & self.verb_class)


def _strip_lead_clause(qtoks_raw: str) -> str:
    q = qtoks_raw.strip().rstrip("?").strip()
    # "When X happens, does she ...": keep the part from the auxiliary on.
    m = re.search(r",\s*((?:does|do|did|is|are|was|were|will|would|can|could|has|have|had|should)\b.*)$", q, re.I)
    if m:
        return m.group(1)
    return q


@functools.lru_cache(maxsize=4096)
def parse_question(question: str) -> Proposition:
    q = normalize_text(_strip_lead_clause(question))
    toks = tokens(q)
    # The auxiliary that opens the yes/no question.
    i = next((k for k, t in enumerate(toks) if t in _AUX), None)
    if i is None:
        i = -1
    aux = toks[i] if i >= 0 else ""
    rest = toks[i + 1:]
    verb, vidx = None, None
    if aux in _BE:
        # "Is Anne sure that ..." / "Are the windows clean": copular, no main verb.
        verb, vidx = None, None
    else:
        # The verb is the first known verb after at least one subject token; otherwise the token that
        # precedes the first determiner/complementizer.
        for k in range(1, len(rest)):
            if rest[k] in _COMMON_VERBS or verb_lemmas(rest[k]) & _COMMON_VERBS:
                vidx = k
                break
        if vidx is None:
            for k in range(1, len(rest) - 1):
                if rest[k + 1] in {"the", "a", "an", "that", "her", "his", "their", "its", "to", "where", "what"}:
                    vidx = k
                    break
        if vidx is not None:
            lem = verb_lemmas(rest[vidx]) & _COMMON_VERBS
            verb = sorted(lem)[0] if lem else rest[vidx]
    if vidx is None:
        subject, comp = tuple(rest[:1]), rest[1:]
    else:
        subject, comp = tuple(rest[:vidx]), rest[vidx + 1:]
    if verb in _BELIEF:
        vclass = frozenset(_BELIEF)
    elif verb in _PERCEIVE:
        vclass = frozenset(_PERCEIVE)
    elif verb:
        vclass = frozenset({verb})
    else:
        vclass = frozenset()
    negs = sum(1 for t in comp if t in _NEGATORS)
    content = tuple(t for t in comp if (t not in _STOP or t in _QUANT) and t not in _FILLER and t not in _NEGATORS)
    if not content:
        content = tuple(t for t in comp if t not in _NEGATORS)
    return Proposition(question, verb, vclass, content, negs, subject)


# --------------------------------------------------------------------------------- clause matching

_CLAUSE_SPLIT = re.compile(
    r";|:|,\s*(?:which|so|not)\b|\b(?:but|because|since|although|though|however|whereas|while|so that|instead of"
    r"|rather than|unless|until|that is why|as a result|therefore|thus|hence)\b",
    re.I,
)
# "as if he had caught a big fish": what follows is counterfactual and states nothing.
_COUNTERFACTUAL = re.compile(r"\bas (?:if|though)\b.*$", re.I)


@dataclass
class Claim:
    polarity: str  # "yes" / "no"
    strength: str  # "strong" / "weak"
    hedged: bool
    text: str


def scenario_names(context: str, question: str) -> frozenset:
    """Lower-cased proper names of a scenario: capitalized words seen somewhere other than a sentence start."""
    text = normalize_text(context + " " + question)
    text = re.sub(r"'s\b", "", text)
    names = set()
    for m in re.finditer(r"(?<![.!?]\s)(?<!^)(?<![.!?])\b([A-Z][A-Za-z]+)\b", text):
        start = m.start(1)
        before = text[:start].rstrip()
        if not before or before[-1] in ".!?\"":
            continue
        names.add(m.group(1).lower())
    return frozenset(n for n in names if n not in _STOP)


def subject_names(prop: Proposition, names: frozenset) -> frozenset:
    """The names the question is about: in its subject, or (for a pronoun subject) in its lead clause."""
    own = {t for t in prop.subject if t in names}
    if own:
        return frozenset(own)
    lead = tokens(normalize_text(prop.question.split(",")[0])) if "," in prop.question else []
    return frozenset(t for t in lead if t in names)


def match_clause(prop: Proposition, clause_toks: list[str], context_words: frozenset,
                 other_names: frozenset = frozenset()) -> Claim | None:
    """Read one clause against the question's proposition; None when it does not state it.

    ``other_names``: names of other people in the scenario; a clause whose subject is one of them
    ("Jacob realized he was still asleep" for "Does Lisa believe Jacob is asleep?") is not about the question.
    """
    if not clause_toks:
        return None
    vpos = None
    if prop.verb_class:
        for k, t in enumerate(clause_toks):
            if prop.verb_matches(t):
                vpos = k
                break
        if vpos is None:
            return None
        if other_names:
            last_ref = next((t for t in reversed(clause_toks[:vpos])
                             if t in other_names or t in ("she", "he", "they", "i", "we", "you")
                             or t in prop.subject), None)
            if last_ref in other_names:
                return None
    pre = clause_toks[:vpos] if vpos is not None else []
    post = clause_toks[vpos + 1:] if vpos is not None else clause_toks
    # An embedded question ("not sure if she thinks ...", "whether or not George thinks ...") states nothing
    # -- except "does not know whether X", which implies she does not believe X.
    verb_tok = clause_toks[vpos] if vpos is not None else ""
    if any(t in ("whether", "if") for t in pre[-6:]):
        return None
    embedded_after = bool(post) and post[0] in ("whether", "if")
    if embedded_after:
        post = post[1:]
        if post[:2] == ["or", "not"]:
            post = post[2:]
    pre_neg = sum(1 for t in pre[-5:] if t in _NEGATORS)
    if verb_tok == "unaware":  # "is unaware that X" = does not know X
        pre_neg += 1
    hedged = any(t in _HEDGE_MODALS for t in pre[-4:]) or "possible" in pre or "possibly" in pre

    # Content words of the question found in the clause's complement.
    content = prop.content
    matched, missing = [], []
    flips = 0
    post_set = post
    for q in content:
        if any(_same_word(q, a) for a in post_set):
            matched.append(q)
        elif q.startswith("un") and any(_same_word(q[2:], a) for a in post_set):
            matched.append(q)
            flips += 1
        elif any(a.startswith("un") and _same_word(q, a[2:]) for a in post_set):
            matched.append(q)
            flips += 1
        else:
            missing.append(q)
    qset = set(content)
    extras = [a for a in post if a not in _STOP and a not in _FILLER and a not in _NEGATORS
              and not any(_same_word(q, a) or (q.startswith("un") and _same_word(q[2:], a)) for q in qset)
              and a not in prop.subject]
    pronouns = sum(1 for a in post if a in _PRONOUNS)
    unfilled = max(0, len(missing) - pronouns)
    post_neg = sum(1 for t in post if t in _NEGATORS)
    neg = pre_neg + post_neg + flips - prop.negations
    if embedded_after:
        # "does not know whether X": a weak "no"; "knows whether X" says nothing.
        if pre_neg % 2 == 1 and matched:
            return Claim("no", "weak", hedged, " ".join(clause_toks))
        return None
    nc = len(content)
    if not content:
        return None
    if not matched and nc > 1:
        return None
    substituted = bool(missing) and bool([e for e in extras if e in context_words or e in _QUANT])
    if substituted:
        # "X believes he wears a PINK shirt" for "a white shirt": an implied no -- only when asserted.
        if neg % 2 == 0 and (matched or nc == 1):
            return Claim("no", "weak", hedged, " ".join(clause_toks))
        return None
    if unfilled and (nc <= 2 or len(matched) < -(-2 * nc // 3)):
        return None
    if nc >= 3 and unfilled > 1 and not prop.verb_class:
        return None
    pol = "yes" if neg % 2 == 0 else "no"
    return Claim(pol, "strong", hedged, " ".join(clause_toks))


# ----------------------------------------------------------------------------- sentence reading

_EVASION_RE = re.compile(
    r"\b(?:not (?:possible|clear|certain|known|specified|mentioned|stated|obvious|determinable)"
    r"|impossible to|unclear|uncertain whether|no way (?:to|of) (?:know|tell|determine)"
    r"|(?:can not|could not|unable to|not able to) (?:be )?(?:determine|determined|say|said|tell|told|answer|answered"
    r"|conclude|concluded|infer|inferred|know for (?:sure|certain)|be sure)"
    r"|not (?:enough|sufficient) (?:information|context|details|evidence|info)|insufficient (?:information|evidence)"
    r"|(?:does|do|did) not (?:provide|give|mention|say|specify|state|indicate|tell us|include|contain) "
    r"(?:enough|any|sufficient|information|whether|if)"
    r"|without (?:more|further|additional) (?:information|context)|depends on|it depends|difficult to (?:say|tell|determine|answer|know)"
    r"|hard to (?:say|tell|determine|know)|more information (?:is )?needed|need more information|not relevant"
    r"|is not related to|no information)",
    re.I,
)
_HEDGE_RE = re.compile(
    r"\b(?:may or may not|might or might not|could or could not|either yes or no|yes or no|yes and no"
    r"|not sure|unsure|is possible that|it'?s possible that|possibly|perhaps|maybe|not certain"
    r"|could be either|both yes and no|there are two possible)\b",
    re.I,
)
_MARKER_RE = re.compile(
    r"\b(?:the (?:final |correct |short )?answer (?:to (?:this|the|that) (?:question|scenario)\s*)?(?:is|would be|will be)"
    r"|^answer)\s*[:,-]?\s*",
    re.I,
)
_CONCLUSION_RE = re.compile(
    r"^(?:therefore|so|thus|hence|in conclusion|to conclude|in summary|to sum up|overall|as a result|consequently"
    r"|this means|that means|this is why|based on (?:this|the|these|that|all)[^,]*|from (?:this|the)[^,]*"
    r"|in this (?:case|scenario)|finally|in the end|the conclusion is)\b",
    re.I,
)
_LEAD_YESNO_RE = re.compile(r"^(yes|no)\b(?!\s+(?:one|longer|matter|idea|other|more)\b)[\s,.!:;-]*", re.I)
_LIST_MARK_RE = re.compile(r"^\s*(?:[-*\u2022#>]+|\(?\d{1,2}[.)]|\(?[a-h][.)]|step\s*\d+\s*[:.)-]?)\s*", re.I)


@dataclass
class SentenceReading:
    text: str
    tier: int  # 1: explicit answer marker, 2: conclusion, 3: other
    polarity: str | None  # yes / no / conflict / None
    strength: str | None  # strong / weak / bare
    hedged: bool = False
    evasion: bool = False
    hedge_phrase: bool = False
    example: bool = False


def split_sentences(text: str) -> list[str]:
    out = []
    for line in re.split(r"\n+", text):
        line = line.strip()
        if not line:
            continue
        # Sentence ends: ., !, ? followed by space and a capital / digit / quote.
        parts = re.split(r"(?<=[.!?])\s+(?=[\"'(]?[A-Z0-9])", line)
        out.extend(p.strip() for p in parts if p.strip())
    return out


_PERSON_TOKENS = {"he", "she", "they", "him", "her", "them", "his", "hers", "their", "i", "we"}


def _echo_norm(toks: list, names: frozenset) -> list:
    return ["<p>" if (t in _PERSON_TOKENS or t in names) else t for t in toks]


def _ngrams(toks: list, n: int = 3) -> set:
    return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}


def is_context_echo(clause_toks: list, context_grams: frozenset, names: frozenset = frozenset(), n: int = 3) -> bool:
    """A clause copied from the scenario (>= 80% of its word 3-grams occur in the context, people's names and
    pronouns made equal) states no answer."""
    if len(clause_toks) < n + 3 or not context_grams:
        return False
    toks = _echo_norm(clause_toks, names)
    grams = [tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)]
    return sum(1 for g in grams if g in context_grams) / len(grams) >= 0.8


def _clauses(sentence: str) -> list[str]:
    sentence = _COUNTERFACTUAL.sub("", sentence)
    return [c.strip() for c in _CLAUSE_SPLIT.split(sentence) if c and c.strip()]


# ------------------------------------------------------------------------------------ extraction

_EOS_RE = re.compile("|".join(map(re.escape, END_OF_TURN_TOKENS)))
_DEBRIS_RE = re.compile(r"^\s{0,3}[a-z]{1,4}:(?=\s|$)")
_LABEL_RE = re.compile(r"(?<![A-Za-z])(Scenario|Context|Question|Answer)\s*:", re.I)
_SBS_RE = re.compile(r"\s*Let'?s think step by step\s*:?\s*", re.I)


@dataclass
class Cleaned:
    text: str
    had_eos: bool
    debris: str


def clean_output(output: str) -> Cleaned:
    m = _EOS_RE.search(output)
    had_eos = bool(m)
    text = output[: m.start()] if m else output
    debris = ""
    d = _DEBRIS_RE.match(text)
    if d:
        debris = d.group(0).strip()
        text = text[d.end():]
    return Cleaned(text.strip(), had_eos, debris)


def _content_set(text: str) -> set:
    return {t for t in tokens(normalize_text(text)) if t not in _STOP and len(t) > 1}


def _overlap(a: set, b: set) -> float:
    if not a:
        return 0.0
    return len(a & b) / len(a)


@dataclass
class Extracted:
    text: str
    rambling: bool  # the model went on into an invented scenario / question
    prompt_echo: bool  # the model restated the scenario or question
    example_block: bool  # a labelled block repeated a CoT example


def extract_answer(text: str, context: str, question: str, examples: Sequence["CotItem"] = ()) -> Extracted:
    """The part of an output that answers the question (see the module docstring)."""
    ctx_words = _content_set(context)
    q_words = _content_set(question)
    ex_ctx = [(_content_set(e.context), _content_set(e.question)) for e in examples]
    pieces = []
    last = 0
    current_label = None
    for m in _LABEL_RE.finditer(text):
        pieces.append((current_label, text[last:m.start()]))
        current_label = m.group(1).lower()
        last = m.end()
    pieces.append((current_label, text[last:]))

    answer_parts: list[str] = []
    rambling = prompt_echo = example_block = False
    block = "ours"  # whose scenario the current labelled block is: ours / example / foreign
    for label, body in pieces:
        body_clean = _SBS_RE.sub(" ", body).strip()
        if label is None:
            answer_parts.append(body_clean)
            continue
        words = _content_set(body_clean)
        if label in ("scenario", "context"):
            if not words:
                block = "ours"
                continue
            ours = _overlap(words, ctx_words)
            ex = max((_overlap(words, c) for c, _ in ex_ctx), default=0.0)
            if ex > 0.6 and ex > ours:
                block = "example"
                example_block = True
            elif ours >= 0.6:
                block = "ours"
                prompt_echo = True
            else:
                rambling = True
                break
        elif label == "question":
            ours = _overlap(words, q_words) if words else 1.0
            ex = max((_overlap(words, q) for _, q in ex_ctx), default=0.0)
            if block == "example" or (ex > 0.6 and ex > ours):
                block = "example"
                example_block = True
            elif ours >= 0.6:
                block = "ours"
                prompt_echo = True
            else:
                rambling = True
                break
        elif label == "answer":
            if block == "ours":
                answer_parts.append(body_clean)
            # an example's worked answer is skipped
    answer = "\n".join(p for p in answer_parts if p)
    return Extracted(answer.strip(), rambling, prompt_echo, example_block)


# --------------------------------------------------------------------------------------- grading


@dataclass(frozen=True)
class Item:
    """What the grader needs about one scenario."""

    id: int
    question: str
    gold: str  # yes / no
    context: str = ""


@dataclass(frozen=True)
class CotItem:
    context: str
    question: str


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
        self._ex_props = [parse_question(e.question) for e in self.examples]

    # ---- per-sentence reading
    def _read_sentence(self, sent: str, prop: Proposition, ctx_words: frozenset, is_first: bool,
                       ex_words: frozenset, use_examples: bool, scen_words: frozenset,
                       ctx_grams: frozenset = frozenset(), other_names: frozenset = frozenset(),
                       all_names: frozenset = frozenset()) -> SentenceReading:
        s = normalize_text(sent).strip()
        s = _LIST_MARK_RE.sub("", s)
        # tier 1: an explicit "the answer is ..."; tier 2: a concluding sentence; tier 3: anything else
        tier = 3
        body = s
        marker = _MARKER_RE.search(body)
        if marker and (marker.start() == 0 or re.search(r"(?:so|therefore|thus|hence|,|\.)\s*$", body[:marker.start()].lower())
                       or marker.start() < 40):
            tier = 1
            body = body[marker.end():]
        else:
            c = _CONCLUSION_RE.match(body)
            if c:
                tier = 2
                body = body[c.end():].lstrip(" ,:")
        body = body.strip().strip('"').strip()
        # "So, yes, ..." / "Therefore, no, ..."
        lead = _LEAD_YESNO_RE.match(body)
        lead_pol = None
        if lead:
            lead_pol = lead.group(1).lower()
            body = body[lead.end():]
        else:
            # "Step 3: No, Sarah does not ..." / "Susie wakes up: Yes, she sees ..."
            m = re.match(r"^[^:]{0,80}:\s*(yes|no)\b[\s,.!;-]*", body, re.I)
            if m and tier == 3:
                lead_pol = m.group(1).lower()
                body = body[m.end():]
        raw_low = s.lower()
        evasion = bool(_EVASION_RE.search(raw_low))
        hedge_phrase = bool(_HEDGE_RE.search(raw_low))
        # Is the sentence about a CoT example?  (distinctive example words, or the example's proposition)
        example = False
        if use_examples:
            sw = {t for t in tokens(s) if t not in _STOP}
            distinct = {t for t in sw if t in ex_words and t not in scen_words}
            if len(distinct) >= 2 or (sw and len(distinct) / len(sw) >= 0.34):
                example = True
        claims: list[Claim] = []
        if not example:
            for clause in _clauses(body):
                ctoks = tokens(clause)
                if is_context_echo(ctoks, ctx_grams, all_names):
                    continue
                cl = match_clause(prop, ctoks, ctx_words, other_names)
                if cl:
                    claims.append(cl)
        if use_examples and not claims and self._ex_props:
            for ep in self._ex_props:
                for clause in _clauses(body):
                    if match_clause(ep, tokens(clause), frozenset()):
                        example = True
                        break
        if example:
            return SentenceReading(sent, tier, None, None, example=True, evasion=False, hedge_phrase=False)
        strong = [c for c in claims if c.strength == "strong"]
        use = strong or claims
        pols = {c.polarity for c in use}
        hedged = bool(use) and all(c.hedged for c in use)
        polarity = None
        strength = None
        if len(pols) == 2:
            polarity, strength = "conflict", "strong" if strong else "weak"
        elif len(pols) == 1:
            polarity, strength = pols.pop(), ("strong" if strong else "weak")
        if lead_pol:
            leading_counts = tier in (1, 2) or is_first or polarity is not None
            if leading_counts:
                if polarity is None:
                    polarity, strength = lead_pol, "bare"
                elif polarity != "conflict" and polarity != lead_pol:
                    # "No, Jenny expects to find her chocolate in the cupboard": the stated conclusion wins
                    # over the bare word (as the human graders read it); against an implied no it is a
                    # contradiction ("Yes, Jeff believes he wears a pink shirt").
                    if strength != "strong":
                        polarity = "conflict"
                elif polarity == lead_pol:
                    strength = "strong"
                    hedged = False
        if evasion and polarity is not None and strength != "bare" and hedged:
            polarity = None
        return SentenceReading(sent, tier, polarity, strength, hedged=hedged, evasion=evasion,
                               hedge_phrase=hedge_phrase)

    @functools.lru_cache(maxsize=1024)
    def _item_setup(self, item: Item, cot: bool):
        """Everything derived from a scenario (computed once per scenario and prompting kind)."""
        examples = self.examples if cot else ()
        prop = parse_question(item.question)
        ctx_toks = tokens(normalize_text(item.context))
        ctx_words = frozenset(ctx_toks)
        names = scenario_names(item.context, item.question)
        ctx_grams = frozenset(_ngrams(_echo_norm(ctx_toks, names)))
        subj = subject_names(prop, names)
        other_names = names - subj if subj else frozenset()
        scen_words = frozenset(tokens(normalize_text(item.context + " " + item.question)))
        ex_words = frozenset(
            t for e in examples for t in tokens(normalize_text(e.context + " " + e.question)) if t not in _STOP
        ) - scen_words
        return prop, ctx_words, ctx_grams, names, other_names, scen_words, ex_words

    def grade(self, output: str, item: Item, cot: bool = False, finish_reason: str | None = None) -> Grade:
        cleaned = clean_output(output)
        examples = self.examples if cot else ()
        ext = extract_answer(cleaned.text, item.context, item.question, examples)
        prop, ctx_words, ctx_grams, names, other_names, scen_words, ex_words = self._item_setup(item, bool(examples))
        flags = []
        if cleaned.debris:
            flags.append("debris")
        if ext.rambling:
            flags.append("rambling")
        if ext.prompt_echo:
            flags.append("prompt_echo")
        truncated = finish_reason == "length" or (finish_reason is None and not cleaned.had_eos)
        if truncated:
            flags.append("truncated")

        sentences = split_sentences(ext.text)
        q_norm = _content_set(item.question)
        readings: list[SentenceReading] = []
        for k, sent in enumerate(sentences):
            # A restated question is not an answer.
            if sent.rstrip().endswith("?") and _overlap(q_norm, _content_set(sent)) >= 0.6:
                flags.append("prompt_echo") if "prompt_echo" not in flags else None
                continue
            readings.append(self._read_sentence(sent, prop, ctx_words, not readings, ex_words, bool(examples),
                                                scen_words, ctx_grams, other_names, names))
        example_seen = ext.example_block or any(r.example for r in readings)
        if example_seen:
            flags.append("example_repetition")
        verdict, behaviour, evidence = self._decide(readings)
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

    @staticmethod
    def _decide(readings: list[SentenceReading]) -> tuple[str, str | None, str]:
        """Combine sentence readings into (verdict, behaviour-if-inconclusive, evidence)."""
        pol = [r for r in readings if r.polarity]
        evasions = [k for k, r in enumerate(readings) if r.evasion and not r.polarity]

        def combine(rs: list[SentenceReading], weak_counts: bool = False):
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

        def finish(v, r):
            if v == "hedge":
                return "none", "multiple answers / hedging", r.text
            if v == "conflict":
                return "none", "multiple answers / hedging", r.text
            return v, None, r.text

        t1 = [r for r in pol if r.tier == 1]
        if t1:
            v, r = combine(t1)
            return finish(v, r)
        # An explicit marker without yes/no ("the answer is: it cannot be determined").
        t1_evasive = [r for r in readings if r.tier == 1 and r.evasion]
        if t1_evasive:
            return "none", "question evasion", t1_evasive[-1].text
        t2 = [r for r in pol if r.tier == 2]
        if t2:
            v, r = combine(t2)
            if v in ("yes", "no"):
                # The reasoning stated the opposite proposition outright: the answer contradicts itself.
                others = [x for x in pol if x.tier == 3 and not x.hedged and x.strength in ("strong", "bare")
                          and x.polarity in ("yes", "no") and x.polarity != v]
                if others:
                    return "none", "multiple answers / hedging", others[0].text
                last_t2 = max(k for k, x in enumerate(readings) if x is r)
                if any(k > last_t2 for k in evasions):
                    return "none", "question evasion", readings[evasions[-1]].text
            return finish(v, r)
        if pol:
            v, r = combine(pol, weak_counts=True)
            if v in ("yes", "no") and evasions:
                last_claim = max(k for k, x in enumerate(readings) if x.polarity)
                if evasions[-1] > last_claim:
                    return "none", "question evasion", readings[evasions[-1]].text
            return finish(v, r)
        if evasions:
            return "none", "question evasion", readings[evasions[0]].text
        hedges = [r for r in readings if r.hedge_phrase]
        if hedges:
            return "none", "multiple answers / hedging", hedges[0].text
        return "none", None, ""


# ------------------------------------------------------------------------------------ answer files


def answer_id(output: str) -> str:
    """A short stable id of one output text (used to attach human labels)."""
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
    human: bool = False
    finish_reason: str | None = None

    @property
    def answer_id(self) -> str:
        return answer_id(self.output)


@dataclass
class GradedFile:
    path: str
    name: str  # file name (the key human labels are attached to)
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
    def n_human(self) -> int:
        return sum(1 for a in self.answers if a.human)

    def per_scenario_correct(self) -> dict:
        out: dict = {}
        for a in self.answers:
            out.setdefault(a.scenario, 0)
            if a.label == "correct":
                out[a.scenario] += 1
        return dict(sorted(out.items()))

    def per_scenario_n(self) -> dict:
        out: dict = {}
        for a in self.answers:
            out[a.scenario] = out.get(a.scenario, 0) + 1
        return dict(sorted(out.items()))

    def gold_by_scenario(self) -> dict:
        return {a.scenario: a.gold for a in self.answers}

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
            "human_labels": self.n_human,
            "warnings": list(self.warnings),
        }


_NAME_RE = re.compile(r"^Results_(?P<model>.+)_(?P<prompting>Base|SbS\+CoT|SbS|CoT)(?:_.*)?$")


def prompting_from_flags(sbs, cot) -> str | None:
    if not isinstance(sbs, bool) or not isinstance(cot, bool):
        return None
    return {(False, False): "Base", (True, False): "SbS", (False, True): "CoT", (True, True): "SbS+CoT"}[(sbs, cot)]


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToMLabError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ToMLabError(f"{path}: not valid JSON ({exc})") from None
    return data


def is_answer_file(data) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("scenarios"), list) and not data.get("graded")
            and all(isinstance(s, dict) and "answers" in s for s in data["scenarios"]))


def collect_answer_files(paths: Iterable) -> list[Path]:
    """Expand files and folders (recursively: ``*.json`` files that are answer files) in a stable order."""
    out: list[Path] = []
    seen = set()
    for p in paths:
        p = Path(p)
        if p.is_dir():
            cands = sorted(q for q in p.rglob("*.json") if q.is_file())
            found = []
            for q in cands:
                try:
                    data = json.loads(q.read_text(encoding="utf-8"))
                except (json.JSONDecodeError, UnicodeDecodeError, OSError):
                    continue
                if is_answer_file(data):
                    found.append(q)
            if not found:
                raise ToMLabError(f"{p}: no answer files in this folder")
            cands = found
        elif p.is_file():
            cands = [p]
        else:
            raise ToMLabError(f"{p}: no such file or folder")
        for q in cands:
            key = q.resolve()
            if key not in seen:
                seen.add(key)
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


def grade_answer_file(path, scenarios: dict | None = None, grader: Grader | None = None) -> GradedFile:
    """Grade every answer of one answer file (original or this project's schema).

    ``scenarios``: {id: Item} used for questions, gold answers and contexts the file does not carry.
    """
    path = Path(path)
    data = _read_json(path)
    if not is_answer_file(data):
        raise ToMLabError(f"{path}: not an answer file (expected an object with a 'scenarios' list whose "
                          "entries have 'answers')")
    scenarios = scenarios or {}
    grader = grader or Grader()
    prompting = _prompting(data, path)
    cot = "CoT" in prompting
    warnings = []
    complete = data.get("complete", True)
    if complete is False:
        warnings.append("incomplete run ('complete': false)")
    answers = []
    for i, s in enumerate(data["scenarios"]):
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
        item = Item(sid, question, gold, context or "")
        if not isinstance(s.get("answers"), list):
            raise ToMLabError(f"{path}: scenario {sid} has no 'answers' list")
        for j, a in enumerate(s["answers"]):
            if not isinstance(a, dict) or not isinstance(a.get("output"), str):
                raise ToMLabError(f"{path}: scenario {sid} answer #{j + 1} has no 'output' text")
            rep = a.get("repetition", j + 1)
            fr = a.get("finish_reason") if isinstance(a.get("finish_reason"), str) else None
            g = grader.grade(a["output"], item, cot=cot, finish_reason=fr)
            answers.append(GradedAnswer(sid, rep, question, gold, a["output"], g.answer, g.verdict, g.label,
                                        g.behaviour, g.flags, g.evidence, g.label, g.behaviour, False, fr))
    return GradedFile(str(path), path.name, _display_model(data, path), prompting,
                      data.get("prompt_format") if isinstance(data.get("prompt_format"), str) else None,
                      complete is not False, answers, warnings)


def scenario_items(path=None) -> dict:
    """{id: Item} from a scenario file (default: data/tom_scenarios.json)."""
    from .scenarios import DEFAULT_SCENARIOS, load_scenarios

    return {s.id: Item(s.id, s.question, s.answer, s.context) for s in load_scenarios(path or DEFAULT_SCENARIOS)}


def cot_items(path=None) -> list:
    from .scenarios import DEFAULT_COT_EXAMPLES, load_cot_examples

    return [CotItem(e.context, e.question) for e in load_cot_examples(path or DEFAULT_COT_EXAMPLES)]


def grade_files(paths, scenarios_path=None, cot_path=None, labels_path=None) -> list[GradedFile]:
    """Grade every answer file under ``paths`` (files or folders); human labels (if any) override.

    This is the entry point the experiment runner calls at the end of a run:
    ``tomlab.report.accuracy_table_markdown(tomlab.grading.grade_files([out_dir]))``.
    """
    files = collect_answer_files(paths)
    items = scenario_items(scenarios_path)
    grader = Grader(cot_items(cot_path))
    graded = [grade_answer_file(p, items, grader) for p in files]
    from .labels import DEFAULT_LABEL_STORE, apply_labels, load_label_store

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
                "auto_label": a.auto_label, "auto_behaviour": a.auto_behaviour, "human": a.human,
                "flags": a.flags, "evidence": a.evidence, "answer": a.answer,
            }
            for a in g.answers
        ],
    }
