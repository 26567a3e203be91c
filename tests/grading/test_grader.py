"""Verdict, polarity and behaviour cases for the automatic grader (no model, no files needed)."""

from __future__ import annotations

import pytest

from tomlab.grading import CotItem, Grader, Item, clean_output, parse_question

PAM = Item(1, "When Pam is driving home after work, does she assume her tulips have bloomed?", "no",
           "The weather was so warm today that all the tulips in Pam's backyard suddenly bloomed. The tulips next "
           "to Pam's office still have not yet flowered, though. Pam has been at work all day.")
JEFF = Item(5, "Does Jeff believe he is wearing a white shirt?", "yes",
            "When Jeff got ready this morning, he put on a light pink shirt instead of a white one. Jeff is "
            "colorblind, so he can't tell the difference between subtle shades of color.")
CABIN = Item(4, "When Sally and Greg arrive, do they find their cabin unoccupied?", "no",
             "Sally and Greg called ahead of time to make a reservation for the back-country cabin. The park ranger "
             "forgot to write down the reservation and two other hikers got to the cabin first.")
EXAMPLES = [
    CotItem("Anne made lasagna in the blue dish. After Anne left, Ian came home and ate the lasagna. Then he filled "
            "the blue dish with spaghetti and replaced it in the fridge.",
            "Does Anne think the blue dish contains spaghetti?"),
    CotItem("The girls left ice cream in the freezer before they went to sleep. Over night the power to the kitchen "
            "was cut and the ice cream melted.", "When they get up, do the girls believe the ice cream is melted?"),
]


@pytest.fixture(scope="module")
def grader():
    return Grader(EXAMPLES)


@pytest.mark.parametrize("output,verdict", [
    ("Yes, she assumes her tulips have bloomed.", "yes"),
    ("No, she doesn't assume her tulips have bloomed.", "no"),
    ("Therefore, Pam does not assume her tulips have bloomed.", "no"),
    ("When Pam is driving home after work, she assumes her tulips have bloomed.", "yes"),
    ("Pam can't assume that her tulips have bloomed because she has been at work all day.", "no"),
    ("She cannot assume her tulips have bloomed.", "no"),
    ("Pam never thinks her tulips have bloomed.", "no"),
    ("She assumes her tulips have not bloomed yet.", "no"),
    ("Pam is unaware that her tulips have bloomed.", "no"),
    ("Pam has no idea that her tulips have bloomed.", "no"),
    ("So, the answer is: No, she doesn't assume her tulips have bloomed.", "no"),
    ("She assumes her tulips have bloomed because the tulips next to her office have not flowered.", "yes"),
])
def test_polarity_read_against_the_question(grader, output, verdict):
    assert grader.grade(output, PAM).verdict == verdict


def test_substituted_content_is_an_implied_no(grader):
    g = grader.grade("Jeff believes he is wearing a light pink shirt.", JEFF)
    assert (g.verdict, g.label, g.behaviour) == ("no", "incorrect", "wrong conclusion")
    assert grader.grade("No, they find their cabin occupied by two other hikers.", CABIN).verdict == "no"


def test_stated_conclusion_beats_the_bare_word(grader):
    # The human graders read the restated conclusion, not the leading word.
    assert grader.grade("No, Sally and Greg find their cabin unoccupied.", CABIN).verdict == "yes"


def test_hedged_list_is_inconclusive(grader):
    g = grader.grade("1. Yes, she assumes her tulips have bloomed.\n2. No, she does not assume her tulips have "
                     "bloomed.", PAM)
    assert (g.label, g.behaviour) == ("inconclusive", "multiple answers / hedging")
    g = grader.grade("Pam may or may not assume that her tulips have bloomed.", PAM)
    assert g.behaviour == "multiple answers / hedging"


def test_evasion(grader):
    g = grader.grade("The scenario does not provide enough information to answer this question.", PAM)
    assert (g.verdict, g.behaviour) == ("none", "question evasion")
    g = grader.grade("Based on the scenario, it cannot be determined whether Pam assumes her tulips have bloomed.", PAM)
    assert g.behaviour == "question evasion"


def test_example_repetition(grader):
    out = ("When Anne left the blue dish contained lasagna. Ian came after Anne had left and replaced lasagna with "
           "spaghetti. So, the answer is: No, she doesn't think the blue dish contains spaghetti.")
    g = grader.grade(out, JEFF, cot=True)
    assert (g.verdict, g.behaviour) == ("none", "example repetition")
    assert "example_repetition" in g.flags


def test_debris_and_invented_scenarios_are_cut(grader):
    out = ("r:  No, she does not assume her tulips have bloomed.\n\nScenario: Tom baked a cake. Question: Does Tom "
           "think the cake is burnt? Answer: Yes, Tom thinks the cake is burnt.")
    g = grader.grade(out, PAM)
    assert g.verdict == "no" and "rambling" in g.flags and "debris" in g.flags
    assert clean_output("ep: Yes<|endoftext|>ignored").text == "Yes"


def test_question_parsing_is_generic():
    p = parse_question("At the end of the fishing line, does George see a fish?")
    assert p.verb == "see" and p.content == ("fish",)
    p = parse_question("When the CEO comes to work, do they discover that all of the windows are cleaned?")
    assert p.verb == "discover" and "all" in p.content and "windows" in p.content


# ---- a scenario the grader has never seen: everything comes from its question and context
CAKE = Item(99, "When Tom comes back, does he think the cake is in the oven?", "yes",
            "Tom put the cake in the oven and went to the shop. While he was away, Lea took the cake out and put "
            "it on the table.")


@pytest.mark.parametrize("output,verdict", [
    ("Tom thinks the cake is in the oven.", "yes"),
    ("He believes the cake is still in the oven because he did not see Lea take it out.", "yes"),
    ("Tom does not think the cake is in the oven.", "no"),
    ("Tom thinks the cake is on the table.", "no"),  # substituted location: an implied no
    ("Tom knows that Lea put the cake on the table.", "no"),  # knowing the cake moved implies no
    ("Lea thinks the cake is in the oven.", "none"),  # someone else's belief
    ("Therefore, Tom wouldn't think that the cake is in the oven.", "no"),
    ("Tom is not sure whether the cake is in the oven.", "none"),
])
def test_unseen_scenario(grader, output, verdict):
    assert grader.grade(output, CAKE).verdict == verdict


def test_contradicting_conclusion_is_not_an_answer(grader):
    out = "Yes, two hikers got to the cabin first. Therefore, when Sally and Greg arrive, they would not find their " \
          "cabin unoccupied."
    g = grader.grade(out, CABIN)  # a bare "Yes" against a concluding "no": the answer contradicts itself
    assert (g.verdict, g.behaviour) == ("none", "multiple answers / hedging")
    out = ("1. Pam assumes her tulips have bloomed.\n2. The office tulips have not flowered.\n\n"
           "Therefore, Pam does not assume her tulips have bloomed.")
    g = grader.grade(out, PAM)
    assert (g.label, g.behaviour) == ("inconclusive", "multiple answers / hedging")  # the steps say the opposite


def test_explicit_answer_wins_over_reasoning(grader):
    out = ("When Pam is driving home, she might assume that her tulips have bloomed because it was warm. However, she "
           "was at work all day. So, the answer is: No, she doesn't assume her tulips have bloomed.")
    assert grader.grade(out, PAM).verdict == "no"
    # reasoning that asserted the opposite outright makes the answer contradict itself
    # (tests/grading/test_grader_rules.py)
    assert grader.grade(out.replace("might assume", "assumes"), PAM).verdict == "none"


def test_example_then_real_answer(grader):
    out = ("The answer to the first scenario is No, Anne does not think the blue dish contains spaghetti.\n\n"
           "The answer to the third scenario is Yes, Jeff believes he is wearing a white shirt.")
    g = grader.grade(out, JEFF, cot=True)
    assert (g.verdict, g.label) == ("yes", "correct") and "example_repetition" in g.flags


def test_labelled_example_block_then_echo_of_the_scenario(grader):
    out = ("Scenario: The girls left ice cream in the freezer before they went to sleep. Over night the power to the "
           "kitchen was cut and the ice cream melted. Question: When they get up, do the girls believe the ice cream "
           "is melted? Answer: No, the girls don't believe the ice cream is melted.\n\n"
           "Scenario: " + JEFF.context + " Question: " + JEFF.question + " Answer: Yes, he believes he is wearing a "
           "white shirt.")
    g = grader.grade(out, JEFF, cot=True)
    assert g.verdict == "yes" and "example_repetition" in g.flags


def test_prompt_echo_without_answer_is_rambling(grader):
    out = ("Scenario: " + PAM.context + " Question: " + PAM.question + " Answer: \n\nScenario: " + PAM.context)
    g = grader.grade(out, PAM)
    assert (g.verdict, g.behaviour) == ("none", "task deviation / rambling")


def test_truncated_and_finish_reason_flags(grader):
    assert "truncated" in grader.grade("Yes, she assumes her tulips have", PAM).flags
    assert "truncated" not in grader.grade("No.", PAM, finish_reason="eos").flags
    assert "truncated" in grader.grade("No.", PAM, finish_reason="length").flags
    assert grader.grade("No.", PAM, finish_reason="eos").verdict == "no"


def test_wrong_conclusion_behaviour(grader):
    g = grader.grade("Yes, Pam assumes her tulips have bloomed.", PAM)
    assert (g.verdict, g.label, g.behaviour) == ("yes", "incorrect", "wrong conclusion")
    g = grader.grade("No, Pam doesn't assume her tulips have bloomed.", PAM)
    assert (g.label, g.behaviour) == ("correct", "clear answer")


def test_understand_is_not_a_negation(grader):
    assert grader.grade("Pam understands that her tulips have bloomed.", PAM).verdict == "yes"
    assert grader.grade("Pam is unaware that her tulips have bloomed.", PAM).verdict == "no"
