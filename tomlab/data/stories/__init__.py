"""Story families of the default preference dataset: short stories with questions the story alone decides.

No question asks about a mental state (what a character believes, knows, expects, wants or perceived): they ask
where things are after moves, what happened first or last, who did what, how many, why something happened, and
who won. Each family has several templates (a setting with its own vocabulary and phrasing).

* :mod:`.types`      -- :class:`Story`, :class:`Question` and how a question's chosen and rejected answers are worded
  (two fillings of one answer template, so only the story tells them apart).
* :mod:`.vocabulary` -- the word tables: names, and per family its templates' words.
* :mod:`.families`   -- the eight family functions ``family(draw, template) -> Story`` and :data:`FAMILIES`.
* :mod:`.split`      -- the held-out families and templates that only the eval split uses.

:mod:`tomlab.data.generator` turns the stories into balanced preference pairs.
"""

from .families import FAMILIES, Draw
from .split import HELD_OUT_FAMILIES, HELD_OUT_TEMPLATES, NOT_HELD_OUT, split_templates
from .types import ENTITY, NUMBER, YES_NO, Question, Story
from .vocabulary import PEOPLE, PROPER_NAMES

__all__ = ["ENTITY", "FAMILIES", "HELD_OUT_FAMILIES", "HELD_OUT_TEMPLATES", "NOT_HELD_OUT", "NUMBER", "PEOPLE",
           "PROPER_NAMES", "YES_NO", "Draw", "Question", "Story", "split_templates"]
