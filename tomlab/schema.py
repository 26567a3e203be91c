"""The project's shared vocabulary, defined once: everything else imports it (and it imports nothing of the project).

Prompting types and their flags, the grader's labels and behaviours, the special tokens that end a model's turn,
and the text that means a model has started a new item.
"""

from __future__ import annotations

#: The four prompting types of the original study, in report order, with their (step-by-step, chain-of-thought)
#: flags: SbS appends "Let's think step by step: ", CoT puts two worked examples before the item.
BASE_PROMPTING = "Base"  # nothing added: the reference the other types are tested against
SBS_PROMPTING = "SbS"
COT_PROMPTING = "CoT"
SBS_COT_PROMPTING = "SbS+CoT"
PROMPTING_FLAGS: dict[str, tuple[bool, bool]] = {
    BASE_PROMPTING: (False, False),
    SBS_PROMPTING: (True, False),
    COT_PROMPTING: (False, True),
    SBS_COT_PROMPTING: (True, True),
}
PROMPTINGS: tuple[str, ...] = tuple(PROMPTING_FLAGS)

#: A graded answer's label, as the original study's human graders assigned them.
LABELS: tuple[str, ...] = ("correct", "incorrect", "inconclusive")

#: The original study's behaviour categories (one per answer).
BEHAVIOURS: tuple[str, ...] = (
    "clear answer",
    "wrong conclusion",
    "multiple answers / hedging",
    "question evasion",
    "example repetition",
    "task deviation / rambling",
)

#: Special tokens that end a turn or a document in common model families (SmolLM2/ChatML, LLaMa 2/3, GPT-J, Phi,
#: Gemma). The engine stops on them; the grader strips them from stored answers.
END_OF_TURN_TOKENS: tuple[str, ...] = (
    "<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "</s>", "<|end|>", "<eos>", "<end_of_turn>",
)

#: A model that starts one of these blocks has finished its answer and is inventing a new item.
STOP_SEQUENCES: tuple[str, ...] = ("Scenario:", "Context:", "Question:")
