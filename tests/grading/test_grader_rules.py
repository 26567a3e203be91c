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


# ---- grader 2.1: rules from the 7B development answers (issue 13), each also on an invented scenario

GEORGE, CAMPERS = SCENARIOS[9], SCENARIOS[11]
KEYS = Item(98, "When Ann gets home, does she know where her glasses are?", "yes",
            "Ann told Bob that she had lost her glasses. Bob looked in the garden. Then Ann saw her glasses on the "
            "shelf.")
JAR = Item(97, "Does Max find the jar empty of cookies?", "yes",
           "Max filled the jar with cookies. During the night his brother ate all of them. In the morning Max went "
           "to the jar.")
SICK = Item(96, "Does Nora think Paul is tired?", "yes",
            "Paul stayed up all night. In the morning Nora saw that his eyes were red. Nora knows that Paul's eyes "
            "get red when he is tired.")


@pytest.mark.parametrize("output,item", [
    ("John and Mary searched the house. John did not know where his keys were. Then John noticed his keys behind "
     "the sofa. So, the answer is: Yes, John knows where his keys are.", JOHN),
    ("John doesn't know where his keys are at first. But then he found them behind the sofa. So, the answer is: "
     "Yes, John knows where his keys are.", JOHN),
    ("Ann doesn't know where her glasses are. Then Ann saw her glasses on the shelf. So, the answer is: Yes, she "
     "knows where her glasses are.", KEYS),
    ("Ann did not know where her glasses were until she saw them on the shelf. So, the answer is: Yes.", KEYS),
])
def test_a_told_change_of_state_is_no_contradiction(grader, output, item):
    # the opposite statement is limited to an earlier time, or the story moves on before the answer
    assert grade(grader, output, item, cot=True)[:2] == ("yes", "correct")


@pytest.mark.parametrize("output,item", [
    ("When Susie wakes up, she sees the minivan in the driveway. So, she doesn't see the minivan in the driveway. "
     "So, the answer is: No, she doesn't see the minivan in the driveway.", SUSIE),
    ("Tom thinks the cake is in the oven. So, he does not think the cake is in the oven. So, the answer is: No.",
     CAKE),
])
def test_a_change_of_mind_without_a_change_of_story_still_contradicts(grader, output, item):
    assert grade(grader, output, item, cot=True) == ("none", "inconclusive", "multiple answers / hedging")


@pytest.mark.parametrize("output,item", [
    ("Mary searched the house with no luck. So, she doesn't know where his keys are. So, the answer is: Yes, John "
     "knows where his keys are.", JOHN),
    ("Bob looked in the garden. So, he doesn't know where her glasses are. So, the answer is: Yes, Ann knows "
     "where her glasses are.", KEYS),
])
def test_a_pronoun_of_the_other_gender_is_another_person(grader, output, item):
    assert grade(grader, output, item, cot=True)[:2] == ("yes", "correct")


@pytest.mark.parametrize("output,item,verdict", [
    ("John knows that he lost his keys.", JOHN, "none"),  # not where they are
    ("John knows his keys are behind the sofa.", JOHN, "yes"),  # a place answers "where"
    ("John doesn't know where his keys are.", JOHN, "no"),
    ("Ann knows that she lost her glasses.", KEYS, "none"),
    ("Ann knows her glasses are on the shelf.", KEYS, "yes"),
])
def test_knowing_where_needs_a_place(grader, output, item, verdict):
    assert grader.grade(output, item).verdict == verdict


@pytest.mark.parametrize("output,item,verdict", [
    ("No, the campers find their cooler full of soda.", CAMPERS, "no"),  # the antonym states the opposite
    ("The campers find that there is no soda left in the cooler.", CAMPERS, "yes"),  # "no soda" = empty of soda
    ("Yes, the campers find their cooler has no soda.", CAMPERS, "yes"),
    ("They find the soda gone.", CAMPERS, "yes"),
    ("The campers do not find their cooler empty of soda.", CAMPERS, "no"),
    ("Max finds the jar full of cookies.", JAR, "no"),
    ("Max finds that there are no cookies left in the jar.", JAR, "yes"),
    ("Max does not find any cookies in the jar.", JAR, "yes"),
])
def test_empty_full_and_no_x_left(grader, output, item, verdict):
    assert grader.grade(output, item).verdict == verdict


@pytest.mark.parametrize("output,item", [
    ("George might think Amy is sick.", GEORGE),
    ("Her room was quiet and dark. So, it's possible that Amy is sick.", GEORGE),  # the project's convention
    ("It is not possible to determine whether Amy is sick.", GEORGE),
    ("Is it possible that Amy is sick?", GEORGE),
    ("Nora may think Paul is tired.", SICK),
])
def test_hedged_beliefs_and_questions_stay_inconclusive(grader, output, item):
    assert grader.grade(output, item).verdict == "none"


def test_probably_leans_and_so_he_opens_a_clause(grader):
    assert grader.grade("Yes, probably.", GEORGE).verdict == "yes"
    out = "George knows that when Amy is sick she lies down in a dark room so he thinks she is sick."
    assert grader.grade(out, GEORGE).verdict == "yes"
    assert grader.grade("Nora knows that when Paul is tired his eyes get red so she thinks he is tired.",
                        SICK).verdict == "yes"
