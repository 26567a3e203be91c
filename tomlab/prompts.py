"""Prompt construction, byte-identical to the original scripts.

Base:     instruction + item
SbS:      instruction + item + "Let's think step by step: "
CoT:      instruction + example 1 + example 2 + item
SbS+CoT:  as CoT, with "Let's think step by step: " before each example's answer and after the item

The finetuned models of the original were asked in the "context" format (another instruction, the
label ``Context:`` instead of ``Scenario:``), matching their training prompt.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ToMLabError
from .scenarios import CotExample, Scenario
from .schema import PROMPTING_FLAGS, PROMPTINGS

INSTRUCTIONS = {
    "scenario": "Read the scenario and answer the following question:\n\n",
    "context": "Answer the following question in context:\n\n",
}
LABELS = {"scenario": "Scenario: ", "context": "Context: "}
SBS = "Let's think step by step: "
PROMPT_FORMATS = tuple(INSTRUCTIONS)


@dataclass(frozen=True)
class Condition:
    """A prompting type: step-by-step instruction and/or two chain-of-thought examples."""

    sbs: bool
    cot: bool

    @property
    def name(self) -> str:
        return next(name for name, flags in PROMPTING_FLAGS.items() if flags == (self.sbs, self.cot))

    @classmethod
    def from_name(cls, name: str) -> Condition:
        for known, (sbs, cot) in PROMPTING_FLAGS.items():
            if known.lower() == name.lower():
                return cls(sbs, cot)
        raise ToMLabError(f"unknown prompting type {name!r}; choose one of {', '.join(PROMPTINGS)}")


ALL_CONDITIONS = tuple(Condition.from_name(n) for n in PROMPTINGS)


def _item(label: str, context: str, question: str) -> str:
    return f"{label}{context} Question: {question} Answer: "


def ask_prompt(context: str, question: str, condition: Condition, examples: list[CotExample] | None = None,
               prompt_format: str = "scenario") -> str:
    """The exact prompt string the original scripts fed to the model, for any context and question (a benchmark's
    story and question are asked in the scenarios' prompt)."""
    if prompt_format not in INSTRUCTIONS:
        raise ToMLabError(f"--prompt_format {prompt_format}: choose one of {', '.join(PROMPT_FORMATS)}")
    label = LABELS[prompt_format]
    prompt = INSTRUCTIONS[prompt_format]
    if condition.cot:
        if not examples:
            raise ToMLabError("chain-of-thought prompting needs examples (--cot_examples)")
        for ex in examples:
            prompt += _item(label, ex.context, ex.question) + (SBS if condition.sbs else "") + f"{ex.answer}\n\n"
    prompt += _item(label, context, question)
    if condition.sbs:
        prompt += SBS
    return prompt


def build_prompt(scenario: Scenario, condition: Condition, examples: list[CotExample] | None = None,
                 prompt_format: str = "scenario") -> str:
    """A scenario's prompt (:func:`ask_prompt` of its context and question)."""
    return ask_prompt(scenario.context, scenario.question, condition, examples, prompt_format)


def apply_chat_template(tokenizer, prompt: str) -> str:
    """Wrap a raw prompt as one user turn in the tokenizer's chat template (``--chat``)."""
    if not getattr(tokenizer, "chat_template", None):
        raise ToMLabError("--chat: this model's tokenizer has no chat template")
    return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                         add_generation_prompt=True)
