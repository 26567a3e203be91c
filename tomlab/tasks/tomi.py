"""A seeded ToMi-style story generator (after the rules published by Le et al. 2019; no ToMi code or text used).

A story happens in one room. Agents enter and exit it; an object is placed in a container and later moved to
another one by an agent in the room; distractor sentences say what someone likes. Every story is first a list of
events, and every gold label follows from that list alone (:func:`simulate`):

* an agent observes a placement or a move only while present in the room (entered and not exited since);
* first-order belief: where the object was at the last placement/move the agent observed;
* second-order belief (what A thinks B believes): where it was at the last placement/move A and B both observed
  (everyone present sees who else is present; nobody sees inside a container on entering).

Questions come in four kinds, each asked of the story's object: reality ("Where is the apple really?"), memory
("Where was the apple at the beginning?"), first_order ("Where will Anne look for the apple?") and second_order
("Where does Anne think that Bob searches for the apple?"). ``belief`` is "false" where the asked belief differs
from the object's real location (first/second order), and for reality/memory where some agent of the story holds
a false belief; else "true". The item set is balanced over kind x belief, one question per story, cells in turn
(so any first ``N`` items stay balanced).

The fix of the original generator's observer bug is structural: presence is read from the event list at the
moment of each move, so an agent who has left never sees a move, and a late entrant only sees what follows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..errors import ToMLabError
from ..models import repo_relative
from ..paths import DATA_DIR
from .benchmark import BenchmarkTask
from .items import BenchmarkItem, Probe, read_jsonl

DEFAULT_ITEMS = DATA_DIR / "tomi" / "tomi_items.jsonl"
DEFAULT_SEED = 0
#: 8 cells (4 kinds x true/false belief) x 40 = 320 questions: enough for a Wilson half-width of about 0.15 per
#: cell and 0.05 overall.
DEFAULT_PER_CELL = 40

KINDS = ("reality", "memory", "first_order", "second_order")
BELIEFS = ("true", "false")

AGENTS = ("Abigail", "Benjamin", "Chloe", "Daniel", "Emily", "Felix", "Grace", "Henry", "Isabel", "Jacob", "Lucy",
          "Mason", "Nora", "Oliver", "Ruby", "Samuel", "Tessa", "Victor")
ROOMS = ("kitchen", "garden", "hallway", "bedroom", "office", "cellar", "attic", "lounge", "pantry", "porch",
         "workshop", "playroom")
OBJECTS = ("apple", "ball", "book", "hat", "key", "lemon", "marble", "necklace", "orange", "pencil", "scarf",
           "spoon", "tomato", "watch", "banana", "sock", "cup", "carrot")
CONTAINERS = ("blue box", "green basket", "red drawer", "wooden chest", "yellow bag", "brown suitcase",
              "white cupboard", "black bucket", "purple envelope", "silver tin", "pink bowl", "orange crate")
LIKES = ("likes", "dislikes", "loves", "hates")


@dataclass(frozen=True)
class Vocabulary:
    """The words a random story draws from (other tables give other stories from the same event rules)."""

    agents: tuple
    rooms: tuple
    objects: tuple
    containers: tuple
    likes: tuple  # the verbs of distractor sentences


EVAL_VOCABULARY = Vocabulary(AGENTS, ROOMS, OBJECTS, CONTAINERS, LIKES)

#: Chances that shape a random story (each a coin that makes stories of every kind and belief common).
P_THIRD_AGENT = 0.5  # a third agent comes in (and maybe leaves) at a random moment: observer distractor
P_THIRD_LEAVES = 0.6
P_LEAVE_BEFORE_MOVE = 0.5  # each of the two main agents: false beliefs arise when one is out during the move
P_LEAVE_AFTER_MOVE = 0.4
P_COME_BACK = 0.5  # an agent who missed the move returns (Sally comes back)
MAX_DISTRACTORS = 2


@dataclass(frozen=True)
class World:
    """What the event list implies."""

    initial: str  # where the object was first placed
    reality: str  # where it is at the end
    first: dict  # agent -> container at the last placement/move the agent observed
    second: dict  # (a, b) -> container at the last placement/move a and b both observed
    agents: tuple  # in order of first appearance


def simulate(events) -> World:
    """Replay a story's events: presence in the room decides who observes each placement and move."""
    present: set = set()
    agents: list = []
    where = initial = None
    first: dict = {}
    second: dict = {}
    for e in events:
        kind = e["type"]
        if kind == "enter":
            present.add(e["agent"])
            if e["agent"] not in agents:
                agents.append(e["agent"])
        elif kind == "exit":
            present.discard(e["agent"])
        elif kind in ("place", "move"):
            where = e["container"]
            initial = initial or where
            for a in present:
                first[a] = where
                for b in present - {a}:
                    second[(a, b)] = where
    return World(initial, where, first, second, tuple(agents))


def sentence(e: dict, room: str) -> str:
    kind = e["type"]
    if kind == "enter":
        return f"{e['agent']} entered the {room}."
    if kind == "exit":
        return f"{e['agent']} exited the {room}."
    if kind == "place":
        return f"The {e['object']} is in the {e['container']}."
    if kind == "move":
        return f"{e['agent']} moved the {e['object']} to the {e['container']}."
    return f"{e['agent']} {e['verb']} the {e['thing']}."  # distractor


def story_text(events) -> str:
    room = next(e["room"] for e in events if e["type"] == "enter")
    return " ".join(sentence(e, room) for e in events)


def random_events(rng: random.Random, vocab: Vocabulary = EVAL_VOCABULARY) -> list[dict]:
    """One random story as events, drawn from ``vocab`` (the eval item set's tables by default)."""
    room = rng.choice(vocab.rooms)
    obj, other = rng.sample(vocab.objects, 2)
    c1, c2 = rng.sample(vocab.containers, 2)
    a, b, third = rng.sample(vocab.agents, 3)
    enter = lambda x: {"type": "enter", "agent": x, "room": room}  # noqa: E731
    leave = lambda x: {"type": "exit", "agent": x, "room": room}  # noqa: E731
    mains = [a, b]
    rng.shuffle(mains)
    events = [enter(x) for x in mains] + [{"type": "place", "object": obj, "container": c1}]
    out = [x for x in mains if rng.random() < P_LEAVE_BEFORE_MOVE]
    if len(out) == len(mains):
        out.remove(rng.choice(out))  # someone stays to move it
    events += [leave(x) for x in out]
    mover = rng.choice([x for x in mains if x not in out])
    events.append({"type": "move", "agent": mover, "object": obj, "container": c2})
    after = [leave(x) for x in mains if x not in out and rng.random() < P_LEAVE_AFTER_MOVE]
    after += [enter(x) for x in out if rng.random() < P_COME_BACK]
    rng.shuffle(after)
    events += after
    if rng.random() < P_THIRD_AGENT:  # enters anywhere after the first entrance; never moves anything
        i = rng.randint(1, len(events))
        events.insert(i, enter(third))
        if rng.random() < P_THIRD_LEAVES:
            events.insert(rng.randint(i + 1, len(events)), leave(third))
    for _ in range(rng.randint(0, MAX_DISTRACTORS)):
        who = rng.choice([a, b, third])
        events.insert(rng.randint(1, len(events)),
                      {"type": "distractor", "agent": who, "verb": rng.choice(vocab.likes), "thing": other})
    return events


def questions(events) -> list[dict]:
    """Every question the story supports: kind, belief, open question, gold, the asked agents."""
    w = simulate(events)
    obj = next(e["object"] for e in events if e["type"] == "place")
    story_belief = "false" if any(c != w.reality for c in w.first.values()) else "true"
    belief = lambda gold: "true" if gold == w.reality else "false"  # noqa: E731
    out = [{"kind": "reality", "belief": story_belief, "agents": (), "gold": w.reality},
           {"kind": "memory", "belief": story_belief, "agents": (), "gold": w.initial}]
    out += [{"kind": "first_order", "belief": belief(w.first[x]), "agents": (x,), "gold": w.first[x]}
            for x in w.agents if x in w.first]
    out += [{"kind": "second_order", "belief": belief(w.second[(x, y)]), "agents": (x, y), "gold": w.second[(x, y)]}
            for x in w.agents for y in w.agents if (x, y) in w.second]
    for q in out:
        q["object"] = obj
    return out


def open_question(kind: str, obj: str, agents: tuple) -> str:
    if kind == "reality":
        return f"Where is the {obj} really?"
    if kind == "memory":
        return f"Where was the {obj} at the beginning?"
    if kind == "first_order":
        return f"Where will {agents[0]} look for the {obj}?"
    return f"Where does {agents[0]} think that {agents[1]} searches for the {obj}?"


def probe_question(kind: str, obj: str, agents: tuple, container: str) -> str:
    if kind == "reality":
        return f"Is the {obj} really in the {container}?"
    if kind == "memory":
        return f"Was the {obj} in the {container} at the beginning?"
    if kind == "first_order":
        return f"Will {agents[0]} look for the {obj} in the {container}?"
    return f"Does {agents[0]} think that {agents[1]} searches for the {obj} in the {container}?"


def make_item(item_id: str, events: list[dict], q: dict) -> BenchmarkItem:
    containers = tuple(dict.fromkeys(e["container"] for e in events if e["type"] in ("place", "move")))
    probes = tuple(Probe(probe_question(q["kind"], q["object"], q["agents"], c), "yes" if c == q["gold"] else "no")
                   for c in containers)
    return BenchmarkItem(item_id, q["kind"], q["belief"], story_text(events),
                         open_question(q["kind"], q["object"], q["agents"]), q["gold"], containers, probes,
                         tuple(events))


def generate(seed: int = DEFAULT_SEED, per_cell: int = DEFAULT_PER_CELL) -> list[BenchmarkItem]:
    """``per_cell`` questions for each kind x belief cell, one per story, cells in turn; the same seed gives the
    same items."""
    rng = random.Random(seed)
    cells = [(k, b) for k in KINDS for b in BELIEFS]
    items = []
    for _ in range(per_cell):
        for kind, belief in cells:
            while True:
                events = random_events(rng)
                fits = [q for q in questions(events) if (q["kind"], q["belief"]) == (kind, belief)]
                if fits:
                    items.append(make_item(f"tomi-{len(items) + 1:04d}", events, rng.choice(fits)))
                    break
    return items


def load_items(cfg) -> tuple[list[BenchmarkItem], str, dict]:
    """The item set of the flags: ``--items`` (the committed set by default) or ``--generate_seed``/``--per_cell``."""
    if cfg.generate_seed is None:
        path = cfg.items or DEFAULT_ITEMS
        return read_jsonl(path), repo_relative(path), {}
    if cfg.per_cell < 1:
        raise ToMLabError(f"--per_cell {cfg.per_cell}: must be at least 1")
    return (generate(cfg.generate_seed, cfg.per_cell),
            f"generated by tomlab.tasks.tomi (seed {cfg.generate_seed}, {cfg.per_cell} per cell)", {})


TASK = BenchmarkTask("tomi", load_items)
