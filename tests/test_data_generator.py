"""The shipped offline dataset (data/context_qa_pairs) and its seeded generator."""

from __future__ import annotations

import collections
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "context_qa_pairs"


def _generator():
    spec = importlib.util.spec_from_file_location("make_preference_data", ROOT / "scripts" / "make_preference_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(split):
    return [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text().splitlines()]


def _sentences(text):
    return {re.sub(r"\s+", " ", s).strip().lower().rstrip(".?!") for s in re.split(r"(?<=[.!?])\s+|\n+", text)
            if re.sub(r"\W", "", s)}


@pytest.fixture(scope="module")
def test_items():
    items = []
    for name in ("tom_scenarios.json", "cot_example_scenarios.json"):
        items += json.loads((ROOT / "data" / name).read_text())["scenarios"]
    assert len(items) == 18
    return items


def test_no_sentence_shared_with_test_scenarios_or_cot_examples(test_items):
    forbidden = set()
    for item in test_items:
        for key in ("context", "question", "answer"):
            if item[key].lower() not in ("yes", "no"):  # the 16 scenarios' gold labels are bare yes/no
                forbidden |= _sentences(item[key])
    assert len(forbidden) > 60
    for split in ("train", "eval"):
        for row in _rows(split):
            for key in ("prompt", "chosen", "rejected"):
                shared = _sentences(row[key]) & forbidden
                assert not shared, f"{split}: {key} shares {shared}"


def test_no_name_of_the_test_scenarios(test_items):
    names = {n for item in test_items for n in re.findall(r"\b[A-Z][a-z]+\b", item["context"] + " " + item["question"])}
    people = {"Pam", "Susie", "Nathan", "Sarah", "Sally", "Greg", "Jeff", "Larry", "Jill", "Garcia", "Amy", "George",
              "John", "Mary", "Lisa", "Jacob", "Jenny", "Alan", "William", "Laura", "Anne", "Ian"}
    assert people <= names
    text = " ".join(r["prompt"] + " " + r["chosen"] + " " + r["rejected"] for r in _rows("train") + _rows("eval"))
    used = set(re.findall(r"\b[A-Z][a-z]+\b", text))
    assert not (people & used)


def test_size_split_and_balance():
    train, evals = _rows("train"), _rows("eval")
    assert len(train) == 3000 and len(evals) == 300
    assert not {r["context"] for r in train} & {r["context"] for r in evals}, "a story is in both splits"
    assert len({r["prompt"] for r in train}) == len(train)
    kinds = collections.Counter(r["kind"] for r in train)
    assert set(kinds) == {"false_belief", "true_belief", "second_order", "factual"}
    assert all(count > 400 for count in kinds.values())
    assert set(collections.Counter(r["rejected_type"] for r in train)) == {
        "wrong_conclusion", "evasion", "multiple_answers", "rambling", "example_repetition"}
    verdicts = collections.Counter(r["chosen"].split(".")[0] for r in train)
    assert abs(verdicts["Yes"] - verdicts["No"]) <= 0.02 * len(train)
    for row in train:
        assert row["prompt"] == f"Context: {row['context']} Question: {row['question']}"
        assert row["chosen"] != row["rejected"] and len(row["chosen"]) < 160


def test_generator_reproduces_the_committed_files(tmp_path):
    _generator().main(["--out", str(tmp_path)])
    for name in ("train.jsonl", "eval.jsonl", "README.md"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
