"""Which stories the eval split may hold: whole families and one template of every other family that training
never sees, so that a reward model must read, not recall.
"""

from __future__ import annotations

from .families import FAMILIES

#: Whole families only the eval split uses, and the one template of every other family that only eval uses.
HELD_OUT_FAMILIES = ("library_loans", "train_journey")
HELD_OUT_TEMPLATES = {"moved_objects": "campsite", "errands_timeline": "delivery_route", "counts": "car_park",
                      "causes": "bakery", "who_did_what": "band_practice", "sports": "quiz_night"}
#: ``held_out`` of a training row (a string, not null: every column keeps one type across splits).
NOT_HELD_OUT = "no"


def split_templates(split: str) -> list[tuple[str, str, str]]:
    """``(family, template, held_out)`` for every template a split draws from; ``held_out`` is ``"family"``,
    ``"template"`` or :data:`NOT_HELD_OUT`, and the eval split holds exactly the held-out ones."""
    out = []
    for family, (_, templates) in FAMILIES.items():
        for template in templates:
            held = ("family" if family in HELD_OUT_FAMILIES
                    else "template" if HELD_OUT_TEMPLATES.get(family) == template else NOT_HELD_OUT)
            if (split == "eval") == (held != NOT_HELD_OUT):
                out.append((family, template, held))
    return out
