"""Vocabulary and sentence templates of the ToM training data (:mod:`.tom_training`), apart from the eval's.

The eval item set (``data/tomi/tomi_items.jsonl``, :mod:`tomlab.tasks.tomi`) uses its own names, rooms, objects,
containers, distractor verbs, story sentences ("Anne entered the kitchen.") and questions ("Where will Anne look for
the apple?"). Nothing here shares a word with those tables: the training stories are other words in other
sentences told by the same event rules, so a model can only carry over what the stories mean. The validation split
draws its words from pools of its own (templates shared with train), so it measures, as the eval does, answers about
names and things never trained on. :mod:`.leakage` checks all of this on the written files.

Templates are ``str.format`` strings over ``agent``/``room``/``object``/``container``/``verb``/``thing`` (story) and
``a``/``b``/``object``/``container`` (questions, answers). A story takes one template per event type; a question
takes one wording per kind, and its yes/no probes and answer sentence take the wording with the same index.
"""

from __future__ import annotations

from ..tasks.tomi import Vocabulary

#: Distractor verbs, shared by both splits (a verb is part of the distractor sentence's template).
LIKES = ("adores", "enjoys", "detests", "fancies")

TRAIN_VOCABULARY = Vocabulary(
    agents=("Maya", "Omar", "Priya", "Diego", "Hana", "Kofi", "Elena", "Marcus", "Nina", "Ravi", "Sofia", "Theo",
            "Yuki", "Bruno", "Clara", "Hugo", "Jonas", "Kira", "Noah", "Olga", "Pedro", "Samir", "Tara", "Wendy"),
    rooms=("den", "library", "cloakroom", "basement", "studio", "nursery", "bathroom", "conservatory", "sunroom",
           "loft"),
    objects=("pear", "plum", "peach", "kiwi", "mango", "onion", "potato", "glove", "ring", "coin", "bracelet",
             "crayon", "eraser", "ribbon", "whistle", "button"),
    containers=("grey jar", "golden pouch", "striped trunk", "spotted cabinet", "plastic tub", "metal barrel",
                "glass vase", "wicker hamper", "cardboard carton", "velvet sack", "canvas satchel", "copper pot",
                "ceramic jug", "tiny locker", "round pail", "leather case"),
    likes=LIKES,
)

VALIDATION_VOCABULARY = Vocabulary(
    agents=("Yusuf", "Zoe", "Aiko", "Farah", "Hector", "Ines", "Jamal", "Keiko", "Luis", "Marta"),
    rooms=("gym", "classroom", "greenhouse", "barn"),
    objects=("cherry", "melon", "thimble", "brooch", "stapler", "candle"),
    containers=("teal canister", "beige crock", "maroon coffer", "lilac urn", "ivory cask", "olive tote"),
    likes=LIKES,
)

VOCABULARIES = {"train": TRAIN_VOCABULARY, "validation": VALIDATION_VOCABULARY}

#: Story sentences per event type (the eval says "entered", "exited", "is in", "moved ... to", "likes").
STORY_TEMPLATES = {
    "enter": ("{agent} walked into the {room}.", "{agent} came into the {room}.", "{agent} stepped into the {room}."),
    "exit": ("{agent} left the {room}.", "{agent} walked out of the {room}.", "{agent} went out of the {room}."),
    "place": ("The {object} is inside the {container}.", "The {object} lies in the {container}.",
              "The {object} sits in the {container}."),
    "move": ("{agent} put the {object} into the {container}.", "{agent} shifted the {object} to the {container}.",
             "{agent} took the {object} and put it in the {container}."),
    "distractor": ("{agent} {verb} the {thing}.",),
}

#: Open questions per kind (the eval asks "really?", "at the beginning?", "look for", "think that ... searches").
OPEN_QUESTIONS = {
    "reality": ("Where is the {object} now?", "At the end of the story, where is the {object}?"),
    "memory": ("Where was the {object} at the start?", "In which place was the {object} first?"),
    "first_order": ("Where will {a} search for the {object}?", "Where does {a} believe the {object} is?"),
    "second_order": ("Where does {a} believe that {b} will look for the {object}?",
                     "Where does {a} think {b} will search for the {object}?"),
}

#: The yes/no probes, one per container, wording index for wording index with :data:`OPEN_QUESTIONS`.
PROBE_QUESTIONS = {
    "reality": ("Is the {object} in the {container} now?",
                "At the end of the story, is the {object} in the {container}?"),
    "memory": ("Was the {object} in the {container} at the start?", "Was the {object} first in the {container}?"),
    "first_order": ("Will {a} search for the {object} in the {container}?",
                    "Does {a} believe the {object} is in the {container}?"),
    "second_order": ("Does {a} believe that {b} will look for the {object} in the {container}?",
                     "Does {a} think {b} will search for the {object} in the {container}?"),
}

#: The short answer sentence of the open form (``chosen`` with the gold container, ``rejected`` with the other).
#: The eval's scorer reads its first sentence and finds the one container it names.
OPEN_ANSWERS = {
    "reality": ("The {object} is in the {container}.", "At the end, the {object} is in the {container}."),
    "memory": ("The {object} was in the {container} at the start.", "The {object} was first in the {container}."),
    "first_order": ("{a} will search for the {object} in the {container}.",
                    "{a} believes the {object} is in the {container}."),
    "second_order": ("{a} believes that {b} will look for the {object} in the {container}.",
                     "{a} thinks {b} will search for the {object} in the {container}."),
}

#: The yes/no form's answers (the project's grader reads each as its verdict).
YES_NO_ANSWERS = {"yes": "Yes.", "no": "No."}
