"""Prompts must be byte-identical to the original scripts' (strings as given in REFERENCE.md)."""

import pytest

from tomlab.prompts import ALL_CONDITIONS, Condition, build_prompt
from tomlab.scenarios import load_cot_examples, load_scenarios

SC = load_scenarios()
EX = load_cot_examples()


def expected(sbs: bool, cot: bool, fmt: str, s=SC[0]) -> str:
    instruction = ("Read the scenario and answer the following question:\n\n" if fmt == "scenario"
                   else "Answer the following question in context:\n\n")
    label = "Scenario: " if fmt == "scenario" else "Context: "
    step = "Let's think step by step: "
    text = instruction
    if cot:
        for e in EX:
            text += f"{label}{e.context} Question: {e.question} Answer: " + (step if sbs else "") + f"{e.answer}\n\n"
    text += f"{label}{s.context} Question: {s.question} Answer: "
    if sbs:
        text += step
    return text


@pytest.mark.parametrize("fmt", ["scenario", "context"])
@pytest.mark.parametrize("cond", ALL_CONDITIONS, ids=lambda c: c.name)
def test_prompts_byte_identical(cond, fmt):
    for s in SC:
        assert build_prompt(s, cond, EX, fmt) == expected(cond.sbs, cond.cot, fmt, s)


def test_base_prompt_literal():
    assert build_prompt(SC[0], Condition(False, False), EX) == (
        "Read the scenario and answer the following question:\n\n"
        "Scenario: The weather was so warm today that all the tulips in Pam's backyard suddenly bloomed. "
        "The tulips next to Pam's office still have not yet flowered, though. Pam has been at work all day. "
        "Question: When Pam is driving home after work, does she assume her tulips have bloomed? Answer: ")


def test_sbs_cot_literal_pieces():
    p = build_prompt(SC[0], Condition(True, True), EX, "context")
    assert p.startswith("Answer the following question in context:\n\nContext: Anne made lasagna")
    assert "Does Anne think the blue dish contains spaghetti? Answer: Let's think step by step: When Anne left" in p
    assert p.count("Let's think step by step: ") == 3
    assert p.endswith("does she assume her tulips have bloomed? Answer: Let's think step by step: ")
    assert "Scenario: " not in p


def test_condition_names():
    assert [c.name for c in ALL_CONDITIONS] == ["Base", "SbS", "CoT", "SbS+CoT"]
    assert Condition.from_name("sbs+cot") == Condition(True, True)
