"""On-policy pairs: the gold judge, pairing, the merged dataset folder, and a run on the tiny model."""

from __future__ import annotations

import json

import pytest

from tomlab.data import generator, on_policy
from tomlab.data.gold import answer_key, first_sentence, judge
from tomlab.data.loader import format_prompt, load_preference_dataset
from tomlab.errors import ToMLabError
from tomlab.generation import Completion

WHERE = {"prompt": "Context: Maya put the keys in the drawer. Omar moved them to the basket. "
                   "Question: Where are the keys?",
         "answer_type": "entity", "gold": "basket", "options": ["basket", "drawer", "shelf"]}
AFTER = {"prompt": "Context: ... Question: Where did Maya go right after the bakery?", "answer_type": "entity",
         "gold": "bank", "options": ["bank", "bakery", "florist"]}
COUNT = {"prompt": "Context: ... Question: How many apples are in the basket now?", "answer_type": "number",
         "gold": "23", "options": ["23", "17"]}
YES = {"prompt": "Context: ... Question: Did the Hawks win?", "answer_type": "yes_no", "gold": "yes",
       "options": ["yes", "no"]}


@pytest.mark.parametrize("row, answer, verdict", [
    (WHERE, "The keys are in the basket now.", True),
    (WHERE, "They are in the drawer.", False),
    (WHERE, "In the basket. Omar moved them from the drawer.", True),   # only the first sentence counts
    (WHERE, "The keys are in the basket, not the drawer.", None),        # two options: no verdict
    (WHERE, "I cannot tell from the story.", None),
    (AFTER, "Right after the bakery, Maya went to the bank.", True),     # "bakery" is in the question: ignored
    (AFTER, "She went to the florist", False),                          # an unended answer that is complete
    (COUNT, "There are 23 apples in the basket now.", True),
    (COUNT, "Seventeen apples.", False),
    (COUNT, "There are twenty-three apples.", True),
    (COUNT, "A lot of apples.", None),
    (YES, "Yes, the Hawks won the match.", True),
    (YES, "no.", False),
    (YES, "The Hawks won.", None),
    (YES, "No idea.", None),
])
def test_judge(row, answer, verdict):
    assert judge(answer, row) is verdict


def test_an_answer_cut_at_its_token_limit_counts_only_if_its_first_sentence_ended():
    assert judge("The keys are in the basket", WHERE, ended=False) is None
    assert judge("The keys are in the basket. And then they", WHERE, ended=False) is True
    assert first_sentence("No end here") is None and first_sentence("One. Two.") == "One."
    assert answer_key("Omar put them in the shelf.", "entity", WHERE["options"]) == "shelf"


def test_pair_answers_takes_one_correct_and_one_incorrect_first_sentence():
    answers = [("The keys are in the basket. Blah blah", True), ("They are in the drawer.", True),
               ("No idea", True), ("The keys are in the basket. Other words", True)]
    row = on_policy.pair_answers(WHERE, answers, seed=1)
    assert row["chosen"] == "The keys are in the basket." and row["rejected"] == "They are in the drawer."
    assert row["source"] == "on_policy" and row["wrong"] == "drawer" and row["gold"] == "basket"
    assert on_policy.pair_answers(WHERE, answers[:1] + answers[2:], seed=1) is None  # no incorrect answer


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("pairs")
    train, evals = generator.generate(40, 12, seed=2)
    (out / "train.jsonl").write_text(generator.jsonl(train))
    (out / "eval.jsonl").write_text(generator.jsonl(evals))
    return out


def test_tiny_model_run_writes_a_loadable_folder(tiny_model_dir, small_data, tmp_path):
    out = tmp_path / "merged"
    summary = on_policy.build_on_policy_dataset(str(tiny_model_dir), out, small_data, n_prompts=6, samples=2, seed=0,
                                                dtype="float32", progress=False)
    stats = summary["stats"]
    assert stats["prompts"] == 6 and stats["answers"] == 12 and not summary["skipped"]
    assert summary["sizes"] == {"train": 40 + stats["pairs"], "train_minimal": 40, "train_on_policy": stats["pairs"],
                                "eval": 12}
    answers = [json.loads(line) for line in (out / on_policy.ANSWERS).read_text().splitlines()]
    assert len(answers) == 12 and all(a["verdict"] in (True, False, None) for a in answers)
    train, evals = load_preference_dataset(str(out))
    assert (len(train), len(evals)) == (40 + stats["pairs"], 12)
    again = on_policy.build_on_policy_dataset(str(tiny_model_dir), out, small_data, n_prompts=6, samples=2, seed=0,
                                              dtype="float32", progress=False)
    assert again["skipped"] and again["stats"] == stats
    with pytest.raises(ToMLabError, match="other settings"):
        on_policy.build_on_policy_dataset(str(tiny_model_dir), out, small_data, n_prompts=5, samples=2,
                                          dtype="float32", progress=False)


def test_judged_answers_become_merged_pairs(tiny_model_dir, small_data, tmp_path, monkeypatch):
    """With a model that answers right and wrong (a stand-in engine), every prompt gives one pair in train.jsonl."""
    rows = {format_prompt(r["prompt"]): r for r in generator.read_jsonl(small_data / "train.jsonl")}

    class TwoMinds:
        def __init__(self, model, tokenizer, **kwargs):
            pass

        def generate(self, groups, params, progress=None):
            for g in groups:
                for n, (key, _) in enumerate(g.requests):
                    row = rows[g.prompt]
                    if n % 2:  # cut at its first sentence end, as the stop sequences do
                        yield Completion(key, row["chosen"][:-1], "stop_sequence", 9)
                    else:
                        yield Completion(key, row["rejected"] + " More.", "eos", 9)

    monkeypatch.setattr(on_policy, "Engine", TwoMinds)
    out = tmp_path / "merged"
    summary = on_policy.build_on_policy_dataset(str(tiny_model_dir), out, small_data, n_prompts=8, samples=2,
                                                dtype="float32", progress=False)
    assert summary["stats"]["pairs"] == 8 and summary["stats"]["yield"] == 1.0
    merged = generator.read_jsonl(out / "train.jsonl")
    policy = [r for r in merged if r["source"] == "on_policy"]
    assert len(merged) == 48 and len(policy) == 8
    assert set(merged[0]) == {"prompt", "chosen", "rejected", *generator.METADATA}
    minimal = {r["prompt"]: r for r in generator.read_jsonl(small_data / "train.jsonl")}
    for r in policy:
        assert (r["chosen"], r["rejected"]) == (minimal[r["prompt"]]["chosen"], minimal[r["prompt"]]["rejected"])
    assert generator.read_jsonl(out / "eval.jsonl") == generator.read_jsonl(small_data / "eval.jsonl")


def test_bad_requests_are_one_clear_error(tiny_model_dir, small_data, tmp_path):
    with pytest.raises(ToMLabError, match="only 40 distinct prompts"):
        on_policy.sample_on_policy_pairs(str(tiny_model_dir), small_data, n_prompts=41)
    with pytest.raises(ToMLabError, match="at least 1 prompt and 2 samples"):
        on_policy.sample_on_policy_pairs(str(tiny_model_dir), small_data, samples=1)
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "train.jsonl").write_text(json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"}) + "\n")
    with pytest.raises(ToMLabError, match="no answer_type, gold, options column"):
        on_policy.sample_on_policy_pairs(str(tiny_model_dir), bare, n_prompts=1)
    with pytest.raises(ToMLabError, match="must differ"):
        on_policy.merge_pairs(small_data, [], small_data)


@pytest.mark.integration
def test_embedded_model_answers_are_judged(embedded_model_dir, small_data, tmp_path):
    pairs, log, stats = on_policy.sample_on_policy_pairs(str(embedded_model_dir), small_data, n_prompts=4, samples=2,
                                                         progress=False)
    assert stats["answers"] == 8 and len(log) == 8 and any(a["answer"] for a in log)
    assert all(a["verdict"] in (True, False, None) for a in log) and len(pairs) == stats["pairs"] <= 4
