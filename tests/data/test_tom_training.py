"""The ToM training data (data/tom_training): seeded regeneration, balance, gold from events, minimal pairs, the
benchmark's prompt, the leakage check against the eval items, bad input, and the preference loader."""

import copy
import json
import re
import subprocess
import sys
from collections import Counter

import pytest

from tests.conftest import ROOT
from tomlab.data import leakage, tom_training
from tomlab.data.loader import load_preference_dataset
from tomlab.errors import ToMLabError
from tomlab.prompts import Condition, ask_prompt
from tomlab.tasks import scoring, tomi

DATA = tom_training.DEFAULT_OUT
COMMITTED = tom_training.read_dataset(DATA)
ROWS = COMMITTED["train"] + COMMITTED["validation"]


def test_committed_files_are_the_seeded_output(tmp_path):
    """The README's command rewrites the committed files byte for byte."""
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_tom_data.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for split in tom_training.SPLITS:
        assert (tmp_path / f"{split}.jsonl").read_bytes() == (DATA / f"{split}.jsonl").read_bytes()
    assert tom_training.card(tom_training.read_dataset(tmp_path), tom_training.DEFAULT_SEED) == \
        (DATA / "README.md").read_text(encoding="utf-8")
    assert "python scripts/make_tom_data.py`" in (DATA / "README.md").read_text(encoding="utf-8")


def test_sizes_and_file_size():
    for split, size in tom_training.DEFAULT_SIZES.items():
        assert len(COMMITTED[split]) == size.rows()
    assert 2000 <= len(COMMITTED["train"]) <= 4000 and 256 <= len(COMMITTED["validation"]) <= 400
    assert sum((DATA / f"{s}.jsonl").stat().st_size for s in tom_training.SPLITS) < 5_000_000


def test_balanced_over_kind_belief_and_form():
    for rows in COMMITTED.values():
        cells = tom_training.counts(rows)
        assert len(cells) == len(tomi.KINDS) * len(tomi.BELIEFS) * len(tom_training.FORMS)
        assert len(set(cells.values())) == 1, cells  # every cell the same size
        stories = {}
        for r in rows:
            stories.setdefault(r["id"].split("/")[0], []).append(r)
        for parts in stories.values():
            if parts[0]["form"] == "yesno":
                assert sorted(p["answer"] for p in parts) == ["no", "yes"]  # one probe per container
                assert parts[0]["question"] != parts[1]["question"] and parts[0]["story"] == parts[1]["story"]
            else:
                assert len(parts) == 1
        first = tom_training.counts(rows[: len(rows) // 4])  # any first N rows stay about balanced
        assert max(first.values()) - min(first.values()) <= 2


def rederive(row):
    """Gold and belief from the events alone (who is in the room at each placement and move), for the agents the
    question names, in the order it names them."""
    inside, history = set(), []
    for e in row["events"]:
        if e["type"] == "enter":
            inside.add(e["agent"])
        elif e["type"] == "exit":
            inside.remove(e["agent"])
        elif e["type"] in ("place", "move"):
            assert e["type"] == "place" or e["agent"] in inside
            history.append((e["container"], frozenset(inside)))
    real = history[-1][0]

    def last_seen_by(*agents):
        seen = [c for c, who in history if all(a in who for a in agents)]
        return seen[-1] if seen else None

    everyone = {a for _, who in history for a in who}
    story_false = "false" if any(last_seen_by(a) != real for a in everyone) else "true"
    if row["kind"] == "reality":
        return real, story_false
    if row["kind"] == "memory":
        return history[0][0], story_false
    named = sorted({e["agent"] for e in row["events"] if "agent" in e and re.search(rf"\b{e['agent']}\b",
                                                                                    row["question"])},
                   key=row["question"].index)
    assert len(named) == (1 if row["kind"] == "first_order" else 2)
    gold = last_seen_by(*named)
    return gold, "true" if gold == real else "false"


@pytest.mark.parametrize("split", tom_training.SPLITS)
def test_gold_follows_from_the_events(split):
    for row in COMMITTED[split]:
        gold, belief = rederive(row)
        assert belief == row["belief"], row["id"]
        containers = list(dict.fromkeys(e["container"] for e in row["events"] if e["type"] in ("place", "move")))
        assert row["choices"] == containers
        if row["form"] == "open":
            assert row["answer"] == gold, row["id"]
        else:
            asked = [c for c in row["choices"] if c in row["question"]]
            assert len(asked) == 1
            assert row["answer"] == ("yes" if asked[0] == gold else "no"), row["id"]


def test_minimal_pairs_differ_only_in_the_answer():
    from tomlab.grading import Grader, Item

    grader = Grader()
    for row in ROWS:
        if row["form"] == "open":
            other = next(c for c in row["choices"] if c != row["answer"])
            assert row["rejected"] == row["chosen"].replace(row["answer"], other)
            assert scoring.final_answer(row["chosen"], row["choices"]) == row["answer"]  # the eval's scorer
            assert scoring.final_answer(row["rejected"], row["choices"]) == other
        else:
            assert (row["chosen"], row["rejected"]) == (("Yes.", "No.") if row["answer"] == "yes" else ("No.", "Yes."))
    for row in [r for r in ROWS if r["form"] == "yesno"][:8]:  # the eval's yes/no reader agrees
        item = Item(0, row["question"], row["answer"], row["story"])
        assert grader.grade(row["chosen"], item).label == "correct"
        assert grader.grade(row["rejected"], item).label == "incorrect"


def test_prompt_is_the_benchmark_runners():
    for row in ROWS[:50]:  # the benchmark task's prompt (tomlab.tasks.benchmark) of the story and question
        assert row["prompt"] == ask_prompt(row["story"], row["question"], Condition(False, False), [], "scenario")
        assert row["prompt"] == ("Read the scenario and answer the following question:\n\nScenario: "
                                 f"{row['story']} Question: {row['question']} Answer: ")


def test_row_fields_in_order():
    line = (DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert tuple(json.loads(line)) == tom_training.FIELDS
    assert {r["source"] for r in ROWS} == {"tomi_gen"}
    assert {r["split"] for r in COMMITTED["train"]} == {"train"}
    assert {r["split"] for r in COMMITTED["validation"]} == {"validation"}


def test_leakage_check_passes_on_the_committed_files():
    assert leakage.tom_training_leaks(COMMITTED["train"], COMMITTED["validation"], leakage.read_eval_records()) == []
    leakage.check_tom_training(COMMITTED["train"], COMMITTED["validation"])


def _leaky(row, old, new):
    row = copy.deepcopy(row)
    for key in ("story", "question", "prompt"):
        row[key] = row[key].replace(old, new)
    row["events"] = [{k: (v.replace(old, new) if isinstance(v, str) else v) for k, v in e.items()}
                     for e in row["events"]]
    return row


@pytest.mark.parametrize("change, expected", [
    (lambda r: _leaky(r, r["events"][0]["agent"], "Jacob"), "shares names"),
    (lambda r: _leaky(r, r["choices"][0], "blue box"), "shares containers"),
    (lambda r: _leaky(r, r["choices"][0], "blue pouch"), "vocabulary words"),
    (lambda r: {**r, "story": re.sub(r"(\w+) (walked|came|stepped) into the", r"\1 entered the", r["story"])},
     "story-sentence templates"),
    (lambda r: {**r, "question": "Where is the " + next(e["object"] for e in r["events"] if e["type"] == "place")
                + " really?"}, "question templates"),
])
def test_leakage_check_fails_on_a_leaking_row(change, expected):
    rows = list(COMMITTED["train"])
    rows[0] = change(rows[0])
    with pytest.raises(ToMLabError, match=expected) as err:
        leakage.check_tom_training(rows, COMMITTED["validation"])
    assert "\n" not in str(err.value)


def test_leakage_check_fails_on_a_story_in_both_splits():
    validation = [*COMMITTED["validation"], {**COMMITTED["train"][0], "split": "validation"}]
    with pytest.raises(ToMLabError, match="train and validation share 1 stories"):
        leakage.check_tom_training(COMMITTED["train"], validation)


def test_eval_generator_unchanged_with_its_default_vocabulary():
    rng_a, rng_b = tomi.random.Random(3), tomi.random.Random(3)
    assert tomi.random_events(rng_a) == tomi.random_events(rng_b, tomi.EVAL_VOCABULARY)
    first = json.loads(tomi.DEFAULT_ITEMS.read_text(encoding="utf-8").splitlines()[0])
    assert json.loads(json.dumps(tomi.generate(0, 1)[0].record())) == first


@pytest.mark.parametrize("edit, message", [
    ({"kind": "third_order"}, "unknown kind 'third_order'"),
    ({"form": "multiple_choice"}, "unknown form"),
    ({"answer": "green basket"}, "is not one of"),
    ({"chosen": ""}, "no text in 'chosen'"),
])
def test_bad_rows_are_one_error_line(tmp_path, edit, message):
    path = tmp_path / "train.jsonl"
    path.write_text(tom_training.jsonl(COMMITTED["train"][:3]) + json.dumps({**COMMITTED["train"][3], **edit}) + "\n")
    with pytest.raises(ToMLabError, match=message) as err:
        tom_training.read_rows(path)
    assert str(err.value).startswith(f"{path}:4: ") and "\n" not in str(err.value)


def test_bad_input_to_the_scripts_exits_with_one_line(tmp_path):
    bad = tmp_path / "train.jsonl"
    bad.write_text(json.dumps({**COMMITTED["train"][0], "kind": "third_order"}) + "\n")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "shortcut_audit.py"), "--train", str(bad),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "unknown kind 'third_order'" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_split_is_refused():
    with pytest.raises(ToMLabError, match="unknown split 'test'"):
        tom_training.generate(sizes={"test": tom_training.SplitSize(1, 1)})


def test_the_preference_loader_reads_the_folder():
    train, evals = load_preference_dataset(str(DATA))
    assert (len(train), len(evals)) == (len(COMMITTED["train"]), len(COMMITTED["validation"]))
    assert train.column_names == ["prompt", "chosen", "rejected"]
    assert train[0]["prompt"] == COMMITTED["train"][0]["prompt"].strip()
    train, evals = load_preference_dataset(str(DATA), question_kinds=["second_order"])
    assert len(train) == Counter(r["kind"] for r in COMMITTED["train"])["second_order"]
    assert len(evals) == Counter(r["kind"] for r in COMMITTED["validation"])["second_order"]
