"""Reading one sentence of an answer: its tier, the polarity it states, and whether it hedges or evades.

A sentence has a tier: 1 when it carries an explicit answer marker ("the answer is: ..."), 2 when it
concludes ("Therefore, ...", "So, ..."), 3 otherwise. Its clauses are read against the question's
proposition (``proposition.match_clause``); a leading "Yes,"/"No," is read too and checked against the
clauses that follow it. Clauses copied from the scenario state nothing; a sentence about a CoT example is
attributed to the example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .proposition import Claim, Proposition, match_clause
from .text import STOP_WORDS, clauses, normalize_text, tokens

#: An answer marker this close to the start of a sentence opens its answer even after a short lead-in
#: ("In this scenario, the answer is ..."); further in, it must follow "so", "therefore", a comma or a period.
MARKER_NEAR_START = 40
#: A label before a yes/no ("Step 3: No, ...", "Susie wakes up: Yes, ...") is at most this many characters.
LEAD_LABEL_MAX_CHARS = 80
#: A sentence with this many words found only in the CoT examples is about an example ...
EXAMPLE_DISTINCT_WORDS = 2
#: ... and so is one in which at least this share of its words are found only in the examples.
EXAMPLE_WORD_SHARE = 0.34
#: A clause is copied from the scenario when at least this share of its word n-grams occur there
#: (people's names and pronouns made equal): a retelling states no answer.
CONTEXT_ECHO_SHARE = 0.8
#: The n of those n-grams: three words are rarely shared by chance.
ECHO_NGRAM = 3
#: Clauses shorter than this many tokens are too short to tell an echo from an answer that reuses words.
ECHO_MIN_TOKENS = ECHO_NGRAM + 3

_EVASION_RE = re.compile(
    r"\b(?:not (?:clear|certain|known|specified|mentioned|stated|obvious|determinable)"
    r"|(?:it is|it's|it was) not possible|not possible to|(?:is|was|are) not (?:provided|given)"
    r"|impossible to|unclear|uncertain whether|no way (?:to|of) (?:know|tell|determine)"
    r"|(?:can not|could not|unable to|not able to) (?:be )?(?:determine|determined|say|said|tell|told|answer|answered"
    r"|conclude|concluded|infer|inferred|know for (?:sure|certain)|be sure)"
    r"|not (?:enough|sufficient) (?:information|context|details|evidence|info)|insufficient (?:information|evidence)"
    r"|(?:does|do|did) not (?:provide|give|mention|say|specify|state|indicate|tell us|include|contain) "
    r"(?:enough|any|sufficient|information|whether|if)"
    r"|without (?:more|further|additional) (?:information|context)|depends on|it depends"
    r"|difficult to (?:say|tell|determine|answer|know)"
    r"|hard to (?:say|tell|determine|know)|more information (?:is )?needed|need more information|not relevant"
    r"|is not related to|no information)",
    re.I,
)
_HEDGE_RE = re.compile(
    r"\b(?:may or may not|might or might not|could or could not|either yes or no|yes or no|yes and no"
    r"|not sure|unsure|is possible that|it'?s possible that|possibly|perhaps|maybe|not certain|not necessarily"
    r"|could be either|both yes and no|there are two possible)\b",
    re.I,
)
_MARKER_RE = re.compile(
    r"\b(?:the (?:final |correct |short )?answer (?:to (?:this|the|that) (?:question|scenario)\s*)?"
    r"(?:is|would be|will be)|^(?:[\w']+\s+){0,2}answer\s*:|^answer)\s*[:,-]?\s*",
    re.I,
)
_MARKER_AFTER_RE = re.compile(r"(?:so|therefore|thus|hence|,|\.)\s*$")
_CONCLUSION_RE = re.compile(
    r"^(?:therefore|so|thus|hence|in conclusion|to conclude|in summary|to sum up|overall|as a result|consequently"
    r"|this means|that means|this is why|based on (?:this|the|these|that|all)[^,]*|from (?:this|the)[^,]*"
    r"|in this (?:case|scenario)|finally|in the end|the conclusion is)\b",
    re.I,
)
_LEAD_YESNO_RE = re.compile(r"^(yes|no)\b(?!\s+(?:one|longer|matter|idea|other|more)\b)[\s,.!:;-]*", re.I)
_LABELLED_YESNO_RE = re.compile(rf"^[^:]{{0,{LEAD_LABEL_MAX_CHARS}}}:\s*(yes|no)\b[\s,.!;-]*", re.I)
# After "No,"/"Yes,": a hedge that takes the word back ("No, not necessarily."); "Yes, probably" leans, it commits.
_LEAD_HEDGE_RE = re.compile(r"^(?:not necessarily|not always|not exactly|not quite|possibly|perhaps|maybe)\b", re.I)
# A statement limited to an earlier time ("John didn't know where his keys were until ...", "at first"), and a
# sentence that moves the story on ("Then he noticed ...", "Suddenly ..."): a reasoning that tells a change of state.
_EARLIER_RE = re.compile(r"\b(?:at first|initially|in the beginning|at the beginning|originally|until|not yet"
                         r"|at (?:this|that|the) (?:point|time|moment))\b", re.I)
_CHANGE_RE = re.compile(r"^(?:(?:and|but|so)\b,?\s*)?(?:then|later|suddenly|afterwards?"
                        r"|after (?:that|a while|some time)|eventually|now|soon|meanwhile|in the meantime"
                        r"|by the time|at last)\b", re.I)
# "Possible answers:" opens a list of possible answers: it and the sentences after it assert none of them.
_OPTIONS_LEAD_RE = re.compile(r"^(?:possible answers|options|choices|answer choices)\s*:", re.I)
# An option letter that opens an answer ("The answer is: (A). Yes", "The answer is: B").
_OPTION_LETTER_RE = re.compile(r"^(?:\(([A-H1-9])\)\.?|([A-H])(?:\)\.?|\.|:|\s*$))\s*", re.I)
# A subordinate clause states nothing up to its comma ("When they find their cabin unoccupied.", "the idea that
# when Susie saw the minivan, ..."): at the start of a clause, or anywhere for the unambiguous "when".
_SUBORDINATE_RE = re.compile(r"^\W*(?:once|if|before|after)\b[^,]*(?:,|$)|\b(?:when|whenever|as soon as)\b[^,]*(?:,|$)",
                             re.I)
_LIST_MARK_RE = re.compile(r"^\s*(?:[-*\u2022#>]+|\(?\d{1,2}[.)]|\(?[a-h][.)]|step\s*\d+\s*[:.)-]?)\s*", re.I)
_PERSON_TOKENS = frozenset({"he", "she", "they", "him", "her", "them", "his", "hers", "their", "i", "we"})


@dataclass(frozen=True)
class Scene:
    """What reading needs about one scenario, derived once from its question, context and the CoT examples."""

    prop: Proposition  # the question's proposition
    context_words: frozenset  # every word of the context
    context_grams: frozenset  # the context's word n-grams (names and pronouns made equal)
    names: frozenset  # the people of the scenario
    other_names: frozenset  # the people the question is not about (names; the other gender's subject pronoun)
    scenario_words: frozenset  # every word of the context and question
    example_words: frozenset  # words of the CoT examples not in the scenario (empty without CoT)
    example_props: tuple  # the CoT examples' propositions (empty without CoT)


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
    earlier: bool = False  # limited to an earlier time ("at first", "until ...")
    moves_on: bool = False  # moves the story on: "Then ...", or a retold event of the scenario stating no claim


def echo_norm(toks: list, names: frozenset) -> list:
    """Tokens with people's names and pronouns made equal (for echo detection)."""
    return ["<p>" if (t in _PERSON_TOKENS or t in names) else t for t in toks]


def ngrams(toks: list, n: int = ECHO_NGRAM) -> set:
    return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}


def is_context_echo(clause_toks: list, context_grams: frozenset, names: frozenset = frozenset()) -> bool:
    """Whether a clause was copied from the scenario (see ``CONTEXT_ECHO_SHARE``)."""
    if len(clause_toks) < ECHO_MIN_TOKENS or not context_grams:
        return False
    toks = echo_norm(clause_toks, names)
    grams = [tuple(toks[i:i + ECHO_NGRAM]) for i in range(len(toks) - ECHO_NGRAM + 1)]
    return sum(1 for g in grams if g in context_grams) / len(grams) >= CONTEXT_ECHO_SHARE


def _tier(s: str) -> tuple[int, str]:
    """(tier, the sentence after its answer marker or conclusion word)."""
    marker = _MARKER_RE.search(s)
    if marker and (marker.start() < MARKER_NEAR_START or _MARKER_AFTER_RE.search(s[:marker.start()].lower())):
        return 1, s[marker.end():]
    c = _CONCLUSION_RE.match(s)
    if c:
        return 2, s[c.end():].lstrip(" ,:")
    return 3, s


def _is_bare_marker(sent: str) -> bool:
    tier, body = _tier(_LIST_MARK_RE.sub("", normalize_text(sent).strip()))
    return tier == 1 and not body.strip(" .:;,-\"'")


def join_bare_markers(sentences: list[str]) -> list[str]:
    """An answer marker with nothing after it is answered by the next sentence ("The answer is:\nNo.")."""
    out: list[str] = []
    for sent in sentences:
        if out and _is_bare_marker(out[-1]) and not _is_bare_marker(sent):
            out[-1] = out[-1] + " " + sent
        else:
            out.append(sent)
    return out


def read_options(sentences: list[str], readings: list[SentenceReading]) -> list[SentenceReading]:
    """The readings with the sentences of a list of possible answers ("Possible answers: Yes, she does. No, she
    doesn't.") read as hedging: from the sentence that opens the list up to an explicit answer or conclusion."""
    out, listing = [], False
    for sent, r in zip(sentences, readings):
        if _OPTIONS_LEAD_RE.match(_LIST_MARK_RE.sub("", normalize_text(sent).strip())):
            listing = True
        elif r.tier < 3:
            listing = False
        out.append(SentenceReading(sent, 3, None, None, hedge_phrase=True) if listing and r.tier == 3 else r)
    return out


def _resolve_option(body: str, options: dict) -> str:
    """An answer given as an option: "(A). Yes" -> "Yes"; "(A)" -> the word option A stands for."""
    m = _OPTION_LETTER_RE.match(body)
    if not m:
        return body
    rest = body[m.end():]
    if rest.strip(" .;,"):
        return rest
    return options.get((m.group(1) or m.group(2)).lower(), "")


def _about_example(s: str, body: str, scene: Scene, claims: list) -> bool:
    """Whether a sentence is about a CoT example: its distinctive words, or (stating nothing about the question)
    an example's proposition."""
    if not scene.example_props:
        return False
    words = {t for t in tokens(s) if t not in STOP_WORDS}
    distinct = {t for t in words if t in scene.example_words and t not in scene.scenario_words}
    if len(distinct) >= EXAMPLE_DISTINCT_WORDS or (words and len(distinct) / len(words) >= EXAMPLE_WORD_SHARE):
        return True
    return not claims and any(match_clause(ep, tokens(clause), frozenset())
                              for ep in scene.example_props for clause in clauses(body))


def read_sentence(sent: str, scene: Scene, is_first: bool, options: dict | None = None) -> SentenceReading:
    """Read one sentence of an answer against the scenario's question (``options``: the answer's listed options,
    {letter: yes/no})."""
    s = _LIST_MARK_RE.sub("", normalize_text(sent).strip())
    tier, body = _tier(s)
    body = body.strip().strip('"').strip()
    if tier == 1:
        body = _resolve_option(body, options or {})
    # "So, yes, ..." / "Therefore, no, ..."; "Step 3: No, Sarah does not ..." / "Susie wakes up: Yes, she sees ..."
    lead = _LEAD_YESNO_RE.match(body) or (_LABELLED_YESNO_RE.match(body) if tier == 3 else None)
    lead_pol = lead.group(1).lower() if lead else None
    if lead:
        body = body[lead.end():]
    lead_hedged = bool(_LEAD_HEDGE_RE.match(body))
    raw_low = s.lower()
    evasion = bool(_EVASION_RE.search(raw_low))
    hedge_phrase = bool(_HEDGE_RE.search(raw_low))
    claims: list[Claim] = []
    retold = False
    for clause in clauses(body):
        ctoks = tokens(_SUBORDINATE_RE.sub(" ", clause))
        if is_context_echo(ctoks, scene.context_grams, scene.names):
            retold = True
        else:
            cl = match_clause(scene.prop, ctoks, scene.context_words, scene.other_names)
            if cl:
                claims.append(cl)
    earlier = bool(_EARLIER_RE.search(raw_low))
    moves_on = bool(_CHANGE_RE.match(body.lstrip(" ,"))) or (retold and not claims)
    if _about_example(s, body, scene, claims):
        return SentenceReading(sent, tier, None, None, example=True)
    strong = [c for c in claims if c.strength == "strong"]
    use = strong or claims
    pols = {c.polarity for c in use}
    hedged = bool(use) and all(c.hedged for c in use)
    polarity = strength = None
    if len(pols) == 2:
        polarity, strength = "conflict", "strong" if strong else "weak"
    elif len(pols) == 1:
        polarity, strength = pols.pop(), ("strong" if strong else "weak")
    if lead_pol and (tier in (1, 2) or is_first or polarity is not None):
        if polarity is None:
            polarity, strength, hedged = lead_pol, "bare", lead_hedged
        elif polarity != "conflict" and polarity != lead_pol:
            # The word and the stated conclusion disagree. Declared as the answer ("The answer is: Yes, Laura
            # does not believe ...") or against an implied no ("Yes, Jeff believes he wears a pink shirt"), the
            # answer contradicts itself; a plain leading word yields to the conclusion stated in full ("No, Jenny
            # expects to find her chocolate in the cupboard" = yes), as the original human graders read it.
            if tier == 1 or strength != "strong":
                polarity = "conflict"
        elif polarity == lead_pol:
            strength, hedged = "strong", False
    if evasion and polarity is not None and strength != "bare" and hedged:
        polarity = None
    return SentenceReading(sent, tier, polarity, strength, hedged=hedged, evasion=evasion, hedge_phrase=hedge_phrase,
                           earlier=earlier, moves_on=moves_on)
