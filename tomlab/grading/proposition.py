"""The question's proposition, and whether a clause of an answer states it (and with which polarity).

The question "When Pam is driving home, does she assume her tulips have bloomed?" gives the verb class
{assume, think, believe, expect, know, ...} and the content words {tulips, bloomed}. A clause that states the
proposition gives a polarity from its negations ("does not assume", "cannot assume", "never thinks", "has not
bloomed", "is unaware that", "has no idea that"); a clause that states the same verb with a substituted content
word ("Jeff believes he is wearing a pink shirt" for "... a white shirt") is a weaker, implied "no"; one with the
content word's antonym ("they find their cooler full of soda" for "... empty of soda") is a strong "no".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction

from .text import STOP_WORDS, normalize_text, same_word, tokens, verb_lemmas

#: "whether"/"if" this many tokens before the verb makes the clause an embedded question that states nothing
#: ("not sure if she really thinks ...", "whether or not George thinks ...").
EMBEDDED_QUESTION_WINDOW = 6
#: Negators this many tokens before the verb negate it ("does not really think", "would never have thought"),
#: but not a negation earlier in a long clause.
NEGATION_WINDOW = 5
#: A modal this many tokens before the verb hedges it ("she may not really think").
HEDGE_WINDOW = 4
#: A proposition of at most this many content words must be stated in full (pronouns may stand for words).
SHORT_PROPOSITION = 2
#: A longer proposition counts as stated with at least this share of its content words ("they find their
#: cabin occupied" states "... find their back-country cabin occupied").
MIN_MATCHED_SHARE = Fraction(2, 3)

# Words that carry no content in a proposition but are not stop words for echo detection.
_FILLER = frozenset("""
actually really certainly definitely probably likely indeed again anymore ever also just still yet now today
""".split())
# Pronouns that can stand for a missing content word ("they find it unoccupied"); not "her" (mostly possessive).
_PRONOUNS = frozenset({"it", "they", "them", "he", "him", "she"})
_NEGATORS = frozenset({"not", "never", "no", "neither", "nor", "nobody", "nothing", "none", "hardly", "barely"})
_HEDGE_MODALS = frozenset({"may", "might", "could", "possibly", "perhaps", "maybe", "probably"})
_AUX = frozenset({"does", "do", "did", "is", "are", "was", "were", "will", "would", "can", "could", "has", "have",
                  "had", "should", "shall", "may", "might", "must"})
_BE = frozenset({"is", "are", "was", "were"})
# Quantifiers that change a proposition's meaning: kept as content words.
_QUANT = frozenset({"all", "every", "entire", "whole", "only", "half", "some", "none", "both"})
# Words that follow a question's verb and so mark it when the verb is not a known one.
_AFTER_VERB = frozenset({"the", "a", "an", "that", "her", "his", "their", "its", "to", "where", "what"})
_SUBJECT_PRONOUNS = ("she", "he", "they", "i", "we", "you")
# Auxiliaries that open a question with inverted word order ("does she assume", "would the CEO discover").
_QUESTION_AUX = frozenset({"do", "does", "did", "will", "would", "can", "could", "should", "has", "have", "had"})
#: An inverted question's subject ("she", "the CEO", "Sally and Greg") has at most this many tokens.
INVERTED_SUBJECT_MAX = 3
# A verb in -ing form asserts only after a form of "be" ("she is not thinking"), within this many tokens; as a
# gerund or an adjective it asserts nothing ("mislead Jill into thinking ...", "a lateral thinking puzzle").
PROGRESSIVE_WINDOW = 3
_BE_FORMS = frozenset({"is", "are", "was", "were", "am", "be", "been"})
# Pronouns of each gender; the subject pronoun of the other gender than the question's subject is another person
# ("So, she doesn't know where his keys are" for "Does John know where his keys are?").
_MALE = frozenset({"he", "him", "his", "himself"})
_FEMALE = frozenset({"she", "her", "hers", "herself"})
# A complement that is an embedded wh-question ("where his keys are") is stated only by a clause with the same
# wh-word, or for "where" with a place ("his keys are behind the sofa"); "he knows he lost his keys" is not.
_WH = frozenset({"where", "what", "who", "which", "how"})
_PLACE_WORDS = frozenset({"in", "on", "under", "underneath", "behind", "inside", "at", "near", "beside", "next",
                          "above", "below", "between", "location", "place", "spot", "there", "here"})
# Antonyms of content words: a clause with the antonym in place of the question's word states the opposite
# ("they find their cooler full of soda" for "... empty of soda"). General adjective pairs, both directions.
_ANTONYM_PAIRS = (("empty", "full"), ("asleep", "awake"), ("clean", "dirty"), ("open", "closed"), ("open", "shut"),
                  ("occupied", "vacant"), ("present", "absent"), ("wet", "dry"), ("hot", "cold"), ("alive", "dead"),
                  ("true", "false"), ("same", "different"), ("early", "late"), ("lost", "found"), ("new", "old"))
_ANTONYMS = {a: frozenset(b for x, b in _ANTONYM_PAIRS if x == a) | frozenset(x for x, b in _ANTONYM_PAIRS if b == a)
             for pair in _ANTONYM_PAIRS for a in pair}
# Words that mean "without X": the question's "empty of soda" is stated by "no soda (left)", "not ... any soda",
# "the soda is gone"; the negation they carry is the word's own, not the clause's.
_PRIVATIVE = frozenset({"empty", "gone", "missing", "absent", "vacant"})
_PRIVATIVE_NEGATORS = frozenset({"no", "none", "nothing", "without"})

# Verb classes: a question's verb is matched by any member of its class.
_BELIEF = frozenset({"think", "believe", "assume", "expect", "suppose", "presume", "imagine", "guess", "suspect",
                     "know", "realize", "realise", "aware", "idea", "anticipate", "consider", "understand"})
_PERCEIVE = frozenset({"see", "find", "discover", "notice", "spot", "observe", "encounter"})
_COMMON_VERBS = _BELIEF | _PERCEIVE | {
    "get", "go", "come", "make", "take", "feel", "want", "need", "like", "have", "be", "hear", "remember",
    "forget", "recognize", "recognise", "taste", "smell", "look", "eat", "drink", "wear", "use", "keep",
    "leave", "put", "place", "move", "stay", "wait", "say", "tell", "ask", "answer", "win", "lose", "give",
    "read", "write", "buy", "sell", "open", "close", "hope", "plan", "intend", "try", "decide", "agree",
}
_LEAD_CLAUSE_RE = re.compile(r",\s*((?:does|do|did|is|are|was|were|will|would|can|could|has|have|had|should)\b.*)$",
                             re.I)
_NAME_RE = re.compile(r"(?<![.!?]\s)(?<!^)(?<![.!?])\b([A-Z][A-Za-z]+)\b")


@dataclass(frozen=True)
class Proposition:
    """What a yes/no question asks: a verb (class) and the content words of its complement."""

    question: str
    verb: str | None  # base form, None for a copular question ("Is the cake ...?")
    verb_class: frozenset
    content: tuple  # complement content words, in order
    negations: int  # negators inside the question's complement
    subject: tuple  # subject tokens
    complement: tuple = ()  # every token after the verb (after the subject for a copular question)

    @property
    def wh(self) -> str | None:
        """The wh-word of a complement that is an embedded question ("where" for "know where his keys are")."""
        return self.complement[0] if self.complement and self.complement[0] in _WH else None

    def verb_matches(self, tok: str) -> bool:
        return bool(verb_lemmas(tok) & self.verb_class)


@dataclass
class Claim:
    polarity: str  # "yes" / "no"
    strength: str  # "strong" / "weak"
    hedged: bool
    text: str


def _strip_lead_clause(question: str) -> str:
    """"When X happens, does she ...": keep the part from the auxiliary on."""
    q = question.strip().rstrip("?").strip()
    m = _LEAD_CLAUSE_RE.search(q)
    return m.group(1) if m else q


def _find_verb(rest: list[str]) -> int | None:
    """The question's verb: the first known verb after at least one subject token; otherwise the token that
    precedes the first determiner or complementizer."""
    for k in range(1, len(rest)):
        if rest[k] in _COMMON_VERBS or verb_lemmas(rest[k]) & _COMMON_VERBS:
            return k
    for k in range(1, len(rest) - 1):
        if rest[k + 1] in _AFTER_VERB:
            return k
    return None


@functools.lru_cache(maxsize=4096)
def parse_question(question: str) -> Proposition:
    toks = tokens(normalize_text(_strip_lead_clause(question)))
    # The auxiliary that opens the yes/no question.
    i = next((k for k, t in enumerate(toks) if t in _AUX), -1)
    aux = toks[i] if i >= 0 else ""
    rest = toks[i + 1:]
    verb = None
    # "Is Anne sure that ..." / "Are the windows clean": copular, no main verb.
    vidx = None if aux in _BE else _find_verb(rest)
    if vidx is None:
        subject, comp = tuple(rest[:1]), rest[1:]
    else:
        lem = verb_lemmas(rest[vidx]) & _COMMON_VERBS
        verb = sorted(lem)[0] if lem else rest[vidx]
        subject, comp = tuple(rest[:vidx]), rest[vidx + 1:]
    if verb in _BELIEF:
        vclass = _BELIEF
    elif verb in _PERCEIVE:
        vclass = _PERCEIVE
    else:
        vclass = frozenset({verb}) if verb else frozenset()
    negs = sum(1 for t in comp if t in _NEGATORS)
    content = tuple(t for t in comp
                    if (t not in STOP_WORDS or t in _QUANT) and t not in _FILLER and t not in _NEGATORS)
    if not content:
        content = tuple(t for t in comp if t not in _NEGATORS)
    return Proposition(question, verb, vclass, content, negs, subject, tuple(comp))


def scenario_names(context: str, question: str) -> frozenset:
    """Lower-cased proper names of a scenario: capitalized words seen somewhere other than a sentence start."""
    text = normalize_text(context + " " + question)
    text = re.sub(r"'s\b", "", text)
    names = set()
    for m in _NAME_RE.finditer(text):
        before = text[:m.start(1)].rstrip()
        if before and before[-1] not in ".!?\"":
            names.add(m.group(1).lower())
    return frozenset(n for n in names if n not in STOP_WORDS)


def subject_names(prop: Proposition, names: frozenset) -> frozenset:
    """The names the question is about: in its subject, or (for a pronoun subject) in its lead clause."""
    own = {t for t in prop.subject if t in names}
    if own:
        return frozenset(own)
    lead = tokens(normalize_text(prop.question.split(",")[0])) if "," in prop.question else []
    return frozenset(t for t in lead if t in names)


def other_gender_pronouns(prop: Proposition, names: frozenset) -> frozenset:
    """The subject pronouns of the other gender than the question's subject (``{"she"}`` for "Does John know where
    his keys are?"): the gender read from a pronoun subject ("does she assume"), else from the first gendered
    pronoun of the complement that comes before any name ("his keys"); empty when the question does not tell."""
    for t in (*prop.subject, *prop.complement):
        if t in names and t not in prop.subject:
            break
        if t in _MALE:
            return frozenset({"she"})
        if t in _FEMALE:
            return frozenset({"he"})
    return frozenset()


def _is_other_persons(prop: Proposition, pre: list[str], other_names: frozenset) -> bool:
    """Whether the nearest person before the verb is someone the question is not about."""
    last_ref = next((t for t in reversed(pre)
                     if t in other_names or t in _SUBJECT_PRONOUNS or t in prop.subject), None)
    return last_ref in other_names


def _is_inverted(pre: list[str], context_words: frozenset) -> bool:
    """Whether the words before the verb end in a question's inverted order: auxiliary, subject ("... does she",
    "By the time Mary comes in, does John"), which asks and asserts nothing; "nor does she" still asserts."""
    for k in range(len(pre) - 1, max(-1, len(pre) - INVERTED_SUBJECT_MAX - 2), -1):
        if pre[k] in _QUESTION_AUX:
            subj = pre[k + 1:]
            return (bool(subj) and (subj[0] in _SUBJECT_PRONOUNS or subj[0] in ("it", "the")
                                    or (subj[0] not in STOP_WORDS and subj[0] in context_words))
                    and not any(t in _NEGATORS or t in _AUX for t in subj)
                    and (k == 0 or pre[k - 1] not in ("nor", "neither")))
    return False


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
        vpos = next((k for k, t in enumerate(clause_toks) if prop.verb_matches(t)), None)
        if vpos is None:
            return None
        if other_names and _is_other_persons(prop, clause_toks[:vpos], other_names):
            return None
    pre = clause_toks[:vpos] if vpos is not None else []
    post = clause_toks[vpos + 1:] if vpos is not None else clause_toks
    text = " ".join(clause_toks)
    # A question in inverted order, an -ing form that is not progressive, or a verb with a prepositional object
    # ("thinks of the option of wearing a white shirt", "thinks about her tulips") asserts nothing.
    if vpos is not None and (_is_inverted(pre, context_words) or (
            clause_toks[vpos].endswith("ing") and not any(t in _BE_FORMS for t in pre[-PROGRESSIVE_WINDOW:]))
            or (post and post[0] in ("of", "about"))):
        return None
    # An embedded question ("not sure if she thinks ...", "whether or not George thinks ...") states nothing
    # -- except "does not know whether X", which implies she does not believe X.
    if any(t in ("whether", "if") for t in pre[-EMBEDDED_QUESTION_WINDOW:]):
        return None
    embedded_after = bool(post) and post[0] in ("whether", "if")
    if vpos is not None and prop.wh and not embedded_after and prop.wh not in post \
            and not (prop.wh == "where" and any(t in _PLACE_WORDS for t in post)):
        return None
    if embedded_after:
        post = post[1:]
        if post[:2] == ["or", "not"]:
            post = post[2:]
    pre_neg = sum(1 for t in pre[-NEGATION_WINDOW:] if t in _NEGATORS)
    if vpos is not None and clause_toks[vpos] == "unaware":  # "is unaware that X" = does not know X
        pre_neg += 1
    hedged = (any(t in _HEDGE_MODALS for t in pre[-HEDGE_WINDOW:]) or "possible" in pre or "possibly" in pre
              # "does not necessarily think": neither yes nor no
              or ("necessarily" in pre[-HEDGE_WINDOW:] and any(t in _NEGATORS for t in pre[-NEGATION_WINDOW:])))

    # Content words of the question found in the clause's complement ("un-" flips: occupied / unoccupied).
    content = prop.content
    matched, missing, opposite = [], [], set()
    flips = privative_neg = 0
    for q in content:
        if any(same_word(q, a) for a in post):
            matched.append(q)
        elif (q.startswith("un") and any(same_word(q[2:], a) for a in post)) \
                or any(a.startswith("un") and same_word(q, a[2:]) for a in post):
            matched.append(q)
            flips += 1
        elif q in _ANTONYMS and any(a in _ANTONYMS[q] for a in post):
            # "full of soda" for "empty of soda": the opposite
            matched.append(q)
            opposite |= {a for a in post if a in _ANTONYMS[q]}
            flips += 1
        elif q in _PRIVATIVE and any(a in _PRIVATIVE for a in post):
            matched.append(q)  # "the soda is gone" for "empty of soda"
        elif q in _PRIVATIVE and (any(a in _PRIVATIVE_NEGATORS for a in post) or (pre_neg and "any" in post)):
            # "no soda left", "does not find any soda": the negation is the word's own
            matched.append(q)
            privative_neg = 1
        else:
            missing.append(q)
    extras = [a for a in post if a not in STOP_WORDS and a not in _FILLER and a not in _NEGATORS
              and not any(same_word(q, a) or (q.startswith("un") and same_word(q[2:], a)) for q in content)
              and a not in prop.subject and a not in opposite]
    unfilled = max(0, len(missing) - sum(1 for a in post if a in _PRONOUNS))
    neg = pre_neg + sum(1 for t in post if t in _NEGATORS) + flips - prop.negations - privative_neg
    if embedded_after:
        # "does not know whether X": a weak "no"; "knows whether X" says nothing.
        if pre_neg % 2 == 1 and matched:
            return Claim("no", "weak", hedged, text)
        return None
    nc = len(content)
    if not content or (not matched and nc > 1):
        return None
    if missing and any(e in context_words or e in _QUANT for e in extras):
        # "X believes he wears a PINK shirt" for "a white shirt": an implied no -- only when asserted.
        if neg % 2 == 0 and (matched or nc == 1):
            return Claim("no", "weak", hedged, text)
        return None
    if unfilled and (nc <= SHORT_PROPOSITION or len(matched) < MIN_MATCHED_SHARE * nc):
        return None
    if nc > SHORT_PROPOSITION and unfilled > 1 and not prop.verb_class:
        return None
    return Claim("yes" if neg % 2 == 0 else "no", "strong", hedged, text)
