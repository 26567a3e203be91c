"""tomlab.data: the preference-dataset loader (default, local files, hub-style folders, hub ids) and tokenization."""

from __future__ import annotations

import json

import pytest

from tomlab.data import PROMPT_TEMPLATE, format_prompt, load_preference_dataset, tokenize_prompt, tokenize_response
from tomlab.data.loader import DEFAULT_DATASET
from tomlab.errors import ToMLabError

ROWS = [{"question": f"Context: Story number {i}. Question: Is it {i}?", "good": f"Yes. It is {i}.",
         "bad": f"It cannot be determined {i}."} for i in range(12)]
COLS = dict(prompt_column="question", chosen_column="good", rejected_column="bad")


def _write(path, rows, fmt):
    import pandas as pd

    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "json":
        path.write_text(json.dumps(rows))
    elif fmt == "csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    elif fmt == "parquet":
        pd.DataFrame(rows).to_parquet(path)
    return path


def test_default_dataset_is_the_offline_pairs():
    train, evals = load_preference_dataset()
    assert train.column_names == ["prompt", "chosen", "rejected"]
    assert len(train) == 2000 and len(evals) == 300
    assert train[0]["prompt"].startswith("Context: ") and " Question: " in train[0]["prompt"]


def test_our_folder_layout_reads_train_and_eval_only(tmp_path):
    """A folder with train.jsonl/eval.jsonl (generator, on-policy step) loads those two; other files do not count."""
    rows = [{"prompt": r["question"], "chosen": r["good"], "rejected": r["bad"], "source": "minimal",
             "options": ["a", "b"], "held_out": "no"} for r in ROWS]
    _write(tmp_path / "train.jsonl", rows[:9], "jsonl")
    _write(tmp_path / "eval.jsonl", rows[9:], "jsonl")
    _write(tmp_path / "on_policy.jsonl", rows[:2], "jsonl")
    (tmp_path / "on_policy_summary.json").write_text('{"stats": {}}')
    train, evals = load_preference_dataset(str(tmp_path))
    assert (len(train), len(evals)) == (9, 3) and train.column_names == ["prompt", "chosen", "rejected"]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "parquet"])
def test_local_files_with_configurable_columns(tmp_path, fmt):
    path = _write(tmp_path / f"pairs.{fmt}", ROWS, fmt)
    train, evals = load_preference_dataset(str(path), eval_size=3, **COLS)
    assert train.column_names == ["prompt", "chosen", "rejected"]
    # no eval split: the first rows are held out, as the original reward-modeling script did
    assert [r["chosen"] for r in evals] == ["Yes. It is 0.", "Yes. It is 1.", "Yes. It is 2."]
    assert len(train) == 9 and train[0]["chosen"] == "Yes. It is 3."


def test_hub_style_folder_with_splits(tmp_path):
    import pandas as pd

    rows = [{"prompt": r["question"], "chosen": r["good"], "rejected": r["bad"]} for r in ROWS]
    (tmp_path / "data").mkdir()
    pd.DataFrame(rows[:9]).to_parquet(tmp_path / "data" / "train-00000-of-00001.parquet")
    pd.DataFrame(rows[9:]).to_parquet(tmp_path / "data" / "test-00000-of-00001.parquet")
    train, evals = load_preference_dataset(str(tmp_path))
    assert len(train) == 9 and len(evals) == 3


def test_hub_id_goes_to_datasets(monkeypatch):
    import datasets

    calls = []

    def fake_load(name, **kwargs):
        calls.append((name, kwargs))
        return datasets.DatasetDict({"train": datasets.Dataset.from_list(
            [{"prompt": r["question"], "chosen": r["good"], "rejected": r["bad"]} for r in ROWS])})

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    train, evals = load_preference_dataset("Dahoas/synthetic-instruct-gptj-pairwise", eval_size=2, revision="main")
    assert calls == [("Dahoas/synthetic-instruct-gptj-pairwise", {"revision": "main"})]
    assert len(train) == 10 and len(evals) == 2


def test_unreachable_hub_is_one_clear_error(monkeypatch):
    import datasets

    def offline(name, **kwargs):
        raise ConnectionError("Couldn't reach 'Dahoas/synthetic-instruct-gptj-pairwise' on the Hub "
                              "(LocalEntryNotFoundError)")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(ToMLabError, match="cannot load it .*local file or the default offline dataset"):
        load_preference_dataset("Dahoas/synthetic-instruct-gptj-pairwise")


@pytest.mark.parametrize("case, rows, match", [
    ("missing column", [{"question": "q", "good": "a"}] * 5, r"no column 'bad'.*--rejected_column"),
    ("empty answer", [{"question": "q", "good": "a", "bad": "b"}] * 3 + [{"question": "q", "good": " ", "bad": "b"}],
     r"row 3: column 'good' is empty"),
    ("not text", [{"question": "q", "good": "a", "bad": 5}] * 4, r"row 0: column 'bad' must hold text"),
])
def test_bad_rows_are_rejected_by_name(tmp_path, case, rows, match):
    path = _write(tmp_path / "bad.jsonl", rows, "jsonl")
    with pytest.raises(ToMLabError, match=match):
        load_preference_dataset(str(path), eval_size=1, **COLS)


def test_bad_sources(tmp_path):
    with pytest.raises(ToMLabError, match="no such file or folder"):
        load_preference_dataset(str(tmp_path / "nope.jsonl"))
    (tmp_path / "pairs.txt").write_text("hello")
    with pytest.raises(ToMLabError, match="unsupported file type '.txt'"):
        load_preference_dataset(str(tmp_path / "pairs.txt"))
    (tmp_path / "broken.jsonl").write_text('{"prompt": "a", "chosen": \n')
    with pytest.raises(ToMLabError, match="cannot read it"):
        load_preference_dataset(str(tmp_path / "broken.jsonl"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ToMLabError, match="holds no .json"):
        load_preference_dataset(str(tmp_path / "empty"))
    path = _write(tmp_path / "small.jsonl", ROWS[:3], "jsonl")
    with pytest.raises(ToMLabError, match="--eval_size 200 must be at least 1 and leave rows for training"):
        load_preference_dataset(str(path), **COLS)
    with pytest.raises(ToMLabError, match="no 'validation' split"):
        load_preference_dataset(str(path), eval_split="validation", **COLS)


def test_identical_pairs_are_dropped(tmp_path, capsys):
    rows = ROWS + [{"question": "q", "good": "same", "bad": "same"}]
    path = _write(tmp_path / "dups.jsonl", rows, "jsonl")
    train, _ = load_preference_dataset(str(path), eval_size=2, **COLS)
    assert len(train) == 10 and "dropped 1 train pairs" in capsys.readouterr().out


def test_prompt_format_is_the_original():
    assert PROMPT_TEMPLATE == "Answer the following question in context:\n\nQuestion: {prompt}\n\nAnswer: "
    assert format_prompt("Context: A. Question: B?") == (
        "Answer the following question in context:\n\nQuestion: Context: A. Question: B?\n\nAnswer: ")


def test_answer_is_tokenized_apart_from_the_prompt(tiny_model_dir):
    """The prompt keeps its trailing-space token (as at evaluation); the answer ends with EOS."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    prompt_ids = tokenize_prompt(tok, "Context: Jenny went outside. Question: Does she know?")
    assert prompt_ids == tok(format_prompt("Context: Jenny went outside. Question: Does she know?"))["input_ids"]
    assert tok.decode(prompt_ids).endswith("Answer: ")
    answer_ids = tokenize_response(tok, "Yes.")
    assert answer_ids[-1] == tok.eos_token_id and tok.decode(answer_ids[:-1]) == "Yes."
    assert tokenize_prompt(tok, "x " * 400, max_prompt_length=20)[-3:] == prompt_ids[-3:]


def test_question_kinds_keep_those_pairs_in_train_and_eval():
    """--question_kinds: only the pairs of the named kinds, in both splits; the default data's kinds by name."""
    import collections

    rows = [json.loads(line) for line in open(DEFAULT_DATASET / "train.jsonl")]
    kinds = ["first_scorer", "count_start"]
    train, evals = load_preference_dataset(question_kinds=kinds)
    assert len(train) == sum(r["kind"] in kinds for r in rows) > 0
    assert {r["prompt"] for r in train} <= {r["prompt"] for r in rows if r["kind"] in kinds}
    eval_kinds = collections.Counter(json.loads(line)["kind"] for line in open(DEFAULT_DATASET / "eval.jsonl"))
    assert len(evals) == sum(eval_kinds[k] for k in kinds) > 0


def test_question_kinds_bad_input_names_the_culprit(tmp_path):
    with pytest.raises(ToMLabError, match="--question_kinds no_such_kind: no such kind in the train split"):
        load_preference_dataset(question_kinds=["first_scorer", "no_such_kind"])
    _write(tmp_path / "pairs.jsonl", ROWS, "jsonl")
    with pytest.raises(ToMLabError, match="needs a 'kind' column"):
        load_preference_dataset(str(tmp_path / "pairs.jsonl"), question_kinds=["x"], **COLS)
