"""The belief-question ablation set (the default dataset before issue 7), generated on request only.

Short stories of six families (moved object, unexpected contents, changed state, changed plan, misinformation,
hidden gift), each with a variant where a character misses the change and one where they see or are told of it.
Questions of four kinds: ``false_belief``, ``true_belief``, ``second_order`` and ``factual``. ``chosen`` is a short
grounded answer; ``rejected`` is one of the failure behaviours the original report names: ``wrong_conclusion``,
``evasion``, ``multiple_answers``, ``rambling``, ``example_repetition``.

This is training on the task the ToM evaluation asks (scenarios 3 and 13 are belief questions about a moved
object), and its rejected answers differ from the chosen ones in style: a context-free classifier separates them
(``scripts/check_separability.py``). It stays only as an ablation; the default dataset is :mod:`.generator`'s.

    python scripts/make_preference_data.py --kind belief --out data/belief_qa_pairs
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from ..errors import ToMLabError
from ..io import atomic_write_text
from . import leakage
from .generator import jsonl

KINDS = ("false_belief", "true_belief", "second_order", "factual")
REJECTED_TYPES = ("wrong_conclusion", "evasion", "multiple_answers", "rambling", "example_repetition")

# Names and pronouns; none occurs in the test scenarios or the chain-of-thought examples.
PEOPLE = [
    ("Maya", "she", "her"), ("Omar", "he", "his"), ("Priya", "she", "her"), ("Diego", "he", "his"),
    ("Hana", "she", "her"), ("Kofi", "he", "his"), ("Elena", "she", "her"), ("Marcus", "he", "his"),
    ("Nina", "she", "her"), ("Ravi", "he", "his"), ("Sofia", "she", "her"), ("Theo", "he", "his"),
    ("Yuki", "she", "her"), ("Bruno", "he", "his"), ("Clara", "she", "her"), ("Felix", "he", "his"),
    ("Grace", "she", "her"), ("Hugo", "he", "his"), ("Iris", "she", "her"), ("Jonas", "he", "his"),
    ("Kira", "she", "her"), ("Leo", "he", "his"), ("Mila", "she", "her"), ("Noah", "he", "his"),
    ("Olga", "she", "her"), ("Pedro", "he", "his"), ("Rosa", "she", "her"), ("Samir", "he", "his"),
    ("Tara", "she", "her"), ("Victor", "he", "his"), ("Wendy", "she", "her"), ("Yusuf", "he", "his"),
    ("Zoe", "she", "her"), ("Aiko", "she", "her"), ("Dev", "he", "his"), ("Farah", "she", "her"),
    ("Hector", "he", "his"), ("Ines", "she", "her"), ("Jamal", "he", "his"), ("Keiko", "she", "her"),
    ("Luis", "he", "his"), ("Marta", "she", "her"), ("Nadia", "she", "her"), ("Oscar", "he", "his"),
    ("Paula", "she", "her"), ("Rhea", "she", "her"), ("Stefan", "he", "his"), ("Tess", "she", "her"),
    ("Vera", "she", "her"), ("Wes", "he", "his"), ("Zara", "she", "her"), ("Emil", "he", "his"),
]
OBJECTS = ["keys", "notebook", "phone charger", "scarf", "umbrella", "passport", "tennis racket", "toy robot",
           "reading glasses", "wallet", "camera", "headphones", "library book", "water bottle", "sketchbook",
           "garden gloves", "flashlight", "recipe card", "memory stick", "hairbrush", "board game", "yo-yo",
           "paint set", "harmonica", "swim goggles", "bike pump", "calculator", "puzzle box"]
# (preposition, place)
PLACES = [("in", "the green box"), ("in", "the wooden chest"), ("on", "the top shelf"), ("in", "the desk drawer"),
          ("in", "the hall closet"), ("in", "the blue backpack"), ("in", "the basket by the door"),
          ("in", "the cabinet under the stairs"), ("in", "the box under the bed"), ("on", "the shelf in the garage"),
          ("in", "the toy bin"), ("in", "the laundry basket"), ("in", "the glove box of the car"),
          ("in", "the drawer of the nightstand"), ("in", "the tin on the windowsill"),
          ("in", "the bag behind the sofa"),
          ("on", "the kitchen counter"), ("on", "the piano")]
AWAY = ["went to the bakery", "left for a piano lesson", "went for a run", "walked to the post office",
        "took the dog to the park", "drove to a meeting across town", "went upstairs to take a nap",
        "left for football practice", "went to the dentist", "went to visit a friend", "went to the market",
        "left to catch the bus"]
RETURN = ["An hour later, {A} came back to get {a_pos} {obj}.", "When {A} returned, {a_sub} wanted {a_pos} {obj}.",
          "In the evening, {A} came home and needed the {obj}.", "After a while, {A} returned for the {obj}."]
MOVE_REASON = ["to make room", "while tidying up", "because it was in the way", "to keep it safe",
               "while looking for something else", ""]
# (container, what it usually holds, what is in it now)
CONTAINERS = [("cookie tin", "cookies", "sewing supplies"), ("cereal box", "cereal", "crayons"),
              ("egg carton", "eggs", "golf balls"), ("pencil case", "pencils", "candy"),
              ("jam jar", "jam", "buttons"), ("shoe box", "shoes", "old letters"), ("tea caddy", "tea", "coins"),
              ("guitar case", "a guitar", "blankets"), ("vitamin bottle", "vitamins", "beads"),
              ("lunch box", "sandwiches", "toy cars"), ("crayon box", "crayons", "birthday candles"),
              ("sugar bowl", "sugar", "salt"), ("coffee can", "coffee", "nails"),
              ("violin case", "a violin", "comic books")]
# (thing, state before, state after, how it changed)
STATES = [("kitchen window", "open", "closed", "{B} closed it when the rain started"),
          ("porch light", "on", "off", "{B} switched it off to save power"),
          ("garden hose", "running", "turned off", "{B} turned it off when the lawn was wet"),
          ("front gate", "unlocked", "locked", "{B} locked it before going to bed"),
          ("radio in the workshop", "playing", "silent", "a power cut stopped it"),
          ("bathtub tap", "dripping", "fixed", "a plumber fixed it that afternoon"),
          ("bakery oven", "cold", "hot", "{B} turned it on to bake rolls"),
          ("living room heater", "off", "on", "{B} switched it on because the room was chilly"),
          ("aquarium pump", "working", "broken", "the motor burned out"),
          ("shop sign", "reading OPEN", "reading CLOSED", "{B} flipped it at lunchtime")]
AWAY_STATE = ["left for a weekend trip", "went to work early", "spent the day at the library",
              "went to a concert downtown", "flew to a conference", "went hiking in the hills"]
MEETING_PLACES = ["the café by the river", "the bus station", "the museum entrance", "the corner bookstore",
                  "the city library", "the skating rink", "the pizza place on Elm Street", "the train platform",
                  "the park fountain", "the school gym"]
TIMES = ["at noon", "at three o'clock", "at six in the evening", "at ten in the morning", "after lunch"]
SHOPS = ["hardware store", "swimming pool", "bike repair shop", "flower market", "public library",
         "ice rink", "toy shop", "bookshop", "farmers' market", "pharmacy"]
GIFTS = ["a kite", "a new sketchbook", "a board game", "a pair of skates", "a telescope", "a set of paints",
         "a model train", "a wool hat", "a chess set", "a music box"]
HIDING = ["behind the curtains", "under the guest bed", "inside the piano bench", "on top of the wardrobe",
          "in the trunk of the car", "behind the coats in the closet", "under the stairs", "in the attic"]
EVASIONS = ["It is impossible to know what {A} thinks.", "The story does not say, so this cannot be determined.",
            "I cannot answer this question without more information.", "There is not enough information to answer.",
            "That depends on many things the story does not tell us.", "Nobody can know that for sure.",
            "This question cannot be answered from the context.", "It is hard to say. It could go either way."]
RAMBLE_OPENERS = ["{A} has lived in this town for many years and likes quiet mornings.",
                  "This reminds me of a story about a lighthouse keeper who collected old maps.",
                  "Many people keep their things in different places, which can be confusing.",
                  "{A} once read a book about memory and how people forget small details.",
                  "Let me think about the weather on that day, which was probably mild.",
                  "{A} and {B} have known each other since school."]



class Gen:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def people(self, n):
        chosen = self.rng.sample(PEOPLE, n)
        return [dict(name=p[0], sub=p[1], pos=p[2]) for p in chosen]

    def fmt(self, text: str, **kw) -> str:
        text = text.format(**kw)
        return re.sub(r"\s+([.,])", r"\1", text).replace("  ", " ")

    # Each family returns a story and a list of (kind, question, yes_no or None, answer, wrong answer,
    # claim if yes, claim if no). Answers are short and grounded in the story.
    def moved_object(self):
        A, B = self.people(2)
        obj = self.rng.choice(OBJECTS)
        (p1, loc1), (p2, loc2) = self.rng.sample(PLACES, 2)
        kw = dict(A=A["name"], B=B["name"], a_sub=A["sub"], a_pos=A["pos"], b_sub=B["sub"], obj=obj, loc1=loc1,
                  loc2=loc2, in1=p1, in2=p2, In1=p1.capitalize(), In2=p2.capitalize(), away=self.rng.choice(AWAY),
                  reason=self.rng.choice(MOVE_REASON))
        s1 = self.fmt("{A} put {a_pos} {obj} {in1} {loc1} and {away}.", **kw)
        variant = self.rng.choice(["unseen", "seen", "told", "secret_watch"])
        if variant == "unseen":
            s2 = self.fmt("While {A} was away, {B} moved the {obj} to {loc2} {reason}.", **kw)
        elif variant == "seen":
            s1 = self.fmt("{A} put {a_pos} {obj} {in1} {loc1}.", **kw)
            s2 = self.fmt("Right in front of {A}, {B} moved the {obj} to {loc2} {reason}. Then {A} {away}.", **kw)
        elif variant == "told":
            s2 = self.fmt("While {A} was away, {B} moved the {obj} to {loc2} {reason} and texted {A} about it.", **kw)
        else:
            s1 = self.fmt("{A} put {a_pos} {obj} {in1} {loc1}.", **kw)
            s2 = self.fmt("When {A} had left the room, {B} moved the {obj} to {loc2} {reason}. "
                          "{A} secretly watched this through the window, and {B} never noticed.", **kw)
        story = " ".join([s1, s2, self.fmt(self.rng.choice(RETURN), **kw)])
        knows = variant != "unseen"
        qs = []
        if knows:
            kind = "true_belief"
            how = {"seen": "{A} saw {B} move it", "told": "{B} told {A} about the move",
                   "secret_watch": "{A} watched {B} move it"}[variant]
            qs.append((kind, self.fmt("Does {A} expect to find the {obj} {in2} {loc2}?", **kw), "yes",
                       self.fmt(how + ", so {a_sub} knows it is {in2} {loc2}.", **kw),
                       self.fmt("{A} does not know it was moved, so {a_sub} expects it {in1} {loc1}.", **kw)))
            qs.append((kind, self.fmt("Does {A} think the {obj} is still {in1} {loc1}?", **kw), "no",
                       self.fmt(how + ", so {a_sub} knows it is {in2} {loc2} now.", **kw),
                       self.fmt("{A} never learned about the move.", **kw)))
            qs.append((kind, self.fmt("Where will {A} look for the {obj} first?", **kw), None,
                       self.fmt("{In2} {loc2}, because " + how + ".", **kw),
                       self.fmt("{In1} {loc1}, where {a_sub} left it.", **kw)))
        else:
            kind = "false_belief"
            qs.append((kind, self.fmt("Does {A} expect to find the {obj} {in1} {loc1}?", **kw), "yes",
                       self.fmt("{A} was away when {B} moved it, so {a_sub} still thinks it is {in1} {loc1}.", **kw),
                       self.fmt("{A} knows that {B} moved the {obj} to {loc2}.", **kw)))
            qs.append((kind, self.fmt("Does {A} think the {obj} is {in2} {loc2}?", **kw), "no",
                       self.fmt("{A} did not see {B} move it, so {a_sub} thinks it is still {in1} {loc1}.", **kw),
                       self.fmt("{A} knows the {obj} was moved to {loc2}.", **kw)))
            qs.append((kind, self.fmt("Where will {A} look for the {obj} first?", **kw), None,
                       self.fmt("{In1} {loc1}, because {a_sub} did not see {B} move it.", **kw),
                       self.fmt("{In2} {loc2}, where {B} put it.", **kw)))
        if variant == "secret_watch":
            qs.append(("second_order", self.fmt("Does {B} think that {A} knows the {obj} was moved?", **kw), "no",
                       self.fmt("{B} never noticed {A} watching, so {B} thinks {A} does not know.", **kw),
                       self.fmt("{B} saw {A} at the window and knows {A} watched.", **kw)))
        elif variant == "unseen":
            qs.append(("second_order", self.fmt("Does {B} think that {A} knows where the {obj} is now?", **kw), "no",
                       self.fmt("{B} moved it while {A} was away, so {B} knows {A} did not see the move.", **kw),
                       self.fmt("{B} believes {A} saw the {obj} being moved.", **kw)))
        elif variant == "told":
            qs.append(("second_order", self.fmt("Does {B} think that {A} knows where the {obj} is now?", **kw), "yes",
                       self.fmt("{B} texted {A} about the move, so {B} expects {A} to know.", **kw),
                       self.fmt("{B} thinks {A} still believes it is {in1} {loc1}.", **kw)))
        qs.append(("factual", self.fmt("Where is the {obj} now?", **kw), None,
                   self.fmt("{In2} {loc2}. {B} moved it there.", **kw), self.fmt("{In1} {loc1}.", **kw)))
        qs.append(("factual", self.fmt("Who moved the {obj}?", **kw), None,
                   self.fmt("{B} moved it to {loc2}.", **kw), self.fmt("{A} moved it.", **kw)))
        return story, qs, kw

    def unexpected_contents(self):
        A, B = self.people(2)
        cont, usual, now = self.rng.choice(CONTAINERS)
        kw = dict(A=A["name"], B=B["name"], a_sub=A["sub"], a_pos=A["pos"], b_sub=B["sub"], b_pos=B["pos"],
                  c=cont, usual=usual, now=now)
        variant = self.rng.choice(["unseen", "shown"])
        s1 = self.fmt("{B} emptied the {c} and filled it with {now}.", **kw)
        if variant == "unseen":
            s2 = self.fmt("{A} was not home at the time and has never looked inside it. "
                          "Today {A} picks up the closed {c} from the table.", **kw)
        else:
            s2 = self.fmt("{B} opened it and showed {A} what was inside. "
                          "Later {A} picks up the closed {c} from the table.", **kw)
        story = s1 + " " + s2
        qs = []
        if variant == "unseen":
            qs.append(("false_belief", self.fmt("Does {A} think the {c} holds {now}?", **kw), "no",
                       self.fmt("{A} has never looked inside, so {a_sub} expects {usual} in it.", **kw),
                       self.fmt("{A} knows {B} filled it with {now}.", **kw)))
            qs.append(("false_belief", self.fmt("What does {A} expect to find in the {c}?", **kw), None,
                       self.fmt("{usual_c}, because a {c} usually holds {usual} and {a_sub} never looked inside.",
                                usual_c=usual[0].upper() + usual[1:], **kw),
                       self.fmt("{now_c}.", now_c=now[0].upper() + now[1:])))
            qs.append(("second_order", self.fmt("Does {B} think that {A} expects {usual} in the {c}?", **kw), "yes",
                       self.fmt("{B} knows {A} never looked inside, so {B} expects {A} to think it holds {usual}.",
                                **kw),
                       self.fmt("{B} thinks {A} knows about the {now}.", **kw)))
        else:
            qs.append(("true_belief", self.fmt("Does {A} think the {c} holds {now}?", **kw), "yes",
                       self.fmt("{B} showed {A} the {now} inside, so {a_sub} knows.", **kw),
                       self.fmt("A {c} holds {usual}, so {A} expects {usual}.", **kw)))
            qs.append(("true_belief", self.fmt("Does {A} expect to find {usual} in the {c}?", **kw), "no",
                       self.fmt("{A} saw that {B} filled it with {now}.", **kw),
                       self.fmt("A {c} usually holds {usual}.", **kw)))
            qs.append(("second_order", self.fmt("Does {B} think that {A} knows what is in the {c}?", **kw), "yes",
                       self.fmt("{B} showed {A} the contents, so {B} knows that {A} knows.", **kw),
                       self.fmt("{B} thinks {A} expects {usual}.", **kw)))
        qs.append(("factual", self.fmt("What is in the {c} now?", **kw), None,
                   self.fmt("{now_c}. {B} filled it with {now}.", now_c=now[0].upper() + now[1:], **kw),
                   self.fmt("{usual_c}.", usual_c=usual[0].upper() + usual[1:])))
        return story, qs, kw

    def changed_state(self):
        A, B = self.people(2)
        thing, before, after, how = self.rng.choice(STATES)
        kw = dict(A=A["name"], B=B["name"], a_sub=A["sub"], a_pos=A["pos"], thing=thing, before=before,
                  after=after, away=self.rng.choice(AWAY_STATE))
        how = self.fmt(how, **kw)
        variant = self.rng.choice(["unseen", "called"])
        s1 = self.fmt("{A} {away} and left the {thing} {before}.", **kw)
        s2 = self.fmt("Later that day, {how}.", how=how)
        story = f"{s1} {s2}"
        if variant == "called":
            story += self.fmt(" {B} phoned {A} to tell {a_obj} about it.", a_obj="her" if A["sub"] == "she" else "him",
                              **kw)
        qs = []
        if variant == "unseen":
            qs.append(("false_belief", self.fmt("Does {A} know that the {thing} is {after} now?", **kw), "no",
                       self.fmt("{A} was away when it changed, so {a_sub} thinks it is still {before}.", **kw),
                       self.fmt("{A} knows what happened while {a_sub} was away.", **kw)))
            qs.append(("false_belief", self.fmt("Does {A} believe the {thing} is still {before}?", **kw), "yes",
                       self.fmt("{A} was away and nobody told {a_obj}, so {a_sub} still thinks it is {before}.",
                                a_obj="her" if A["sub"] == "she" else "him", **kw),
                       self.fmt("{A} knows the {thing} is {after} now.", **kw)))
        else:
            qs.append(("true_belief", self.fmt("Does {A} believe the {thing} is still {before}?", **kw), "no",
                       self.fmt("{B} phoned {A} about the change, so {a_sub} knows it is {after}.", **kw),
                       self.fmt("{A} was away, so {a_sub} thinks it is still {before}.", **kw)))
            qs.append(("second_order", self.fmt("Does {B} think that {A} knows the {thing} is {after}?", **kw), "yes",
                       self.fmt("{B} told {A} on the phone, so {B} expects {A} to know.", **kw),
                       self.fmt("{B} thinks {A} has not heard about it.", **kw)))
        qs.append(("factual", self.fmt("Is the {thing} {before} now?", **kw), "no",
                   self.fmt("Later that day, {how}, so it is {after}.", how=how, **kw),
                   self.fmt("It is still {before}.", **kw)))
        qs.append(("factual", self.fmt("Is the {thing} {after} now?", **kw), "yes",
                   self.fmt("Later that day, {how}.", how=how), self.fmt("It is still {before}.", **kw)))
        return story, qs, kw

    def changed_plan(self):
        A, B, C = self.people(3)
        p1, p2 = self.rng.sample(MEETING_PLACES, 2)
        kw = dict(A=A["name"], B=B["name"], C=C["name"], a_sub=A["sub"], a_pos=A["pos"], b_sub=B["sub"],
                  p1=p1, p2=p2, time=self.rng.choice(TIMES))
        variant = self.rng.choice(["forgot", "passed_on"])
        s1 = self.fmt("{A} and {B} agreed to meet {time} at {p1}.", **kw)
        s2 = self.fmt("That morning {B} had to change the plan to {p2} and asked {C} to tell {A}.", **kw)
        s3 = self.fmt("{C} forgot to pass the message on." if variant == "forgot"
                      else "{C} called {A} right away with the news.", **kw)
        story = " ".join([s1, s2, s3])
        qs = []
        if variant == "forgot":
            qs.append(("false_belief", self.fmt("Where does {A} think the meeting is?", **kw), None,
                       self.fmt("At {p1}. {C} forgot to tell {a_obj} about the change.",
                                a_obj="her" if A["sub"] == "she" else "him", **kw),
                       self.fmt("At {p2}.", **kw)))
            qs.append(("false_belief", self.fmt("Will {A} go to {p2}?", **kw), "no",
                       self.fmt("{A} never heard about the change, so {a_sub} will go to {p1}.", **kw),
                       self.fmt("{A} knows the meeting moved to {p2}.", **kw)))
            qs.append(("second_order", self.fmt("Does {B} think that {A} knows about the new place?", **kw), "yes",
                       self.fmt("{B} asked {C} to tell {A} and does not know that {C} forgot.", **kw),
                       self.fmt("{B} knows the message never reached {A}.", **kw)))
        else:
            qs.append(("true_belief", self.fmt("Where does {A} think the meeting is?", **kw), None,
                       self.fmt("At {p2}, because {C} called {a_obj} with the news.",
                                a_obj="her" if A["sub"] == "she" else "him", **kw),
                       self.fmt("At {p1}, the place they first agreed on.", **kw)))
            qs.append(("second_order", self.fmt("Does {B} think that {A} knows about the new place?", **kw), "yes",
                       self.fmt("{B} asked {C} to pass the message on, so {B} expects {A} to know.", **kw),
                       self.fmt("{B} has no reason to think {A} heard about it.", **kw)))
        qs.append(("factual", self.fmt("Is the meeting still at {p1}?", **kw), "no",
                   self.fmt("{B} changed the plan to {p2}.", **kw), self.fmt("Nothing changed.", **kw)))
        qs.append(("factual", self.fmt("Where will the meeting take place?", **kw), None,
                   self.fmt("At {p2}. {B} changed the plan.", **kw), self.fmt("At {p1}.", **kw)))
        return story, qs, kw

    def misinformation(self):
        A, B = self.people(2)
        shop = self.rng.choice(SHOPS)
        kw = dict(A=A["name"], B=B["name"], a_sub=A["sub"], a_pos=A["pos"], b_sub=B["sub"], shop=shop)
        variant = self.rng.choice(["trusted", "checked"])
        s1 = self.fmt("{B} told {A} that the {shop} was closed today.", **kw)
        s2 = self.fmt("In fact, the {shop} was open as usual.", **kw)
        s3 = (self.fmt("{A} believed {B} and stayed home.", **kw) if variant == "trusted"
              else self.fmt("{A} checked the website and saw the opening hours for today.", **kw))
        story = " ".join([s1, s2, s3])
        qs = []
        if variant == "trusted":
            qs.append(("false_belief", self.fmt("Does {A} think the {shop} is open today?", **kw), "no",
                       self.fmt("{A} believed {B}, who said it was closed.", **kw),
                       self.fmt("{A} knows it is open as usual.", **kw)))
            qs.append(("second_order", self.fmt("Does {B} think that {A} believes the {shop} is closed?", **kw), "yes",
                       self.fmt("{B} told {A} it was closed, so {B} expects {A} to believe that.", **kw),
                       self.fmt("{B} thinks {A} knows it is open.", **kw)))
        else:
            qs.append(("true_belief", self.fmt("Does {A} think the {shop} is open today?", **kw), "yes",
                       self.fmt("{A} checked the website and saw it is open.", **kw),
                       self.fmt("{B} said it was closed, so {A} thinks it is closed.", **kw)))
        qs.append(("factual", self.fmt("Is the {shop} closed today?", **kw), "no",
                   self.fmt("It was open as usual; {B} was wrong.", **kw), self.fmt("{B} said it was closed.", **kw)))
        qs.append(("factual", self.fmt("Is the {shop} open today?", **kw), "yes",
                   self.fmt("The story says it was open as usual.", **kw),
                   self.fmt("{B} said it was closed.", **kw)))
        return story, qs, kw

    def hidden_gift(self):
        A, B = self.people(2)
        gift, spot = self.rng.choice(GIFTS), self.rng.choice(HIDING)
        kw = dict(A=A["name"], B=B["name"], a_sub=A["sub"], b_sub=B["sub"], gift=gift, spot=spot)
        variant = self.rng.choice(["peeked", "asleep"])
        s1 = self.fmt("{A} bought {gift} for {B} and hid it {spot}.", **kw)
        s2 = (self.fmt("{B} was peeking from the doorway the whole time, but {A} did not notice.", **kw)
              if variant == "peeked" else self.fmt("{B} was asleep in the other room at the time.", **kw))
        story = f"{s1} {s2}"
        qs = []
        if variant == "peeked":
            qs.append(("true_belief", self.fmt("Does {B} know where the gift is hidden?", **kw), "yes",
                       self.fmt("{B} watched {A} hide it {spot}.", **kw),
                       self.fmt("{B} was not there when {A} hid it.", **kw)))
            qs.append(("second_order", self.fmt("Does {A} think that {B} knows where the gift is?", **kw), "no",
                       self.fmt("{A} did not notice {B} peeking, so {A} thinks the hiding place is a secret.", **kw),
                       self.fmt("{A} saw {B} watching from the doorway.", **kw)))
        else:
            qs.append(("false_belief", self.fmt("Does {B} know where the gift is hidden?", **kw), "no",
                       self.fmt("{B} was asleep when {A} hid it.", **kw),
                       self.fmt("{B} saw {A} hide it {spot}.", **kw)))
        qs.append(("factual", self.fmt("Where is the gift hidden?", **kw), None,
                   self.fmt("{spot_c}. {A} hid it there.", spot_c=spot[0].upper() + spot[1:], **kw),
                   self.fmt("In {B}'s room.", **kw)))
        return story, qs, kw


FAMILIES = ("moved_object", "unexpected_contents", "changed_state", "changed_plan", "misinformation", "hidden_gift")


def _chosen(yes_no, answer):
    if yes_no is None:
        return answer
    return f"{yes_no.capitalize()}. {answer}"


def _rejected(rtype, item, other, rng, gen):
    yes_no, kw = item["yes_no"], item["kw"]
    if rtype == "wrong_conclusion":
        if yes_no is None:
            return item["wrong"]
        return f"{'No' if yes_no == 'yes' else 'Yes'}. {item['wrong']}"
    if rtype == "evasion":
        return gen.fmt(rng.choice(EVASIONS), **kw)
    if rtype == "multiple_answers":
        right, wrong = item["answer"], item["wrong"]
        if yes_no is not None:
            pair = [f"Yes. {right if yes_no == 'yes' else wrong}", f"No. {wrong if yes_no == 'yes' else right}"]
        else:
            pair = [right, wrong]
        rng.shuffle(pair)
        style = rng.randrange(3)
        if style == 0:
            return f"There are two possible answers. 1) {pair[0]} 2) {pair[1]}"
        if style == 1:
            return f"Maybe: {pair[0]} Or maybe: {pair[1]} Both are possible."
        return f"{pair[0]} But also: {pair[1]}"
    if rtype == "rambling":
        if rng.random() < 0.5:  # answers, then runs on into a made-up new scenario (the runner defect)
            return (f"{_chosen(yes_no, item['answer'])}\n\nContext: {other['story']} "
                    f"Question: {other['question']} Answer: {other['chosen']}")
        return gen.fmt(rng.choice(RAMBLE_OPENERS), **{**dict(B="a friend"), **kw}) + " " + other["story"]
    if rtype == "example_repetition":  # answers another story's question
        return other["chosen"]
    raise ValueError(rtype)


def generate(n_train: int, n_eval: int, seed: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    gen = Gen(rng)
    forbidden_sentences, forbidden_names = leakage.forbidden()
    used_names = {p[0] for p in PEOPLE} & forbidden_names
    if used_names:
        raise ToMLabError(f"generator names overlap the test scenarios: {sorted(used_names)}")
    stories, seen = [], set()
    target = n_train + n_eval
    attempts = 0
    while sum(len(s["items"]) for s in stories) < target * 1.35 and attempts < target * 50:
        attempts += 1
        family = FAMILIES[len(stories) % len(FAMILIES)]
        story, qs, kw = getattr(gen, family)()
        if story in seen:
            continue
        factual = [q for q in qs if q[0] == "factual"]
        if len(factual) > 1:  # one plain factual question per story keeps the belief questions the majority
            keep = rng.choice(factual)
            qs = [q for q in qs if q[0] != "factual" or q is keep]
        items = []
        for kind, question, yes_no, answer, wrong in qs:
            item = dict(story=story, question=question, yes_no=yes_no, answer=answer, wrong=wrong, kw=kw,
                        kind=kind, family=family)
            item["chosen"] = _chosen(yes_no, answer)
            texts = [story, question, item["chosen"], answer, wrong]
            if any(s in forbidden_sentences for t in texts for s in leakage.sentences(t)):
                continue  # never share a sentence with the test scenarios or the CoT examples
            items.append(item)
        if items:
            seen.add(story)
            stories.append(dict(story=story, items=items))
    # balance yes and no answers (the report measured a yes-/no-bias): drop random surplus items
    yes_no = [(i, j) for i, s in enumerate(stories) for j, it in enumerate(s["items"]) if it["yes_no"]]
    n_yes = sum(stories[i]["items"][j]["yes_no"] == "yes" for i, j in yes_no)
    surplus_kind = "yes" if n_yes > len(yes_no) - n_yes else "no"
    surplus = [(i, j) for i, j in yes_no if stories[i]["items"][j]["yes_no"] == surplus_kind]
    drop = set(rng.sample(surplus, abs(2 * n_yes - len(yes_no))))
    for i, s in enumerate(stories):
        s["items"] = [it for j, it in enumerate(s["items"]) if (i, j) not in drop]
    stories = [s for s in stories if s["items"]]
    # split by story: every question about one story lands on the same side
    rng.shuffle(stories)
    splits = {"eval": [], "train": []}
    for s in stories:
        side = "eval" if len(splits["eval"]) < n_eval else "train"
        splits[side].extend(s["items"])
    splits["eval"], splits["train"] = splits["eval"][:n_eval], splits["train"][:n_train]
    if len(splits["train"]) < n_train:
        raise ToMLabError(f"only {len(splits['train'])} distinct training pairs could be generated")
    out = {}
    for side, items in splits.items():
        rows = []
        for i, item in enumerate(items):
            rtype = REJECTED_TYPES[i % len(REJECTED_TYPES)]
            other = items[(i + 1 + rng.randrange(len(items) - 1)) % len(items)]
            while other["story"] == item["story"]:
                other = items[rng.randrange(len(items))]
            rejected = _rejected(rtype, item, other, rng, gen)
            rows.append({
                "prompt": f"Context: {item['story']} Question: {item['question']}",
                "chosen": item["chosen"],
                "rejected": rejected,
                "context": item["story"],
                "question": item["question"],
                "kind": item["kind"],
                "family": item["family"],
                "rejected_type": rtype,
            })
        rng.shuffle(rows)
        out[side] = rows
    return out["train"], out["eval"]


CARD = """# belief_qa_pairs: the belief-question ablation set (generated)

Written by `scripts/make_preference_data.py --kind belief --seed {seed} --train {n_train} --eval {n_eval}`; rerun it
to reproduce these files byte for byte. Not the default dataset: see `tomlab/data/belief.py` for why.

* `train.jsonl` ({n_train} rows), `eval.jsonl` ({n_eval} rows): split by story (no story is in both).
* Columns: `prompt` (`Context: <story> Question: <question>`), `chosen` (a short grounded answer), `rejected`
  (a failure behaviour), plus `context`, `question`, `kind`, `family`, `rejected_type` for analysis.
* `kind`: {kinds}.
* `rejected_type`: {rtypes}.
"""
BELIEF_TRAIN, BELIEF_EVAL, BELIEF_SEED = 3000, 300, 1234


def write_dataset(out, n_train: int = BELIEF_TRAIN, n_eval: int = BELIEF_EVAL, seed: int = BELIEF_SEED) -> dict:
    """Generate the belief ablation set into ``out`` (train.jsonl, eval.jsonl, README.md); return the kind counts."""
    if n_train < 10 or n_eval < 10:
        raise ToMLabError("--train and --eval must each be at least 10")
    train, evals = generate(n_train, n_eval, seed)
    out = Path(out)
    atomic_write_text(out / "train.jsonl", jsonl(train))
    atomic_write_text(out / "eval.jsonl", jsonl(evals))
    atomic_write_text(out / "README.md", CARD.format(seed=seed, n_train=n_train, n_eval=n_eval,
                                                     kinds=", ".join(KINDS), rtypes=", ".join(REJECTED_TYPES)))
    return {k: sum(r["kind"] == k for r in train) for k in KINDS}
