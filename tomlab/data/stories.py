"""Story families of the default preference dataset: short stories with questions the story alone decides.

No question asks about a mental state (what a character believes, knows, expects, wants or perceived): they ask
where things are after moves, what happened first or last, who did what, how many, why something happened, and
who won. Each family has several templates (a setting with its own vocabulary and phrasing).

Every question offers its candidate answers as one answer template filled with different keys, all of them named
in the story: ``The teapot is in the fridge now.`` / ``The teapot is on the counter now.``; yes/no questions
answer ``Yes, <sentence>.`` / ``No, <negated sentence>.``. A pair's chosen and rejected answers are two fillings of
the same template, so only the story can tell them apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

#: Answer types: how :mod:`tomlab.data.gold` reads a free answer.
ENTITY, NUMBER, YES_NO = "entity", "number", "yes_no"

# Names and pronouns; none occurs in the test scenarios or the chain-of-thought examples (checked by the generator).
PEOPLE = [
    ("Maya", "she"), ("Omar", "he"), ("Priya", "she"), ("Diego", "he"), ("Hana", "she"), ("Kofi", "he"),
    ("Elena", "she"), ("Marcus", "he"), ("Nina", "she"), ("Ravi", "he"), ("Sofia", "she"), ("Theo", "he"),
    ("Yuki", "she"), ("Bruno", "he"), ("Clara", "she"), ("Felix", "he"), ("Grace", "she"), ("Hugo", "he"),
    ("Iris", "she"), ("Jonas", "he"), ("Kira", "she"), ("Leo", "he"), ("Mila", "she"), ("Noah", "he"),
    ("Olga", "she"), ("Pedro", "he"), ("Rosa", "she"), ("Samir", "he"), ("Tara", "she"), ("Victor", "he"),
    ("Wendy", "she"), ("Yusuf", "he"), ("Zoe", "she"), ("Aiko", "she"), ("Dev", "he"), ("Farah", "she"),
    ("Hector", "he"), ("Ines", "she"), ("Jamal", "he"), ("Keiko", "she"), ("Luis", "he"), ("Marta", "she"),
    ("Nadia", "she"), ("Oscar", "he"), ("Paula", "she"), ("Rhea", "she"), ("Stefan", "he"), ("Tess", "she"),
    ("Vera", "she"), ("Wes", "he"), ("Zara", "she"), ("Emil", "he"),
]


@dataclass(frozen=True)
class Question:
    """One question about a story: its gold answer and one wrong answer, both in the same answer template."""

    kind: str                 # what is asked (where_now, first_place, count_now, why, who_did, winner, ...)
    text: str
    answer_type: str          # ENTITY | NUMBER | YES_NO
    chosen: str               # the answer sentence with the gold key
    rejected: str             # the same sentence with the wrong key
    gold: str                 # the key the story decides
    wrong: str                # another key the story names
    options: tuple[str, ...]  # every key an answer to this question may name (the judge reads these)

    def __post_init__(self):
        assert self.gold != self.wrong and {self.gold, self.wrong} <= set(self.options), self


@dataclass
class Story:
    family: str
    template: str
    text: str
    questions: list[Question] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ helpers
def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def entity(kind: str, text: str, frame: str, gold: str, wrong: str, options, phrase: dict | None = None) -> Question:
    """A question whose answer is one of ``options``; ``frame`` holds ``{x}``, filled with the key's phrase."""
    def say(key):
        return cap(frame.format(x=(phrase or {}).get(key, key)))

    keys = tuple(dict.fromkeys([gold, wrong, *options]))
    return Question(kind, text, ENTITY, say(gold), say(wrong), gold, wrong, keys)


def number(kind: str, text: str, frame: str, gold: int, wrong: int, options=()) -> Question:
    return Question(kind, text, NUMBER, cap(frame.format(x=gold)), cap(frame.format(x=wrong)), str(gold), str(wrong),
                    tuple(dict.fromkeys(str(n) for n in (gold, wrong, *options))))


def yes_no(kind: str, text: str, yes: str, no: str, truth: bool) -> Question:
    said = {"yes": f"Yes, {yes}", "no": f"No, {no}"}
    gold, wrong = ("yes", "no") if truth else ("no", "yes")
    return Question(kind, text, YES_NO, said[gold], said[wrong], gold, wrong, ("yes", "no"))


class Draw:
    """The random choices of one story (a thin wrapper so families read as prose)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def people(self, n: int) -> list[tuple[str, str]]:
        return self.rng.sample(PEOPLE, n)

    def some(self, items, n: int) -> list:
        return self.rng.sample(list(items), n)

    def one(self, items):
        return self.rng.choice(list(items))

    def coin(self, p: float = 0.5) -> bool:
        return self.rng.random() < p


# ------------------------------------------------------------------------------ family: moved objects
# (preposition, place); the place name is the answer key, so no name may contain another.
MOVED_OBJECTS = {
    "kitchen": dict(
        intro=["{A} and {B} were cooking lunch together in a small kitchen.",
               "It was a busy Sunday morning in the kitchen of the flat that {A} shared with {B}.",
               "{A} and {B} spent the afternoon cleaning the kitchen before the guests came."],
        objects=["butter dish", "bread knife", "salad bowl", "jar of honey", "measuring cup", "teapot",
                 "cutting board", "pepper mill", "egg timer", "ladle", "colander", "rolling pin"],
        places=[("in", "fridge"), ("in", "cupboard"), ("on", "counter"), ("on", "windowsill"), ("in", "sink"),
                ("in", "pantry"), ("on", "table"), ("in", "dish rack"), ("on", "stove"), ("in", "oven")],
        put=["{P} put the {o} {loc}.", "{P} set the {o} down {loc}.", "First, {P} left the {o} {loc}."],
        move=["Later, {P} took the {o} out of the {src} and put it {loc}.",
              "A few minutes later, {P} moved the {o} from the {src} {to}.",
              "While stirring the soup, {P} carried the {o} {to}."],
        filler=["The kettle began to whistle.", "Soup was bubbling on the back burner.",
                "{P} chopped two onions for the soup.", "Rain tapped against the window the whole time.",
                "The radio was playing old jazz songs.", "{P} wiped the {place} with a damp cloth."],
        closing=["Then they sat down to eat.", "The guests rang the bell at one o'clock.",
                 "After lunch, {P} washed the plates."]),
    "office": dict(
        intro=["{A} and {B} were the first to arrive at the office on Monday.",
               "The office was quiet on Friday morning, and only {A} and {B} were at work.",
               "{A} and {B} stayed late at the office to finish a report."],
        objects=["stapler", "tape dispenser", "laptop charger", "folder of receipts", "reading lamp", "box of pens",
                 "hole punch", "wall calendar", "coffee mug", "spare keyboard"],
        places=[("in", "filing cabinet"), ("on", "desk"), ("on", "bookcase"), ("in", "supply closet"),
                ("on", "printer table"), ("in", "mail tray"), ("on", "window ledge"), ("in", "locker"),
                ("on", "meeting table"), ("in", "bottom drawer")],
        put=["{P} put the {o} {loc}.", "{P} placed the {o} {loc}.", "Early on, {P} left the {o} {loc}."],
        move=["Around ten, {P} took the {o} from the {src} and put it {loc}.",
              "Before the meeting, {P} moved the {o} from the {src} {to}.",
              "Later, {P} carried the {o} {to}."],
        filler=["The printer jammed twice that morning.", "{P} answered a long phone call from a client.",
                "Someone had left the blinds half open.", "The coffee machine in the corridor was broken again.",
                "{P} dusted the {place}.", "A courier dropped off a parcel at reception."],
        closing=["At noon, they went out for sandwiches.", "The rest of the team arrived after lunch.",
                 "By six o'clock the report was finished."]),
    "garage": dict(
        intro=["{A} and {B} spent Saturday tidying the garage.",
               "{A} was fixing a bicycle in the garage while {B} sorted old boxes.",
               "On a cold morning, {A} and {B} cleared out the garage to make room for the car."],
        objects=["hammer", "tape measure", "paint brush", "box of screws", "flashlight", "bicycle pump",
                 "oil can", "pair of pliers", "spirit level", "roll of wire"],
        places=[("on", "workbench"), ("in", "tool chest"), ("on", "high shelf"), ("in", "car trunk"),
                ("in", "wheelbarrow"), ("on", "pegboard"), ("in", "paint bucket"), ("on", "freezer"),
                ("in", "crate by the door"), ("on", "windowsill")],
        put=["{P} put the {o} {loc}.", "{P} dropped the {o} {loc}.", "To begin with, {P} laid the {o} {loc}."],
        move=["After a while, {P} took the {o} from the {src} and put it {loc}.",
              "Then {P} moved the {o} from the {src} {to}.",
              "Around noon, {P} carried the {o} {to}."],
        filler=["A radio crackled in the corner.", "{P} swept sawdust off the floor.",
                "The garage door was stuck halfway open.", "Old paint tins were stacked along the wall.",
                "{P} cleaned the {place} with a rag.", "A neighbour waved from across the street."],
        closing=["By evening the garage was much tidier.", "Then they went inside for hot soup.",
                 "The car fit inside at last."]),
    "campsite": dict(
        intro=["{A} and {B} set up camp by the lake on Friday evening.",
               "{A} and {B} were packing up their campsite in the forest.",
               "On the second day of the camping trip, {A} and {B} stayed near the tents."],
        objects=["lantern", "water jug", "bag of marshmallows", "compass", "first aid kit", "rain poncho",
                 "fishing net", "bug spray", "trail map", "camp stove"],
        places=[("in", "tent"), ("in", "cooler"), ("on", "picnic table"), ("in", "canoe"), ("in", "backpack"),
                ("on", "tree stump"), ("in", "van"), ("on", "log bench"), ("in", "hammock"), ("on", "rock")],
        put=["{P} put the {o} {loc}.", "{P} stowed the {o} {loc}.", "At first, {P} left the {o} {loc}."],
        move=["Later, {P} took the {o} from the {src} and put it {loc}.",
              "Before dinner, {P} moved the {o} from the {src} {to}.",
              "When the wind picked up, {P} carried the {o} {to}."],
        filler=["A woodpecker drummed somewhere above them.", "{P} collected dry sticks for the fire.",
                "The lake was calm and grey.", "Clouds rolled in over the hills.",
                "{P} brushed pine needles off the {place}.", "Two ducks paddled past the shore."],
        closing=["That night, they cooked beans over the fire.", "They went to bed early.",
                 "In the morning, they paddled across the lake."]),
}


def _loc(places: dict[str, str], p: str) -> str:
    return f"{places[p]} the {p}"


def _to(places: dict[str, str], p: str) -> str:
    return f"{'into' if places[p] == 'in' else 'onto'} the {p}"


def moved_objects(draw: Draw, template: str) -> Story:
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


# ------------------------------------------------------------------------------ family: errands timeline
# (place, what was done there); the place is the answer key.
ERRANDS = {
    "saturday_errands": dict(
        who=["{A}"], intro=["On Saturday, {W} had a long list of errands.",
                            "{W} took the whole morning off to run errands in town."],
        places=[("bakery", "bought a loaf of rye bread"), ("post office", "mailed a parcel"),
                ("bank", "paid a gas bill"), ("pharmacy", "picked up cough drops"),
                ("hardware store", "bought a box of nails"), ("florist", "ordered a bunch of daisies"),
                ("dry cleaner", "dropped off a winter coat"), ("bookshop", "paid for a cookbook"),
                ("fish market", "bought two trout"), ("shoe repair shop", "had a heel fixed")],
        filler=["It was windy, and the streets were full of people.", "{B} called at one point to chat.",
                "The bus was late, so {W} walked most of the way."],
        closing=["Then {W} went home and made tea.", "By four o'clock {W} was home again."]),
    "school_trip": dict(
        who=["the class"], intro=["{A} took {W} on a trip to the city on Thursday.",
                                  "On the last day of term, {W} went on a trip with {A}, their teacher."],
        places=[("science museum", "built paper rockets"), ("planetarium", "learned about comets"),
                ("botanical garden", "drew cactus flowers"), ("zoo", "fed the goats"),
                ("old mill", "ground some flour"), ("city hall", "met the mayor"),
                ("fire station", "climbed into a fire truck"), ("aquarium", "touched a starfish"),
                ("chocolate factory", "tasted dark chocolate"), ("newspaper office", "printed a front page")],
        filler=["The coach smelled of oranges and sandwiches.", "{B}, one of the parents, came along to help.",
                "It drizzled for most of the day."],
        closing=["The coach brought everyone back to school by five.", "Everyone was tired on the ride home."]),
    "city_visit": dict(
        who=["{A} and {B}"], intro=["{W} spent a day exploring an old harbour town.",
                                    "On their holiday, {W} spent one day walking around the capital."],
        places=[("cathedral", "climbed the bell tower"), ("harbour", "rode on a fishing boat"),
                ("castle", "walked along the walls"), ("art gallery", "photographed a famous painting"),
                ("clock tower", "took photos of the square"), ("market square", "ate grilled corn"),
                ("old bridge", "bought a painted tile"), ("maritime museum", "bought a ship in a bottle"),
                ("rose garden", "sat by the fountain"), ("lighthouse", "counted the steps")],
        filler=["The sun came out after a grey morning.", "A street band was playing near the station.",
                "They shared a map they had bought at the station."],
        closing=["In the evening they caught the last train back.", "Then they went back to the hotel."]),
    "delivery_route": dict(
        who=["{A}"], intro=["{W} drove the delivery van for the first time on Tuesday.",
                            "On a snowy Monday, {W} had five parcels to deliver."],
        places=[("primary school", "left a box of books"), ("dentist", "dropped off new gloves"),
                ("pet shop", "delivered bags of bird seed"), ("gym", "brought a set of weights"),
                ("town hall", "handed over a stack of posters"), ("bike shop", "delivered two tyres"),
                ("bakery", "brought a sack of flour"), ("garden centre", "left a crate of pots"),
                ("hotel", "delivered fresh towels"), ("music shop", "dropped off a drum")],
        filler=["The van's heater was broken, so {W} wore gloves.", "{B} from the depot sent a list of addresses.",
                "Traffic was slow near the river."],
        closing=["{W} returned the van to the depot at three.", "Then {W} parked the van and went home."]),
}
_ORDER_FRAMES = {
    "first": ["{Who} started at the {p}, where {sub} {act}.", "The first stop was the {p}, where {sub} {act}."],
    "middle": ["Next, {sub} went to the {p} and {act}.", "After that, {who} stopped at the {p} and {act}.",
               "From there, {sub} went on to the {p}, where {sub} {act}.", "Then {who} visited the {p}."],
    "last": ["Finally, {sub} went to the {p} and {act}.", "The last stop was the {p}, where {sub} {act}."],
}


def errands_timeline(draw: Draw, template: str) -> Story:
    v = ERRANDS[template]
    (A, a_sub), (B, _) = draw.people(2)
    who = draw.one(v["who"]).format(A=A, B=B)
    sub = a_sub if who == A else "they"
    visited = draw.some(v["places"], 4)
    places = [p for p, _ in visited]
    lines = [draw.one(v["intro"]).format(A=A, B=B, W=who)]
    for i, (p, act) in enumerate(visited):
        slot = "first" if i == 0 else "last" if i == 3 else "middle"
        lines.append(cap(draw.one(_ORDER_FRAMES[slot]).format(Who=cap(who), who=who, sub=sub, p=p, act=act)))
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


# ------------------------------------------------------------------------------------- family: counts
COUNTS = {
    "classroom": dict(
        unit="students", where="in the classroom",
        start=["At nine o'clock there were {n} students in the classroom.",
               "{A} counted {n} students in the classroom when the lesson began."],
        minus=["At ten, {n} students left for choir practice.", "Then {n} students went to the school nurse.",
               "After the break, {n} students left early for a football match."],
        plus=["Later, {n} students came back from the library.", "Then {n} students arrived late from the bus.",
              "Before lunch, {n} students from another class joined them for the science lesson."],
        filler=["{A}, the teacher, wrote the date on the board.", "It was raining, so nobody went out at break.",
                "The room still smelled of fresh paint.", "{B} handed out the worksheets.",
                "The radiator under the window clanked loudly.", "A map of the world hung above the blackboard."],
        closing=["At noon the bell rang for lunch.", "The lesson ended with a short spelling test."]),
    "fruit_basket": dict(
        unit="apples", where="in the basket",
        start=["{A} filled a basket with {n} apples from the orchard.",
               "In the morning, there were {n} apples in the basket on the table."],
        minus=["{B} took {n} apples to bake a pie.", "Then {A} gave {n} apples to the neighbours.",
               "At lunchtime, {n} apples were packed into lunch boxes."],
        plus=["Later, {A} added {n} apples from the market.", "{B} picked {n} more apples and put them in the basket.",
              "Then a neighbour brought {n} apples and added them to the basket."],
        filler=["The kitchen smelled of cinnamon.", "{B} washed the pie dish.", "A wasp buzzed at the window.",
                "{A} swept the porch before lunch.", "The old clock in the hall struck eleven.",
                "The basket stood on a blue checked cloth."],
        closing=["In the evening the family ate the pie with cream.", "Then {A} covered the basket with a cloth."]),
    "bus_ride": dict(
        unit="passengers", where="on the bus",
        start=["The number eight bus left the depot with {n} passengers.",
               "When {A} started the morning route, there were {n} passengers on the bus."],
        minus=["At the first stop, {n} passengers got off.", "By the park, {n} passengers had left the bus.",
               "At the hospital, {n} passengers stepped off."],
        plus=["At the next stop, {n} passengers got on.", "Near the market, {n} more passengers climbed aboard.",
              "At the station, {n} passengers boarded the bus."],
        filler=["{A}, the driver, turned on the heating.", "It had started to snow.",
                "{B} rang the bell too early by mistake.", "The bus was running five minutes late.",
                "The windows were steamed up.", "A street market was setting up along the road."],
        closing=["The bus reached the town square at half past eight.", "Then the bus turned onto the ring road."]),
    "car_park": dict(
        unit="cars", where="in the car park",
        start=["At noon there were {n} cars in the car park behind the cinema.",
               "{A}, the attendant, counted {n} cars in the car park at opening time."],
        minus=["During the afternoon, {n} cars drove away.", "After the matinee, {n} cars left.",
               "Then {n} cars pulled out onto the main road."],
        plus=["Then {n} more cars drove in for the evening show.", "Later, {n} cars arrived for the late film.",
              "Just before the rain started, {n} cars came in."],
        filler=["{A} sat in the little booth by the gate.", "The barrier at the exit was stuck for a while.",
                "{B} brought the attendant a cup of coffee.", "A street sweeper rumbled past.",
                "The lights over the entrance flickered.", "Posters for a new film covered the wall."],
        closing=["At midnight the gates were locked.", "Then the cinema closed for the night."]),
}
#: Counts stay small so the arithmetic is a reading task, not a maths task.
COUNT_START, COUNT_CHANGE = (6, 30), (2, 9)


def counts(draw: Draw, template: str) -> Story:
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


# ------------------------------------------------------------------------------------- family: causes
# things, (cause, key word), what happened to a thing (past, infinitive); {B} in a cause is a person.
CAUSES = {
    "workshop": dict(
        intro=["{A} and {B} were working in the woodshop all afternoon.",
               "It was a long day at the repair workshop where {A} works."],
        things=["drill", "router", "sander", "lathe", "air compressor", "grinder", "planer", "jigsaw"],
        causes=[("the fuse blew", "fuse"), ("the belt snapped", "belt"), ("{B} pulled the plug", "plug"),
                ("the motor overheated", "motor"), ("the battery ran flat", "battery"),
                ("a blade jammed", "blade"), ("sawdust clogged the vent", "vent"), ("the switch broke", "switch")],
        verb=dict(past="stopped", why="Why did the {t} stop?", ask="Did the {t} stop?", neg="the {t} did not stop."),
        fine=["The {t} kept running until closing time.", "The {t} worked without trouble."],
        filler=["{A} swept up a pile of wood shavings.", "The radio played the football results.",
                "A delivery of oak planks arrived at two."],
        closing=["At five, {A} locked the workshop and went home.", "{B} made a list of parts to order."]),
    "garden": dict(
        intro=["{A} keeps a vegetable garden behind the house.", "{A} and {B} tend a small allotment."],
        things=["roses", "tomatoes", "ferns", "tulips", "sunflowers", "lettuces", "beans", "strawberries"],
        causes=[("the sprinkler broke", "sprinkler"), ("snails ate the leaves", "snails"),
                ("an early frost hit the beds", "frost"), ("the dog dug up the roots", "dog"),
                ("the soil dried out", "soil"), ("weeds crowded them out", "weeds"), ("hail battered them", "hail"),
                ("{B} sprayed them with weed killer", "killer")],
        verb=dict(past="wilted", why="Why did the {t} wilt?", ask="Did the {t} wilt?", neg="the {t} did not wilt."),
        fine=["The {t} grew tall and green all summer.", "The {t} stayed healthy."],
        filler=["It was a very dry June.", "{A} built a new compost heap.", "Blackbirds nested in the hedge."],
        closing=["In autumn, {A} dug new beds by the fence.", "{B} wrote it all down in a garden diary."]),
    "house": dict(
        intro=["Everything seemed to go wrong at {A}'s house on Tuesday.",
               "{A} and {B} had a strange evening at home."],
        things=["fridge", "heater", "doorbell", "ceiling fan", "washing machine", "toaster", "dishwasher", "radio"],
        causes=[("the fuse blew", "fuse"), ("the cable came loose", "cable"), ("a mouse chewed the wire", "mouse"),
                ("the timer switched it off", "timer"), ("water leaked into it", "water"),
                ("{B} unplugged it", "unplugged"), ("the power cord melted", "cord"), ("a spring snapped", "spring")],
        verb=dict(past="stopped working", why="Why did the {t} stop working?", ask="Did the {t} stop working?",
                  neg="the {t} did not stop working."),
        fine=["The {t} worked fine all evening.",
                                                      "The {t} kept going without a problem."],
        filler=["Outside, a storm was building.", "{A} was reading on the sofa.", "The cat slept by the door."],
        closing=["The next day, {A} called an electrician.", "{B} made a list of things to repair."]),
    "bakery": dict(
        intro=["{A} runs a small bakery on the corner.", "{A} and {B} baked for a market stall on Friday."],
        things=["bread", "cake", "pie", "tart", "flan", "quiche", "pudding", "sponge"],
        causes=[("the oven ran too hot", "oven"), ("{B} left out the sugar", "sugar"),
                ("the dough never rose", "dough"), ("the tray slipped off the rack", "tray"),
                ("the power went out", "power"), ("the butter was rancid", "butter"),
                ("the mixer broke", "mixer"), ("the eggs were bad", "eggs")],
        verb=dict(past="was ruined", why="Why was the {t} ruined?", ask="Was the {t} ruined?",
                  neg="the {t} was not ruined."),
        fine=["The {t} came out perfect.", "The {t} sold out by noon."],
        filler=["The first customers arrived at seven.", "{A} wrote the prices on a chalkboard.",
                "Flour dusted every surface."],
        closing=["At closing time, {A} swept the floor.", "{B} counted the money in the till."]),
}
#: How a story says that a cause made a thing fail: the first two can open a story, the others follow an event.
_CAUSE_FRAMES = ["The {t} {past} because {c}.", "{C}, so the {t} {past}.", "Later, the {t} {past} because {c}.",
                 "Soon after that, {c}, and the {t} {past}."]


def causes(draw: Draw, template: str) -> Story:
    v = CAUSES[template]
    (A, _), (B, _) = draw.people(2)
    things = draw.some(v["things"], 4)
    broken, fine = things[:3], things[3]
    picked = [(c.format(B=B), k) for c, k in draw.some(v["causes"], 3)]
    verb = v["verb"]
    past = verb["past"]
    filler = [f.format(A=A, B=B) for f in draw.some(v["filler"], 2)]
    first = draw.one(_CAUSE_FRAMES[:2])
    frames = [first, *draw.some([f for f in _CAUSE_FRAMES if f != first], 2)]
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


# --------------------------------------------------------------------------------- family: who did what
# (past, infinitive, key)
CHORES = {
    "garden_chores": dict(
        intro=["The neighbours spent Saturday fixing up the community garden.",
               "Before the spring fair, a few friends tidied the school garden."],
        tasks=[("watered the roses", "water the roses", "roses"), ("raked the leaves", "rake the leaves", "leaves"),
               ("painted the fence", "paint the fence", "fence"), ("mowed the lawn", "mow the lawn", "lawn"),
               ("planted the bulbs", "plant the bulbs", "bulbs"), ("fixed the gate", "fix the gate", "gate"),
               ("emptied the compost bin", "empty the compost bin", "compost"),
               ("trimmed the hedge", "trim the hedge", "hedge")],
        filler=["The sun came out around eleven.", "Someone had brought a flask of tea.",
                "A robin hopped along the path."]),
    "party_prep": dict(
        intro=["Everyone helped get the hall ready for the birthday party.",
               "The friends had two hours to prepare for the farewell party."],
        tasks=[("baked the cake", "bake the cake", "cake"), ("hung the lights", "hang the lights", "lights"),
               ("folded the napkins", "fold the napkins", "napkins"), ("swept the floor", "sweep the floor", "floor"),
               ("blew up the balloons", "blow up the balloons", "balloons"),
               ("set the table", "set the table", "table"), ("made the lemonade", "make the lemonade", "lemonade"),
               ("wrote the name cards", "write the name cards", "cards")],
        filler=["Music was already playing from a small speaker.", "The hall smelled of fresh flowers.",
                "The guests were due at seven."]),
    "camp_duties": dict(
        intro=["On the first evening of the scout camp, everyone had a job.",
               "The hikers split the camp work when they reached the valley."],
        tasks=[("pitched the tent", "pitch the tent", "tent"), ("gathered firewood", "gather firewood", "firewood"),
               ("filled the water jugs", "fill the water jugs", "jugs"),
               ("cooked the beans", "cook the beans", "beans"),
               ("washed the pots", "wash the pots", "pots"), ("dug the fire pit", "dig the fire pit", "pit"),
               ("carried the canoe", "carry the canoe", "canoe"), ("hung the food bag", "hang the food bag", "bag")],
        filler=["The sky turned orange behind the ridge.", "A cold wind came down from the hills.",
                "Frogs croaked by the stream."]),
    "band_practice": dict(
        intro=["The school band met early to prepare for the concert.",
               "Before the gig, the band members shared the work."],
        tasks=[("tuned the guitars", "tune the guitars", "guitars"), ("set up the drums", "set up the drums", "drums"),
               ("carried the speakers", "carry the speakers", "speakers"),
               ("printed the song sheets", "print the song sheets", "sheets"),
               ("fixed the microphone", "fix the microphone", "microphone"),
               ("booked the hall", "book the hall", "hall"),
               ("tested the amplifier", "test the amplifier", "amplifier"),
               ("swept the stage", "sweep the stage", "stage")],
        filler=["The caretaker unlocked the doors at eight.", "Rain drummed on the roof.",
                "A few parents arrived early."]),
}


def who_did_what(draw: Draw, template: str) -> Story:
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


# ------------------------------------------------------------------------------------- family: sports
SPORTS = {
    "football": dict(
        teams=["Hawks", "Lions", "Rovers", "Comets", "Falcons", "Otters", "Badgers", "Wolves"],
        event="match", unit="goals", halves=("In the first half", "In the second half"), score=(0, 4),
        intro=["The {T1} played the {T2} on a muddy Sunday afternoon.", "The {T1} met the {T2} in the cup semi-final."],
        star="{P} scored the first goal of the match.", filler=["The stands were packed.", "It rained all match."]),
    "basketball": dict(
        teams=["Rockets", "Giants", "Bulls", "Hornets", "Pirates", "Dragons", "Sharks", "Eagles"],
        event="game", unit="points", halves=("In the first half", "In the second half"), score=(18, 45),
        intro=["The {T1} hosted the {T2} in a packed gym.", "The {T1} and the {T2} met in the school league final."],
        star="{P} made the first basket of the game.", filler=["The crowd stamped their feet.",
                                                                "The coach called two time-outs."]),
    "hockey": dict(
        teams=["Huskies", "Storm", "Blades", "Ravens", "Penguins", "Bears", "Foxes", "Vikings"],
        event="game", unit="goals", halves=("In the first period", "In the second period"), score=(0, 4),
        intro=["The {T1} faced the {T2} on the frozen lake rink.", "The {T1} played the {T2} at the ice arena."],
        star="{P} scored the opening goal.", filler=["The ice was freshly cleaned.", "Fans rang cowbells."]),
    "quiz_night": dict(
        teams=["Owls", "Brainboxes", "Quizards", "Puzzlers", "Bookworms", "Smarties", "Mavericks"],
        event="quiz", unit="points", halves=("In the first round", "In the second round"), score=(3, 15),
        intro=["The {T1} took on the {T2} at the pub quiz.", "At the library quiz night, the {T1} faced the {T2}."],
        star="{P} gave the first correct answer of the night.", filler=["The host read the questions slowly.",
                                                                         "Crisps were handed round."]),
}


def sports(draw: Draw, template: str) -> Story:
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


# ------------------------------------------------------------------------------- family: library loans
BOOK_TOPICS = ["volcanoes", "sharks", "pirates", "birds", "space travel", "dinosaurs", "knitting", "castles",
               "chess", "rivers", "robots", "ancient Egypt", "mushrooms", "trains"]
LOANS = {
    "school_library": dict(
        place="the school library", intro=["On Monday, the school library was busy at lunchtime."],
        filler=["{C} shelved the returned books.", "The library cat slept on the radiator."]),
    "town_library": dict(
        place="the town library", intro=["The town library reopened on Monday after the holidays."],
        filler=["{C} stamped the due dates.", "A reading group met in the back room."]),
}


def library_loans(draw: Draw, template: str) -> Story:
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


# ------------------------------------------------------------------------------- family: train journey
STATIONS = ["Millbrook", "Ashford Cross", "Kingsbridge", "Dunmore", "Elmstead", "Harlow Green", "Redcliffe",
            "Stonebay", "Thornfield", "Wyncombe", "Bramley", "Oakhurst"]
JOURNEYS = {
    "morning_train": dict(vehicle="train", start="The morning train left {s} at eight o'clock with {n} passengers.",
                          filler=["{A}, the conductor, checked the tickets.", "Fog lay over the fields.",
                                  "{B} sold coffee from a trolley.", "Sheep grazed beside the tracks."]),
    "river_ferry": dict(vehicle="ferry", start="The river ferry left {s} at nine with {n} passengers on board.",
                        filler=["{A}, the captain, sounded the horn.", "Gulls followed the boat.",
                                "{B} sold tea at the little counter.", "Mist hung over the water."]),
}


def train_journey(draw: Draw, template: str) -> Story:
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

#: Whole families only the eval split uses, and the one template of every other family that only eval uses.
HELD_OUT_FAMILIES = ("library_loans", "train_journey")
HELD_OUT_TEMPLATES = {"moved_objects": "campsite", "errands_timeline": "delivery_route", "counts": "car_park",
                      "causes": "bakery", "who_did_what": "band_practice", "sports": "quiz_night"}

#: Proper names used besides PEOPLE (checked against the test scenarios' names too).
PROPER_NAMES = STATIONS + [t for v in SPORTS.values() for t in v["teams"]]
