"""The eight story families: ``family(draw, template) -> Story``, one short story with its questions.

A family function draws everything random through its :class:`Draw` (names, which words of its template's table,
numbers), tells the story from the template's words (:mod:`.vocabulary`) and asks questions whose answers the
story alone decides (:mod:`.types`). The same ``Draw`` state gives the same story: the generator's output is a
function of its seed, so the order of the draws in a family is part of the committed data.
"""

from __future__ import annotations

import random

from .types import Story, cap, entity, number, yes_no
from .vocabulary import (
    BOOK_TOPICS,
    CAUSE_FRAMES,
    CAUSES,
    CHORES,
    COUNTS,
    ERRANDS,
    JOURNEYS,
    LOANS,
    MOVED_OBJECTS,
    ORDER_FRAMES,
    PEOPLE,
    SPORTS,
    STATIONS,
)


class Draw:
    """The random choices of one story (a thin wrapper so families read as prose)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def people(self, n: int) -> list[tuple[str, str]]:
        """``n`` different ``(name, pronoun)`` of :data:`PEOPLE`."""
        return self.rng.sample(PEOPLE, n)

    def some(self, items, n: int) -> list:
        """``n`` different items, in random order."""
        return self.rng.sample(list(items), n)

    def one(self, items):
        """One item."""
        return self.rng.choice(list(items))

    def coin(self, p: float = 0.5) -> bool:
        """True with probability ``p``."""
        return self.rng.random() < p


# ------------------------------------------------------------------------------------ moved objects
def _loc(places: dict[str, str], p: str) -> str:
    """``in the fridge``: a place with its preposition (``places``: place -> ``in``/``on``)."""
    return f"{places[p]} the {p}"


def _to(places: dict[str, str], p: str) -> str:
    """``into the fridge``: where a thing is carried."""
    return f"{'into' if places[p] == 'in' else 'onto'} the {p}"


def moved_objects(draw: Draw, template: str) -> Story:
    """Two people put two things in places; one thing moves (the other may): where is it now, where was it first,
    who moved it, is a thing in a place now. ``{A}``/``{B}``: the two people, ``{P}``: who acts."""
    v = MOVED_OBJECTS[template]
    (A, _), (B, _) = draw.people(2)
    o1, o2 = draw.some(v["objects"], 2)
    prep = dict((name, p) for p, name in v["places"])
    p1, p2, p3, p4 = draw.some(prep, 4)
    o2_moves = draw.coin()
    mover2 = draw.one([A, B])
    loc, to = (lambda p: _loc(prep, p)), (lambda p: _to(prep, p))
    put, move, filler = draw.some(v["put"], 2), draw.some(v["move"], 2), draw.some(v["filler"], 2)
    lines = [draw.one(v["intro"]).format(A=A, B=B),
             put[0].format(P=A, o=o1, loc=loc(p1)),
             put[1].format(P=draw.one([A, B]), o=o2, loc=loc(p2)),
             filler[0].format(P=draw.one([A, B]), place=p4 if o2_moves else draw.one([p3, p4])),
             move[0].format(P=B, o=o1, src=p1, loc=loc(p3), to=to(p3))]
    if o2_moves:
        lines.append(move[1].format(P=mover2, o=o2, src=p2, loc=loc(p4), to=to(p4)))
    lines.append(filler[1].format(P=draw.one([A, B]), place=p1))
    lines.append(draw.one(v["closing"]).format(P=draw.one([A, B])))
    story = Story("moved_objects", template, " ".join(lines))
    now2 = p4 if o2_moves else p2
    before2 = p2 if o2_moves else draw.one([p1, p3])
    ask_o, ask_now, ask_before = draw.one([(o1, p3, p1), (o2, now2, before2)])
    pick = draw.one([ask_now, ask_before])
    phrase, places = {p: loc(p) for p in prep}, list(prep)
    story.questions = [
        entity("where_now", f"Where is the {o1} now?", f"the {o1} is {{x}} now.", p3, p1, places, phrase),
        entity("where_now", f"Where is the {o2} now?", f"the {o2} is {{x}} now.", now2, before2, places, phrase),
        entity("where_first", f"Where was the {o1} at the start?", f"at the start, the {o1} was {{x}}.", p1, p3,
               places, phrase),
        entity("who_moved", f"Who moved the {o1}?", f"{{x}} moved the {o1}.", B, A, [A, B]),
        yes_no("yes_no_location", f"Is the {ask_o} {loc(pick)} now?", f"the {ask_o} is {loc(pick)} now.",
               f"the {ask_o} is not {loc(pick)} now.", pick == ask_now),
    ]
    return story



# --------------------------------------------------------------------------------- errands timeline
def errands_timeline(draw: Draw, template: str) -> Story:
    """Someone visits four places in order: where first, last, right after a place, was one before another.
    ``{W}``: who goes (``{A}`` or a group), ``{B}``: a second person."""
    v = ERRANDS[template]
    (A, a_sub), (B, _) = draw.people(2)
    who = draw.one(v["who"]).format(A=A, B=B)
    sub = a_sub if who == A else "they"
    visited = draw.some(v["places"], 4)
    places = [p for p, _ in visited]
    lines = [draw.one(v["intro"]).format(A=A, B=B, W=who)]
    for i, (p, act) in enumerate(visited):
        slot = "first" if i == 0 else "last" if i == 3 else "middle"
        lines.append(cap(draw.one(ORDER_FRAMES[slot]).format(Who=cap(who), who=who, sub=sub, p=p, act=act)))
        if i == 1:
            lines.append(draw.one(v["filler"]).format(B=B, W=who))
    lines.append(draw.one(v["closing"]).format(W=who))
    story = Story("errands_timeline", template, " ".join(lines))
    every = [p for p, _ in v["places"]]
    i = draw.one(range(3))
    j, k = sorted(draw.some(range(4), 2))
    before = draw.coin()
    first, second = (places[j], places[k]) if before else (places[k], places[j])
    story.questions = [
        entity("first_place", f"Where did {who} go first?", f"{who} went to the {{x}} first.", places[0],
               draw.one(places[1:]), every),
        entity("last_place", f"Where did {who} go last?", f"{who} went to the {{x}} last.", places[3],
               draw.one(places[:3]), every),
        entity("next_place", f"Where did {who} go right after the {places[i]}?",
               f"right after the {places[i]}, {who} went to the {{x}}.", places[i + 1],
               draw.one([p for p in places if p not in (places[i], places[i + 1])]), every),
        yes_no("yes_no_order", f"Did {who} go to the {first} before the {second}?",
               f"{who} went to the {first} before the {second}.",
               f"{who} did not go to the {first} before the {second}.", before),
    ]
    return story


# ------------------------------------------------------------------------------------------- counts
#: Counts stay small so the arithmetic is a reading task, not a maths task.
COUNT_START, COUNT_CHANGE = (6, 30), (2, 9)


def counts(draw: Draw, template: str) -> Story:
    """A count that changes two or three times: how many now, how many at the start, are there k now.
    ``{n}``: a number, ``{A}``/``{B}``: two people."""
    v = COUNTS[template]
    (A, _), (B, _) = draw.people(2)
    n_changes = draw.one([2, 3])
    while True:
        n0 = draw.rng.randint(*COUNT_START)
        changes = [(draw.coin(), draw.rng.randint(*COUNT_CHANGE)) for _ in range(n_changes)]
        totals = [n0]
        for add, n in changes:
            totals.append(totals[-1] + (n if add else -n))
        if min(totals) > 1 and len(set(totals)) == len(totals):
            break
    frames = {"plus": draw.some(v["plus"], n_changes), "minus": draw.some(v["minus"], n_changes)}
    filler = [f.format(A=A, B=B) for f in draw.some(v["filler"], 3)]
    lines = [draw.one(v["start"]).format(n=n0, A=A), filler[0]]
    for i, (add, n) in enumerate(changes):
        lines.append(cap(frames["plus" if add else "minus"][i].format(n=n, A=A, B=B)))
        if i == 0:
            lines.append(filler[1])
    lines += [filler[2], draw.one(v["closing"]).format(A=A)]
    story = Story("counts", template, " ".join(lines))
    unit, where, final = v["unit"], v["where"], totals[-1]
    k = draw.one([final, draw.one(totals[:-1])])
    story.questions = [
        number("count_now", f"How many {unit} are {where} now?", f"there are {{x}} {unit} {where} now.", final,
               draw.one(totals[:-1]), totals),
        number("count_start", f"How many {unit} were {where} at the start?",
               f"there were {{x}} {unit} {where} at the start.", n0, draw.one(totals[1:]), totals),
        yes_no("yes_no_count", f"Are there {k} {unit} {where} now?", f"there are {k} {unit} {where} now.",
               f"there are not {k} {unit} {where} now.", k == final),
    ]
    return story


# ------------------------------------------------------------------------------------------- causes
def causes(draw: Draw, template: str) -> Story:
    """Three things fail, each for its own cause, a fourth does not: why did one fail, what failed because of a
    cause, did a thing fail. ``{t}``: a thing, ``{c}``/``{C}``: a cause, ``{past}``: the failure verb."""
    v = CAUSES[template]
    (A, _), (B, _) = draw.people(2)
    things = draw.some(v["things"], 4)
    broken, fine = things[:3], things[3]
    picked = [(c.format(B=B), k) for c, k in draw.some(v["causes"], 3)]
    verb = v["verb"]
    past = verb["past"]
    filler = [f.format(A=A, B=B) for f in draw.some(v["filler"], 2)]
    first = draw.one(CAUSE_FRAMES[:2])
    frames = [first, *draw.some([f for f in CAUSE_FRAMES if f != first], 2)]
    lines = [draw.one(v["intro"]).format(A=A, B=B)]
    for i, (t, (c, _)) in enumerate(zip(broken, picked)):
        lines.append(frames[i].format(t=t, past=past, c=c, C=cap(c)))
        if i < 2:
            lines.append(filler[i])
    lines += [draw.one(v["fine"]).format(t=fine), draw.one(v["closing"]).format(A=A, B=B)]
    story = Story("causes", template, " ".join(lines))
    said = {k: c for c, k in picked}
    i, j = draw.some(range(3), 2)
    asked = draw.one([draw.one(broken), fine])
    story.questions = [
        entity("why", verb["why"].format(t=broken[i]), f"the {broken[i]} {past} because {{x}}.", picked[i][1],
               picked[j][1], [k for _, k in v["causes"]], said),
        entity("what_by_cause", f"What {past} because {picked[j][0]}?", f"the {{x}} {past} because {picked[j][0]}.",
               broken[j], draw.one([t for t in things if t != broken[j]]), v["things"]),
        yes_no("yes_no_event", verb["ask"].format(t=asked), f"the {asked} {past}.", verb["neg"].format(t=asked),
               asked != fine),
    ]
    return story


# ------------------------------------------------------------------------------------- who did what
def who_did_what(draw: Draw, template: str) -> Story:
    """Four people do five tasks (one does two): who did a task, what did someone do, did a person do a task."""
    v = CHORES[template]
    people = [name for name, _ in draw.people(4)]
    A, B, C, D = people
    tasks = draw.some(v["tasks"], 5)
    doers = [A, B, C, D, draw.one(people)]  # one person does two jobs
    did = {t[2]: p for t, p in zip(tasks, doers)}
    filler = draw.some(v["filler"], 3)
    lines = [draw.one(v["intro"]), f"{A} {tasks[0][0]}.", f"{B} {tasks[1][0]} while {C} {tasks[2][0]}.",
             filler[0], f"Meanwhile, {D} {tasks[3][0]}.", filler[1], f"Later, {doers[4]} also {tasks[4][0]}.",
             filler[2]]
    story = Story("who_did_what", template, " ".join(lines))
    past = {t[2]: t[0] for t in v["tasks"]}
    asked = draw.one(tasks)
    doer = did[asked[2]]
    person = doer if draw.coin() else draw.one([p for p in people if p != doer])
    single = draw.one([p for p in people if doers.count(p) == 1])
    own = next(k for k, p in did.items() if p == single)
    story.questions = [
        entity("who_did", f"Who {asked[0]}?", f"{{x}} {asked[0]}.", doer, draw.one([p for p in people if p != doer]),
               people),
        entity("what_did", f"What did {single} do?", f"{single} {{x}}.", own,
               draw.one([k for k in did if k != own]), list(past), past),
        yes_no("yes_no_task", f"Did {person} {asked[1]}?", f"{person} {asked[0]}.", f"{person} did not {asked[1]}.",
               doer == person),
    ]
    return story


# ------------------------------------------------------------------------------------------- sports
def sports(draw: Draw, template: str) -> Story:
    """Two teams' scores over two halves (no draw): who won, a team's total, who scored first, did a team win.
    ``{T1}``/``{T2}``: the teams, ``{P}``: the first scorer."""
    v = SPORTS[template]
    (P, _), (Q, _) = draw.people(2)
    t1, t2 = draw.some(v["teams"], 2)
    while True:
        halves = [[draw.rng.randint(*v["score"]) for _ in range(2)] for _ in range(2)]  # [half][team]
        totals = [halves[0][i] + halves[1][i] for i in range(2)]
        if totals[0] != totals[1] and min(totals) >= 2 and len({*totals, halves[0][0], halves[0][1]}) == 4:
            break
    unit = v["unit"]
    lines = [draw.one(v["intro"]).format(T1=t1, T2=t2), v["star"].format(P=f"{P} of the {t1}"),
             f"{v['halves'][0]}, the {t1} scored {halves[0][0]} {unit} and the {t2} scored {halves[0][1]}.",
             draw.one(v["filler"]),
             f"{v['halves'][1]}, the {t1} scored {halves[1][0]} more and the {t2} scored {halves[1][1]} more.",
             f"{Q} of the {t2} was named player of the {v['event']}."]
    story = Story("sports", template, " ".join(lines))
    win, lose = (t1, t2) if totals[0] > totals[1] else (t2, t1)
    side = draw.one([0, 1])
    team = (t1, t2)[side]
    asked = draw.one([t1, t2])
    story.questions = [
        entity("winner", f"Which team won the {v['event']}?", f"the {{x}} won the {v['event']}.", win, lose,
               v["teams"]),
        number("team_total", f"How many {unit} did the {team} score in total?",
               f"the {team} scored {{x}} {unit} in total.", totals[side],
               draw.one([totals[1 - side], halves[0][side]]), [*totals, halves[0][side]]),
        entity("first_scorer", f"Who {v['star'].split('{P} ')[1][:-1]}?", f"{{x}} {v['star'].split('{P} ')[1]}",
               P, Q, [P, Q]),
        yes_no("yes_no_winner", f"Did the {asked} win the {v['event']}?", f"the {asked} won the {v['event']}.",
               f"the {asked} did not win the {v['event']}.", asked == win),
    ]
    return story


# ------------------------------------------------------------------------------------ library loans
def library_loans(draw: Draw, template: str) -> Story:
    """Someone borrows books, returns one and borrows more: who borrowed a book, which book was returned, how
    many books now, does someone have a book now. ``{C}``: the librarian."""
    v = LOANS[template]
    (A, _), (B, _), (C, _) = draw.people(3)
    while True:
        n_first, n_later = draw.one([2, 3]), draw.one([1, 2, 3])
        now = n_first - 1 + n_later  # one book returned
        wrong = [n for n in (n_first, n_first + n_later) if n != now]  # forgot the return or the new loans
        if now >= 2:
            break
    topics = draw.some(BOOK_TOPICS, n_first + n_later + 1)
    first, later, b_book = topics[:n_first], topics[n_first:-1], topics[-1]
    returned = draw.one(first)
    held = [t for t in first + later if t != returned]

    def books(items):
        names = [f"the book about {t}" for t in items]
        return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]

    lines = [draw.one(v["intro"]), f"{A} borrowed {books(first)} from {v['place']}.",
             f"{B} borrowed {books([b_book])}.", draw.one(v["filler"]).format(C=C),
             f"On Wednesday, {A} returned {books([returned])} and borrowed {books(later)}.",
             f"{B} kept {books([b_book])} for another week."]
    story = Story("library_loans", template, " ".join(lines))
    phrase = {t: f"the book about {t}" for t in BOOK_TOPICS}
    asked = draw.one([returned, draw.one(held)])
    story.questions = [
        entity("who_borrowed", f"Who borrowed the book about {b_book}?", f"{{x}} borrowed the book about {b_book}.",
               B, A, [A, B, C]),
        entity("what_returned", f"Which book did {A} return?", f"{A} returned {{x}}.", returned, draw.one(held),
               BOOK_TOPICS, phrase),
        number("count_books", f"How many library books does {A} have now?", f"{A} has {{x}} library books now.", now,
               draw.one(wrong), wrong),
        yes_no("yes_no_has", f"Does {A} have the book about {asked} now?", f"{A} has the book about {asked} now.",
               f"{A} does not have the book about {asked} now.", asked != returned),
    ]
    return story


# ------------------------------------------------------------------------------------ train journey
def train_journey(draw: Draw, template: str) -> Story:
    """A vehicle's stops with passengers getting off and on: the first stop, the last, how many passengers after a
    stop, was one stop reached before another. ``{s}``: the start, ``{n}``: passengers, ``{A}``/``{B}``: crew."""
    v = JOURNEYS[template]
    (A, _), (B, _) = draw.people(2)
    s = draw.some(STATIONS, 5)  # start, two stops, one passed without stopping, the end of the line
    vehicle = v["vehicle"]
    while True:
        n0, off, on = draw.rng.randint(12, 40), draw.rng.randint(2, 9), draw.rng.randint(2, 9)
        if len({n0, n0 - off, n0 - off + on}) == 3:
            break
    n1, n2 = n0 - off, n0 - off + on
    filler = [f.format(A=A, B=B) for f in draw.some(v["filler"], 2)]
    lines = [v["start"].format(s=s[0], n=n0), f"At {s[1]}, {off} passengers got off.", filler[0],
             f"The {vehicle} then stopped at {s[2]}, where {on} people got on.",
             f"It went past {s[3]} without stopping.", filler[1],
             f"It reached {s[4]}, the end of the line, just before eleven."]
    story = Story("train_journey", template, " ".join(lines))
    stops = [s[0], s[1], s[2], s[4]]
    j, k = sorted(draw.some(range(4), 2))
    before = draw.coin()
    first, second = (stops[j], stops[k]) if before else (stops[k], stops[j])
    story.questions = [
        entity("first_stop", f"What was the first stop after {s[0]}?", f"the first stop after {s[0]} was {{x}}.",
               s[1], draw.one(s[2:]), STATIONS),
        entity("last_stop", f"Where did the {vehicle} end its journey?", f"the {vehicle} ended its journey at {{x}}.",
               s[4], draw.one(s[1:4]), STATIONS),
        number("count_end", f"How many passengers were on the {vehicle} after {s[2]}?",
               f"there were {{x}} passengers on the {vehicle} after {s[2]}.", n2, draw.one([n0, n1]), [n0, n1, n2]),
        yes_no("yes_no_order", f"Did the {vehicle} reach {first} before {second}?",
               f"the {vehicle} reached {first} before {second}.",
               f"the {vehicle} did not reach {first} before {second}.", before),
    ]
    return story


#: family -> (story function, its templates). A family's templates all share its question kinds.
FAMILIES = {
    "moved_objects": (moved_objects, tuple(MOVED_OBJECTS)),
    "errands_timeline": (errands_timeline, tuple(ERRANDS)),
    "counts": (counts, tuple(COUNTS)),
    "causes": (causes, tuple(CAUSES)),
    "who_did_what": (who_did_what, tuple(CHORES)),
    "sports": (sports, tuple(SPORTS)),
    "library_loans": (library_loans, tuple(LOANS)),
    "train_journey": (train_journey, tuple(JOURNEYS)),
}
