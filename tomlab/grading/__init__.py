"""Automatic grading of ToM answers: verdict (yes / no / none), label and behaviour.

The grader is rule based and general: everything it needs is derived from each scenario's question, gold
answer and context (and, for chain-of-thought prompting, from the two CoT examples). No rule is keyed to a
scenario id or to a scenario's text. Read the modules top-down, as an answer flows through them:

- ``text``: words, sentences and clauses; the part of an output that is the answer;
- ``proposition``: what the question asks, and whether a clause states it (with which polarity);
- ``reading``: one sentence's tier, polarity, hedging and evasion;
- ``grader``: the decision for one answer (``Grader.grade``);
- ``files``: answer files graded and counted (``grade_files``);
- ``labels``: the label store whose labels override the grader, and the CSV round trip for human graders;
- ``command``: ``grade_answers.py``'s work on disk: import labels, grade, write records, export a CSV.
"""

from .files import (
    GradedAnswer,
    GradedFile,
    answer_id,
    collect_answer_files,
    cot_items,
    grade_answer_file,
    grade_files,
    graded_file_json,
    is_answer_file,
    prompting_from_flags,
    scenario_items,
)
from .grader import GRADER_VERSION, Grade, Grader, Item
from .proposition import Proposition, parse_question
from .text import CotItem, clean_output, extract_answer

__all__ = [
    "GRADER_VERSION", "CotItem", "Grade", "GradedAnswer", "GradedFile", "Grader", "Item", "Proposition",
    "answer_id", "clean_output", "collect_answer_files", "cot_items", "extract_answer", "grade_answer_file",
    "grade_files", "graded_file_json", "is_answer_file", "parse_question", "prompting_from_flags", "scenario_items",
]
