"""The shipped default dataset (data/context_qa_pairs), its seeded generator, and the belief ablation."""

from __future__ import annotations

import collections
import hashlib
import json
import random
import re

import pytest

from tests.conftest import ROOT
from tomlab.data import belief, generator
from tomlab.data.gold import judge, normalise
from tomlab.data.separability import GOAL, report
from tomlab.data.stories import FAMILIES, HELD_OUT_FAMILIES, HELD_OUT_TEMPLATES, NOT_HELD_OUT, Draw

DATA = ROOT / "data" / "context_qa_pairs"
#: Words that would make a question, an answer or a story about a mental state (or a perception) of a character.
MENTAL = re.compile(r"\b(think|thinks|thought|believe[sd]?|belief|know|knows|knew|known|expect\w*|assum\w*|"
                    r"see|sees|saw|seen|notic\w*|watch\w*|look\w*|remember\w*|forg[eo]t\w*|want\w*|wish\w*|"
                    r"hope\w*|feel\w*|felt|wonder\w*|guess\w*|realis\w*|realiz\w*|aware|sure|suppos\w*|"
                    r"decid\w*|intend\w*|surpris\w*|worr\w*|secret\w*|hid|hidden|hide\w*|told|tell\w*|"
                    r"mind|idea|trick\w*|pretend\w*|lie|lied|lying)\b", re.IGNORECASE)


def _rows(split):
    return [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text().splitlines()]


def _sentences(text):
    return {re.sub(r"\s+", " ", s).strip().lower().rstrip(".?!") for s in re.split(r"(?<=[.!?])\s+|\n+", text)
            if re.sub(r"\W", "", s)}


@pytest.fixture(scope="module")
def rows():
    return {"train": _rows("train"), "eval": _rows("eval")}


@pytest.fixture(scope="module")
def test_items():
    items = []
    for name in ("tom_scenarios.json", "cot_example_scenarios.json"):
        items += json.loads((ROOT / "data" / name).read_text())["scenarios"]
    assert len(items) == 18
    return items


def test_generator_reproduces_the_committed_files(tmp_path):
    generator.write_dataset(tmp_path)
    for name in ("train.jsonl", "eval.jsonl", "README.md"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_no_sentence_shared_with_test_scenarios_or_cot_examples(test_items, rows):
    forbidden = set()
    for item in test_items:
        for key in ("context", "question", "answer"):
            if item[key].lower() not in ("yes", "no"):  # the 16 scenarios' gold labels are bare yes/no
                forbidden |= _sentences(item[key])
    assert len(forbidden) > 60
    for split, split_rows in rows.items():
        for row in split_rows:
            for key in ("prompt", "chosen", "rejected"):
                shared = _sentences(row[key]) & forbidden
                assert not shared, f"{split}: {key} shares {shared}"


def test_no_name_of_the_test_scenarios(test_items, rows):
    names = {n for item in test_items for n in re.findall(r"\b[A-Z][a-z]+\b", item["context"] + " " + item["question"])}
    people = {"Pam", "Susie", "Nathan", "Sarah", "Sally", "Greg", "Jeff", "Larry", "Jill", "Garcia", "Amy", "George",
              "John", "Mary", "Lisa", "Jacob", "Jenny", "Alan", "William", "Laura", "Anne", "Ian"}
    assert people <= names
    text = " ".join(r["prompt"] + " " + r["chosen"] + " " + r["rejected"] for r in rows["train"] + rows["eval"])
    assert not (people & set(re.findall(r"\b[A-Z][a-z]+\b", text)))


def test_no_mental_state_words(rows):
    assert MENTAL.search("Does Maya think the keys are there?")  # the pattern itself works
    for split, split_rows in rows.items():
        for row in split_rows:
            for key in ("prompt", "chosen", "rejected"):
                hit = MENTAL.search(row[key])
                assert not hit, f"{split} {row['family']}/{row['template']}: '{hit.group()}' in {key}: {row[key]}"


def test_sizes_splits_and_held_out_families(rows):
    train, evals = rows["train"], rows["eval"]
    assert len(train) == generator.DEFAULT_TRAIN == 2000 and len(evals) == generator.DEFAULT_EVAL == 300
    assert not {r["story_id"] for r in train} & {r["story_id"] for r in evals}
    assert len({r["prompt"] for r in train + evals}) == len(train) + len(evals)
    train_templates = {(r["family"], r["template"]) for r in train}
    eval_templates = {(r["family"], r["template"]) for r in evals}
    assert not train_templates & eval_templates, "an eval template also trains"
    assert {f for f, _ in train_templates} == set(FAMILIES) - set(HELD_OUT_FAMILIES)
    assert {f for f, _ in eval_templates} == set(FAMILIES)
    for r in evals:
        expected = "family" if r["family"] in HELD_OUT_FAMILIES else "template"
        assert r["held_out"] == expected and (expected == "family" or HELD_OUT_TEMPLATES[r["family"]] == r["template"])
    assert all(r["held_out"] == NOT_HELD_OUT and r["source"] == "minimal" for r in train)
    per_family = collections.Counter(r["family"] for r in train)
    assert max(per_family.values()) - min(per_family.values()) <= 0.05 * len(train)
    for r in train + evals:
        story = r["prompt"].removeprefix("Context: ").split(" Question: ")[0]
        assert 40 <= len(story.split()) <= 120, story
        assert r["prompt"] == f"Context: {story} Question: {r['prompt'].split(' Question: ')[1]}"


def test_pairs_are_minimal_and_both_keys_are_in_the_story(rows):
    negation = {"yes", "no", "not", "did", "does", "do", generator.LONGER, generator.LARGER}
    phrasing = {"in", "on", "into", "onto", "the", "book", "about", generator.LONGER, generator.LARGER}  # saying a key
    for r in rows["train"] + rows["eval"]:
        diff = set(generator.differing_words(r["chosen"], r["rejected"]))
        if r["answer_type"] == "yes_no":
            assert {r["chosen"].split(",")[0], r["rejected"].split(",")[0]} == {"Yes", "No"}
            assert len(diff - negation) <= 2, (r["chosen"], r["rejected"])  # a verb form: went/go, has/have
        elif r["kind"] in ("what_did", "why"):  # the key stands for a clause: "painted the fence", "the fuse blew"
            assert len(diff) <= 14 and r["chosen"].split()[:1] == r["rejected"].split()[:1]
        else:
            assert diff <= set(generator.words(f"{r['gold']} {r['wrong']}")) | phrasing, (r["chosen"], r["rejected"])
        story = normalise(r["prompt"].split(" Question: ")[0])
        if r["answer_type"] == "entity":
            for key in (r["gold"], r["wrong"]):
                assert f" {normalise(key)} " in f" {story} ", (key, r["prompt"])


def test_no_answer_word_predicts_chosen(rows):
    for split_rows in rows.values():
        balance = collections.Counter()
        for r in split_rows:
            balance.update(generator.differing_words(r["chosen"], r["rejected"]))
        assert max(abs(n) for n in balance.values()) <= generator.BALANCE_TOLERANCE
        verdicts = collections.Counter(r["chosen"].split(",")[0] for r in split_rows if r["answer_type"] == "yes_no")
        assert abs(verdicts["Yes"] - verdicts["No"]) <= generator.BALANCE_TOLERANCE


def test_the_judge_reads_every_pair_right(rows):
    for r in rows["train"] + rows["eval"]:
        assert judge(r["chosen"], r) is True, (r["chosen"], r["gold"])
        assert judge(r["rejected"], r) is False, (r["rejected"], r["wrong"])


def test_every_question_of_every_template_is_well_formed():
    """Beyond the committed rows: all templates and question kinds, the judge and the option keys."""
    rng = random.Random(5)
    for make, templates in FAMILIES.values():
        for template in templates:
            for _ in range(30):
                story = make(Draw(rng), template)
                assert not MENTAL.search(story.text), story.text
                for q in story.questions:
                    row = {"prompt": f"Context: {story.text} Question: {q.text}", "answer_type": q.answer_type,
                           "gold": q.gold, "options": list(q.options)}
                    assert judge(q.chosen, row) is True and judge(q.rejected, row) is False, (q, story.text)
                    keys = [normalise(o) for o in q.options]
                    for a in keys:  # no option key inside another: the judge can tell them apart
                        assert not any(a != b and f" {a} " in f" {b} " for b in keys), (a, keys)
                    assert not MENTAL.search(q.text + " " + q.chosen + " " + q.rejected), q


def test_separability_check_on_small_sets():
    """The default generator stays under the goal; the check does see the belief ablation's style contrast."""
    train, evals = generator.generate(300, 100, seed=3)
    result = report(train, evals, generator.generate_split("train", 100, random.Random(4)))
    assert result["eval"]["bow+length"].accuracy <= GOAL
    assert result["fresh"]["bow+length"].accuracy <= GOAL
    old_train, old_eval = belief.generate(300, 100, seed=3)
    assert report(old_train, old_eval)["eval"]["bow+length"].accuracy >= 0.8


def test_belief_ablation_is_seeded_and_leak_free(tmp_path):
    belief.write_dataset(tmp_path / "a", 60, 20, seed=9)
    belief.write_dataset(tmp_path / "b", 60, 20, seed=9)
    for name in ("train.jsonl", "eval.jsonl", "README.md"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    kinds = {json.loads(line)["kind"] for line in (tmp_path / "a" / "train.jsonl").read_text().splitlines()}
    assert kinds == set(belief.KINDS)


#: sha256 of the belief ablation's rows for 60 train and 20 eval pairs, seed 9: the rows a seed gives never change.
BELIEF_ROWS_SHA256 = {"train.jsonl": "36dfdae64cf86fc4e5d87e90d0fc1de8910a3927a7dc0036302b15a3605f3a4c",
                      "eval.jsonl": "74c67ef639dbf4e6b6248ae36586654b966cde4587891d7cc58ff19a830aae3e"}


def test_belief_ablation_rows_of_a_seed_are_pinned(tmp_path):
    belief.write_dataset(tmp_path, 60, 20, seed=9)
    for name, digest in BELIEF_ROWS_SHA256.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest, name


def test_script_refuses_belief_without_out(capsys):
    import runpy
    import sys

    argv = sys.argv
    sys.argv = ["make_preference_data.py", "--kind", "belief"]
    try:
        with pytest.raises(SystemExit) as exc:
            runpy.run_path(str(ROOT / "scripts" / "make_preference_data.py"), run_name="__main__")
    finally:
        sys.argv = argv
    assert exc.value.code == 2 and "--kind belief needs --out" in capsys.readouterr().err
