"""The reading rules of issue 8, each on answers of the shape small models write (SmolLM2-135M), and each also on a
scenario the grader has never seen: the rules are general, never keyed to a scenario."""

from __future__ import annotations

import pytest

from tomlab.grading import Grader, Item, cot_items, scenario_items

SCENARIOS = scenario_items()
PAM, SUSIE, CABIN, JEFF, LARRY, JILL = (SCENARIOS[i] for i in (1, 2, 4, 5, 6, 7))
JOHN, JENNY, LAURA = SCENARIOS[10], SCENARIOS[13], SCENARIOS[16]
CAKE = Item(99, "When Tom comes back, does he think the cake is in the oven?", "yes",
            "Tom put the cake in the oven and went to the shop. While he was away, Lea took the cake out and put "
            "it on the table.")


@pytest.fixture(scope="module")
def grader():
    return Grader(cot_items())


def grade(grader, output, item, cot=False):
    g = grader.grade(output, item, cot=cot)
    return g.verdict, g.label, g.behaviour


# ---- 1. an explicit final answer does not rescue an answer that asserted the opposite before


@pytest.mark.parametrize("output,item", [
    ("No, they don't find their cabin unoccupied. When Sally and Greg arrive, they find their cabin unoccupied. "
     "So, the answer is: No, they don't find their cabin unoccupied.", CABIN),
    ("When Susie wakes up, she sees the minivan in the driveway. So, the answer is: No, she doesn't see the "
     "minivan in the driveway.", SUSIE),
    ("Tom thinks the cake is in the oven. So, the answer is: No, he does not think the cake is in the oven.", CAKE),
])
def test_self_contradiction_before_an_explicit_answer(grader, output, item):
    assert grade(grader, output, item, cot=True) == ("none", "inconclusive", "multiple answers / hedging")


def test_explicit_answer_still_wins_over_hedged_or_implied_reasoning(grader):
    # a hedged claim and an implied (substituted) no are not outright assertions of the opposite
    out = "Tom may think the cake is in the oven. So, the answer is: No, he does not think the cake is in the oven."
    assert grade(grader, out, CAKE)[:2] == ("no", "incorrect")
    out = "Tom thinks the cake is on the table. The answer is: Yes, he thinks the cake is in the oven."
    assert grade(grader, out, CAKE)[:2] == ("yes", "correct")


# ---- 2. a committed answer on the next line, or as an option letter


@pytest.mark.parametrize("output,verdict", [
    ("The answer is: \nNo.", "no"),
    ("The answer is:\n\nno", "no"),
    ("Options: (A). no; (B). yes;\nThe answer is: (A). no", "no"),
    ("Options: (A). No; (B). Yes;\nThe answer is: (B). Yes", "yes"),
    ("Options:\nA. no\nB. yes\nThe answer is: (A)", "no"),  # a bare letter is read through the listed options
    ("Options: (A). No (B). Yes\nThe answer is: (B)", "yes"),
])
def test_answer_on_the_next_line_or_as_an_option(grader, output, verdict):
    assert grader.grade(output, CAKE).verdict == verdict
    assert grader.grade(output, PAM).verdict == verdict


def test_options_without_a_choice_are_a_list_of_possible_answers(grader):
    for out in ("Possible answers:\nA) No\nB) Yes\n\nThe answer is:", "Options: (A). Yes; (B). No;"):
        assert grade(grader, out, PAM) == ("none", "inconclusive", "multiple answers / hedging")
    # two different options chosen: multiple answers
    out = "Options: (A). no; (B). yes;\nThe answer is: (B).\n\nThe answer is: (A)."
    assert grade(grader, out, CAKE) == ("none", "inconclusive", "multiple answers / hedging")


def test_a_numbered_step_is_not_an_option(grader):
    assert grader.grade("1. Tom went to the shop.\n2. No, he does not think the cake is in the oven.",
                        CAKE).verdict == "no"


# ---- 3. "not necessarily" is a hedge, not a firm no


@pytest.mark.parametrize("output,item", [
    ("When he writes his paper, he doesn't necessarily think the debate has been solved.", LARRY),
    ("When Larry writes his paper, he is not necessarily thinking the debate has been solved.", LARRY),
    ("Tom does not necessarily think the cake is in the oven.", CAKE),
    ("No, not necessarily.", CAKE),
    ('The answer to the question is: "Not necessarily." Tom does not think the cake is in the oven.', CAKE),
])
def test_not_necessarily_is_a_hedge(grader, output, item):
    assert grade(grader, output, item) == ("none", "inconclusive", "multiple answers / hedging")


# ---- 4. a restated question without a question mark asserts nothing


@pytest.mark.parametrize("output,item", [
    ('The statement "When Pam is driving home from work, does she assume her tulips have bloomed" is a '
     "nonsensical and paradoxical scenario.", PAM),
    ("By the time Mary comes in, does John know where his keys are.", JOHN),
    ("Step 5: Does Jenny expect to find her chocolate", JENNY),
    ("We need to answer whether, when Tom comes back, does he think the cake is in the oven", CAKE),
])
def test_restated_question_without_question_mark(grader, output, item):
    assert grader.grade(output, item).verdict == "none"


def test_negative_inversion_still_asserts(grader):
    out = "Lea did not tell him, nor does he think the cake is in the oven."
    assert grader.grade(out, CAKE).verdict == "no"


# ---- 5. "... answer: No" inside a line is an answer, not a block label


@pytest.mark.parametrize("output,verdict", [
    ("Possible answer: No, he doesn't know that.", "no"),
    ("Pam's answer: No, she does not.", "no"),
    ("The correct answer: yes", "yes"),
])
def test_answer_label_inside_a_line(grader, output, verdict):
    assert grader.grade(output, JOHN).verdict == verdict
    assert grader.grade(output, CAKE).verdict == verdict


def test_scenario_word_inside_a_sentence_is_not_a_new_block(grader):
    out = ("To answer the question, let's break down the scenario:\n\n1. Tom is a baker.\n\n"
           "Now let's consider the answer:\n\nYes, Tom thinks the cake is in the oven.")
    g = grader.grade(out, CAKE)
    assert g.verdict == "yes" and "rambling" not in g.flags
    # a label at the start of a line or after a sentence still opens a block
    g = grader.grade("No, he does not think so. Scenario: Ann has a dog. Question: Is the dog happy?", CAKE)
    assert "rambling" in g.flags


# ---- 6. clauses that assert nothing


@pytest.mark.parametrize("output,item", [
    ("3. When they find their cabin unoccupied.", CABIN),
    ("When Sally and Greg find their cabin unoccupied.", CABIN),
    ("The cashier's actions are a deliberate attempt to mislead Jill into thinking she will taste a mocha.", JILL),
    ("Larry's behavior is a classic example of a lateral thinking puzzle where he tries to solve the debate.", LARRY),
    ("Lea wanted to trick him into thinking the cake is in the oven.", CAKE),
    ("When Tom thinks the cake is in the oven.", CAKE),
    ("The scenario relies on the idea that when Susie woke up and saw the minivan in the driveway, she was happy.",
     SUSIE),
])
def test_clauses_that_assert_nothing(grader, output, item):
    assert grader.grade(output, item).verdict == "none"


def test_a_main_clause_after_a_when_clause_still_asserts(grader):
    assert grader.grade("When Susie wakes up, she sees the minivan in the driveway.", SUSIE).verdict == "yes"
    assert grader.grade("When Tom comes back, he is thinking the cake is in the oven.", CAKE).verdict == "yes"


# ---- 7. a declared answer word contradicted by its own sentence


@pytest.mark.parametrize("output,item", [
    ("The answer is: Yes, Laura doesn't assume that her horse's hair is braided.", LAURA),
    ("So, the answer is: No, Tom thinks the cake is in the oven.", CAKE),
])
def test_declared_word_against_its_sentence_is_contradictory(grader, output, item):
    assert grade(grader, output, item) == ("none", "inconclusive", "multiple answers / hedging")


def test_plain_leading_word_yields_to_the_stated_conclusion(grader):
    # the original human graders read the conclusion stated in full, not the bare word in front of it
    assert grader.grade("No, Sally and Greg find their cabin unoccupied.", CABIN).verdict == "yes"
    assert grader.grade("No, Tom thinks the cake is in the oven.", CAKE).verdict == "yes"
    # but against an implied no the bare word makes the answer contradictory
    assert grader.grade("Yes, Tom thinks the cake is on the table.", CAKE).verdict == "none"


# ---- rules added from the tune half of the project label set (results/grading/project_labels_smollm2.json)


def test_a_list_of_possible_answers_asserts_none_of_them(grader):
    out = ("Possible answers: Yes, Tom thinks the cake is in the oven. No, Tom doesn't think the cake is in the "
           "oven.")
    assert grade(grader, out, CAKE) == ("none", "inconclusive", "multiple answers / hedging")
    # ... until an explicit answer chooses one
    out = ("Possible answers: Yes, he does. No, he doesn't.\n"
           "So, the answer is: No, he doesn't think the cake is in the oven.")
    assert grade(grader, out, CAKE)[:2] == ("no", "incorrect")


def test_a_causal_as_clause_is_a_clause_of_its_own(grader):
    out = "Tom does not think the cake is in the oven, as he never saw Lea take it out."
    assert grader.grade(out, CAKE).verdict == "no"  # the "never" of the reason does not flip the claim
    out = ("Larry doesn't believe the debate has been solved, as he never read the debate. So, the answer is: No, "
           "the debate has not been solved.")
    assert grade(grader, out, LARRY)[:2] == ("no", "correct")


def test_a_verb_with_a_prepositional_object_asserts_nothing(grader):
    out = ("No, Tom does not think the cake is in the oven. When he sees an oven, he thinks of the option of the cake "
           "being in the oven.")
    assert grader.grade(out, CAKE).verdict == "no"
    assert grader.grade("Tom thinks about the cake in the oven.", CAKE).verdict == "none"


def test_not_exactly_and_not_quite_hedge_the_word(grader):
    for out in ("No, not exactly. The story is a hypothetical situation.", "No, not quite."):
        assert grade(grader, out, CAKE) == ("none", "inconclusive", "multiple answers / hedging")


@pytest.mark.parametrize("output,behaviour", [
    ("The answer is not provided.", "question evasion"),
    ("Tom thinks the cake is in the oven. The answer is not provided.", "question evasion"),
    ("It is not possible to tell what Tom thinks.", "question evasion"),
])
def test_evasion_phrases(grader, output, behaviour):
    assert grade(grader, output, CAKE) == ("none", "inconclusive", behaviour)


def test_not_possible_about_the_story_is_not_an_evasion(grader):
    out = "Tom thinks the cake is in the oven. A cake on the table, which is not possible based on the story."
    assert grader.grade(out, CAKE).verdict == "yes"
