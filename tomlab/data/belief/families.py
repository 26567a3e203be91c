"""The six story families of the belief ablation: ``family(rng) -> (story, questions, words)``.

Each family draws its people and words from ``rng``, tells a short story in one of its variants (a character misses
a change, or sees it or is told of it) and asks belief questions about it: ``questions`` is a list of ``(kind,
question, yes_no, answer, wrong)``, where ``kind`` is one of :data:`.dataset.KINDS`, ``yes_no`` is ``"yes"``,
``"no"`` or None (an open question), ``answer`` a short answer grounded in the story and ``wrong`` the answer of a
reader who gets the belief wrong; ``words`` holds the story's fill-ins (``A``, ``B``, ``a_sub`` ...) for the
rejected answers. The order of the ``rng`` draws is part of what a seed produces.
"""

from __future__ import annotations

import random
import re

from ..stories import PEOPLE as STORY_PEOPLE
from .vocabulary import (
    AWAY,
    AWAY_STATE,
    CONTAINERS,
    GIFTS,
    HIDING,
    MEETING_PLACES,
    MOVE_REASON,
    OBJECTS,
    PLACES,
    RETURN,
    SHOPS,
    STATES,
    TIMES,
)


def people(rng: random.Random, n: int) -> list[dict]:
    """``n`` different people as ``{"name", "sub", "pos"}`` (name, subject pronoun, possessive pronoun)."""
    return [dict(name=name, sub=sub, pos="her" if sub == "she" else "his") for name, sub in rng.sample(STORY_PEOPLE, n)]


def fill(text: str, **kw) -> str:
    """``text.format(**kw)`` with the space before a ``.`` or ``,`` and double spaces left by an empty fill-in
    removed."""
    text = text.format(**kw)
    return re.sub(r"\s+([.,])", r"\1", text).replace("  ", " ")


def moved_object(rng: random.Random) -> tuple[str, list[tuple], dict]:
    """A puts a thing somewhere and B moves it while A is away (unseen), in front of A (seen), texting A about it
    (told) or while A secretly watches (secret_watch): where will A look, does A think it is still there, does B
    think A knows; where is it now, who moved it."""
    A, B = people(rng, 2)
    obj = rng.choice(OBJECTS)
    (p1, loc1), (p2, loc2) = rng.sample(PLACES, 2)
    kw = dict(A=A["name"], B=B["name"], a_sub=A["sub"], a_pos=A["pos"], b_sub=B["sub"], obj=obj, loc1=loc1,
              loc2=loc2, in1=p1, in2=p2, In1=p1.capitalize(), In2=p2.capitalize(), away=rng.choice(AWAY),
              reason=rng.choice(MOVE_REASON))
    s1 = fill("{A} put {a_pos} {obj} {in1} {loc1} and {away}.", **kw)
    variant = rng.choice(["unseen", "seen", "told", "secret_watch"])
    if variant == "unseen":
        s2 = fill("While {A} was away, {B} moved the {obj} to {loc2} {reason}.", **kw)
    elif variant == "seen":
        s1 = fill("{A} put {a_pos} {obj} {in1} {loc1}.", **kw)
        s2 = fill("Right in front of {A}, {B} moved the {obj} to {loc2} {reason}. Then {A} {away}.", **kw)
    elif variant == "told":
        s2 = fill("While {A} was away, {B} moved the {obj} to {loc2} {reason} and texted {A} about it.", **kw)
    else:
        s1 = fill("{A} put {a_pos} {obj} {in1} {loc1}.", **kw)
        s2 = fill("When {A} had left the room, {B} moved the {obj} to {loc2} {reason}. "
                      "{A} secretly watched this through the window, and {B} never noticed.", **kw)
    story = " ".join([s1, s2, fill(rng.choice(RETURN), **kw)])
    knows = variant != "unseen"
    qs = []
    if knows:
        kind = "true_belief"
        how = {"seen": "{A} saw {B} move it", "told": "{B} told {A} about the move",
               "secret_watch": "{A} watched {B} move it"}[variant]
        qs.append((kind, fill("Does {A} expect to find the {obj} {in2} {loc2}?", **kw), "yes",
                   fill(how + ", so {a_sub} knows it is {in2} {loc2}.", **kw),
                   fill("{A} does not know it was moved, so {a_sub} expects it {in1} {loc1}.", **kw)))
        qs.append((kind, fill("Does {A} think the {obj} is still {in1} {loc1}?", **kw), "no",
                   fill(how + ", so {a_sub} knows it is {in2} {loc2} now.", **kw),
                   fill("{A} never learned about the move.", **kw)))
        qs.append((kind, fill("Where will {A} look for the {obj} first?", **kw), None,
                   fill("{In2} {loc2}, because " + how + ".", **kw),
                   fill("{In1} {loc1}, where {a_sub} left it.", **kw)))
    else:
        kind = "false_belief"
        qs.append((kind, fill("Does {A} expect to find the {obj} {in1} {loc1}?", **kw), "yes",
                   fill("{A} was away when {B} moved it, so {a_sub} still thinks it is {in1} {loc1}.", **kw),
                   fill("{A} knows that {B} moved the {obj} to {loc2}.", **kw)))
        qs.append((kind, fill("Does {A} think the {obj} is {in2} {loc2}?", **kw), "no",
                   fill("{A} did not see {B} move it, so {a_sub} thinks it is still {in1} {loc1}.", **kw),
                   fill("{A} knows the {obj} was moved to {loc2}.", **kw)))
        qs.append((kind, fill("Where will {A} look for the {obj} first?", **kw), None,
                   fill("{In1} {loc1}, because {a_sub} did not see {B} move it.", **kw),
                   fill("{In2} {loc2}, where {B} put it.", **kw)))
    if variant == "secret_watch":
        qs.append(("second_order", fill("Does {B} think that {A} knows the {obj} was moved?", **kw), "no",
                   fill("{B} never noticed {A} watching, so {B} thinks {A} does not know.", **kw),
                   fill("{B} saw {A} at the window and knows {A} watched.", **kw)))
    elif variant == "unseen":
        qs.append(("second_order", fill("Does {B} think that {A} knows where the {obj} is now?", **kw), "no",
                   fill("{B} moved it while {A} was away, so {B} knows {A} did not see the move.", **kw),
                   fill("{B} believes {A} saw the {obj} being moved.", **kw)))
    elif variant == "told":
        qs.append(("second_order", fill("Does {B} think that {A} knows where the {obj} is now?", **kw), "yes",
                   fill("{B} texted {A} about the move, so {B} expects {A} to know.", **kw),
                   fill("{B} thinks {A} still believes it is {in1} {loc1}.", **kw)))
    qs.append(("factual", fill("Where is the {obj} now?", **kw), None,
               fill("{In2} {loc2}. {B} moved it there.", **kw), fill("{In1} {loc1}.", **kw)))
    qs.append(("factual", fill("Who moved the {obj}?", **kw), None,
               fill("{B} moved it to {loc2}.", **kw), fill("{A} moved it.", **kw)))
    return story, qs, kw

def unexpected_contents(rng: random.Random) -> tuple[str, list[tuple], dict]:
    """B fills a container with something other than what it usually holds; A never looked inside (unseen)
    or B showed A (shown): what does A expect inside, what does B think A expects; what is in it now."""
    A, B = people(rng, 2)
    cont, usual, now = rng.choice(CONTAINERS)
    kw = dict(A=A["name"], B=B["name"], a_sub=A["sub"], a_pos=A["pos"], b_sub=B["sub"], b_pos=B["pos"],
              c=cont, usual=usual, now=now)
    variant = rng.choice(["unseen", "shown"])
    s1 = fill("{B} emptied the {c} and filled it with {now}.", **kw)
    if variant == "unseen":
        s2 = fill("{A} was not home at the time and has never looked inside it. "
                      "Today {A} picks up the closed {c} from the table.", **kw)
    else:
        s2 = fill("{B} opened it and showed {A} what was inside. "
                      "Later {A} picks up the closed {c} from the table.", **kw)
    story = s1 + " " + s2
    qs = []
    if variant == "unseen":
        qs.append(("false_belief", fill("Does {A} think the {c} holds {now}?", **kw), "no",
                   fill("{A} has never looked inside, so {a_sub} expects {usual} in it.", **kw),
                   fill("{A} knows {B} filled it with {now}.", **kw)))
        qs.append(("false_belief", fill("What does {A} expect to find in the {c}?", **kw), None,
                   fill("{usual_c}, because a {c} usually holds {usual} and {a_sub} never looked inside.",
                       usual_c=usual[0].upper() + usual[1:], **kw),
                   fill("{now_c}.", now_c=now[0].upper() + now[1:])))
        qs.append(("second_order", fill("Does {B} think that {A} expects {usual} in the {c}?", **kw), "yes",
                   fill("{B} knows {A} never looked inside, so {B} expects {A} to think it holds {usual}.", **kw),
                   fill("{B} thinks {A} knows about the {now}.", **kw)))
    else:
        qs.append(("true_belief", fill("Does {A} think the {c} holds {now}?", **kw), "yes",
                   fill("{B} showed {A} the {now} inside, so {a_sub} knows.", **kw),
                   fill("A {c} holds {usual}, so {A} expects {usual}.", **kw)))
        qs.append(("true_belief", fill("Does {A} expect to find {usual} in the {c}?", **kw), "no",
                   fill("{A} saw that {B} filled it with {now}.", **kw),
                   fill("A {c} usually holds {usual}.", **kw)))
        qs.append(("second_order", fill("Does {B} think that {A} knows what is in the {c}?", **kw), "yes",
                   fill("{B} showed {A} the contents, so {B} knows that {A} knows.", **kw),
                   fill("{B} thinks {A} expects {usual}.", **kw)))
    qs.append(("factual", fill("What is in the {c} now?", **kw), None,
               fill("{now_c}. {B} filled it with {now}.", now_c=now[0].upper() + now[1:], **kw),
               fill("{usual_c}.", usual_c=usual[0].upper() + usual[1:])))
    return story, qs, kw

def changed_state(rng: random.Random) -> tuple[str, list[tuple], dict]:
    """Something changes state while A is away; nobody tells A (unseen) or B phones A (called): does A
    know the new state, does B think A knows."""
    A, B = people(rng, 2)
    thing, before, after, how = rng.choice(STATES)
    kw = dict(A=A["name"], B=B["name"], a_sub=A["sub"], a_pos=A["pos"], thing=thing, before=before,
              after=after, away=rng.choice(AWAY_STATE))
    how = fill(how, **kw)
    variant = rng.choice(["unseen", "called"])
    s1 = fill("{A} {away} and left the {thing} {before}.", **kw)
    s2 = fill("Later that day, {how}.", how=how)
    story = f"{s1} {s2}"
    if variant == "called":
        story += fill(" {B} phoned {A} to tell {a_obj} about it.", a_obj="her" if A["sub"] == "she" else "him", **kw)
    qs = []
    if variant == "unseen":
        qs.append(("false_belief", fill("Does {A} know that the {thing} is {after} now?", **kw), "no",
                   fill("{A} was away when it changed, so {a_sub} thinks it is still {before}.", **kw),
                   fill("{A} knows what happened while {a_sub} was away.", **kw)))
        qs.append(("false_belief", fill("Does {A} believe the {thing} is still {before}?", **kw), "yes",
                   fill("{A} was away and nobody told {a_obj}, so {a_sub} still thinks it is {before}.",
                       a_obj="her" if A["sub"] == "she" else "him", **kw),
                   fill("{A} knows the {thing} is {after} now.", **kw)))
    else:
        qs.append(("true_belief", fill("Does {A} believe the {thing} is still {before}?", **kw), "no",
                   fill("{B} phoned {A} about the change, so {a_sub} knows it is {after}.", **kw),
                   fill("{A} was away, so {a_sub} thinks it is still {before}.", **kw)))
        qs.append(("second_order", fill("Does {B} think that {A} knows the {thing} is {after}?", **kw), "yes",
                   fill("{B} told {A} on the phone, so {B} expects {A} to know.", **kw),
                   fill("{B} thinks {A} has not heard about it.", **kw)))
    qs.append(("factual", fill("Is the {thing} {before} now?", **kw), "no",
               fill("Later that day, {how}, so it is {after}.", how=how, **kw),
               fill("It is still {before}.", **kw)))
    qs.append(("factual", fill("Is the {thing} {after} now?", **kw), "yes",
               fill("Later that day, {how}.", how=how), fill("It is still {before}.", **kw)))
    return story, qs, kw

def changed_plan(rng: random.Random) -> tuple[str, list[tuple], dict]:
    """B moves a meeting and asks C to tell A; C forgets (forgot) or calls A (passed_on): where does A
    think the meeting is, does B think A knows."""
    A, B, C = people(rng, 3)
    p1, p2 = rng.sample(MEETING_PLACES, 2)
    kw = dict(A=A["name"], B=B["name"], C=C["name"], a_sub=A["sub"], a_pos=A["pos"], b_sub=B["sub"],
              p1=p1, p2=p2, time=rng.choice(TIMES))
    variant = rng.choice(["forgot", "passed_on"])
    s1 = fill("{A} and {B} agreed to meet {time} at {p1}.", **kw)
    s2 = fill("That morning {B} had to change the plan to {p2} and asked {C} to tell {A}.", **kw)
    s3 = fill("{C} forgot to pass the message on." if variant == "forgot"
                  else "{C} called {A} right away with the news.", **kw)
    story = " ".join([s1, s2, s3])
    qs = []
    if variant == "forgot":
        qs.append(("false_belief", fill("Where does {A} think the meeting is?", **kw), None,
                   fill("At {p1}. {C} forgot to tell {a_obj} about the change.",
                       a_obj="her" if A["sub"] == "she" else "him", **kw),
                   fill("At {p2}.", **kw)))
        qs.append(("false_belief", fill("Will {A} go to {p2}?", **kw), "no",
                   fill("{A} never heard about the change, so {a_sub} will go to {p1}.", **kw),
                   fill("{A} knows the meeting moved to {p2}.", **kw)))
        qs.append(("second_order", fill("Does {B} think that {A} knows about the new place?", **kw), "yes",
                   fill("{B} asked {C} to tell {A} and does not know that {C} forgot.", **kw),
                   fill("{B} knows the message never reached {A}.", **kw)))
    else:
        qs.append(("true_belief", fill("Where does {A} think the meeting is?", **kw), None,
                   fill("At {p2}, because {C} called {a_obj} with the news.",
                       a_obj="her" if A["sub"] == "she" else "him", **kw),
                   fill("At {p1}, the place they first agreed on.", **kw)))
        qs.append(("second_order", fill("Does {B} think that {A} knows about the new place?", **kw), "yes",
                   fill("{B} asked {C} to pass the message on, so {B} expects {A} to know.", **kw),
                   fill("{B} has no reason to think {A} heard about it.", **kw)))
    qs.append(("factual", fill("Is the meeting still at {p1}?", **kw), "no",
               fill("{B} changed the plan to {p2}.", **kw), fill("Nothing changed.", **kw)))
    qs.append(("factual", fill("Where will the meeting take place?", **kw), None,
               fill("At {p2}. {B} changed the plan.", **kw), fill("At {p1}.", **kw)))
    return story, qs, kw

def misinformation(rng: random.Random) -> tuple[str, list[tuple], dict]:
    """B wrongly tells A that a shop is closed; A believes it (trusted) or checks (checked): does A think
    it is open, does B think A believes it closed."""
    A, B = people(rng, 2)
    shop = rng.choice(SHOPS)
    kw = dict(A=A["name"], B=B["name"], a_sub=A["sub"], a_pos=A["pos"], b_sub=B["sub"], shop=shop)
    variant = rng.choice(["trusted", "checked"])
    s1 = fill("{B} told {A} that the {shop} was closed today.", **kw)
    s2 = fill("In fact, the {shop} was open as usual.", **kw)
    s3 = (fill("{A} believed {B} and stayed home.", **kw) if variant == "trusted"
          else fill("{A} checked the website and saw the opening hours for today.", **kw))
    story = " ".join([s1, s2, s3])
    qs = []
    if variant == "trusted":
        qs.append(("false_belief", fill("Does {A} think the {shop} is open today?", **kw), "no",
                   fill("{A} believed {B}, who said it was closed.", **kw),
                   fill("{A} knows it is open as usual.", **kw)))
        qs.append(("second_order", fill("Does {B} think that {A} believes the {shop} is closed?", **kw), "yes",
                   fill("{B} told {A} it was closed, so {B} expects {A} to believe that.", **kw),
                   fill("{B} thinks {A} knows it is open.", **kw)))
    else:
        qs.append(("true_belief", fill("Does {A} think the {shop} is open today?", **kw), "yes",
                   fill("{A} checked the website and saw it is open.", **kw),
                   fill("{B} said it was closed, so {A} thinks it is closed.", **kw)))
    qs.append(("factual", fill("Is the {shop} closed today?", **kw), "no",
               fill("It was open as usual; {B} was wrong.", **kw), fill("{B} said it was closed.", **kw)))
    qs.append(("factual", fill("Is the {shop} open today?", **kw), "yes",
               fill("The story says it was open as usual.", **kw),
               fill("{B} said it was closed.", **kw)))
    return story, qs, kw

def hidden_gift(rng: random.Random) -> tuple[str, list[tuple], dict]:
    """A hides a gift for B; B peeks unnoticed (peeked) or is asleep (asleep): does B know where it is,
    does A think B knows."""
    A, B = people(rng, 2)
    gift, spot = rng.choice(GIFTS), rng.choice(HIDING)
    kw = dict(A=A["name"], B=B["name"], a_sub=A["sub"], b_sub=B["sub"], gift=gift, spot=spot)
    variant = rng.choice(["peeked", "asleep"])
    s1 = fill("{A} bought {gift} for {B} and hid it {spot}.", **kw)
    s2 = (fill("{B} was peeking from the doorway the whole time, but {A} did not notice.", **kw)
          if variant == "peeked" else fill("{B} was asleep in the other room at the time.", **kw))
    story = f"{s1} {s2}"
    qs = []
    if variant == "peeked":
        qs.append(("true_belief", fill("Does {B} know where the gift is hidden?", **kw), "yes",
                   fill("{B} watched {A} hide it {spot}.", **kw),
                   fill("{B} was not there when {A} hid it.", **kw)))
        qs.append(("second_order", fill("Does {A} think that {B} knows where the gift is?", **kw), "no",
                   fill("{A} did not notice {B} peeking, so {A} thinks the hiding place is a secret.", **kw),
                   fill("{A} saw {B} watching from the doorway.", **kw)))
    else:
        qs.append(("false_belief", fill("Does {B} know where the gift is hidden?", **kw), "no",
                   fill("{B} was asleep when {A} hid it.", **kw),
                   fill("{B} saw {A} hide it {spot}.", **kw)))
    qs.append(("factual", fill("Where is the gift hidden?", **kw), None,
               fill("{spot_c}. {A} hid it there.", spot_c=spot[0].upper() + spot[1:], **kw),
               fill("In {B}'s room.", **kw)))
    return story, qs, kw



#: family name -> story function, in the order :func:`.dataset.generate` takes them in turn.
FAMILIES = {"moved_object": moved_object, "unexpected_contents": unexpected_contents, "changed_state": changed_state,
            "changed_plan": changed_plan, "misinformation": misinformation, "hidden_gift": hidden_gift}
