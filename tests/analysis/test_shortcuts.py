"""The shortcut audit: heuristics on hand-made stories, the story-blind classifier on a planted cue, the audit of the
committed data and eval items (and that the committed results are what the script writes)."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tomlab.analysis import shortcuts
from tomlab.data import tom_training
from tomlab.errors import ToMLabError
from tomlab.tasks import tomi
from tomlab.tasks.items import read_jsonl

COMMITTED = ROOT / "results" / "tom_training" / "shortcuts"


def _question(kind, belief, gold, probes=()):
    events = ({"type": "enter", "agent": "Ann", "room": "den"}, {"type": "enter", "agent": "Bo", "room": "den"},
              {"type": "place", "object": "pear", "container": "grey jar"},
              {"type": "exit", "agent": "Ann", "room": "den"},
              {"type": "move", "agent": "Bo", "object": "pear", "container": "velvet sack"})
    story = "Ann came in. Bo came in. The pear is in the grey jar. Ann left. Bo put the pear in the velvet sack."
    return shortcuts.Question("q", kind, belief, story, events, ("grey jar", "velvet sack"), gold, "Where?",
                              tuple(shortcuts.Probe(f"In the {c}?", a, c) for c, a in probes))


def test_heuristics_on_a_false_belief_story():
    q = _question("first_order", "false", "grey jar", [("grey jar", "yes"), ("velvet sack", "no")])
    assert shortcuts.pick("last_mentioned", q) == "velvet sack"
    assert shortcuts.pick("first_mentioned", q) == "grey jar"
    assert shortcuts.pick("current_location", q) == "velvet sack"
    result = shortcuts.scores([q], "yesno")
    assert result["yesno"]["first_mentioned"] == [1.0] and result["yesno"]["last_mentioned"] == [0.0]
    assert result["yesno"]["always_yes"] == [0.0] and result["yesno-probe"]["always_yes"] == [1.0, 0.0]
    assert shortcuts.scores([q], "open")["open"] == {"last_mentioned": [0.0], "first_mentioned": [1.0],
                                                     "current_location": [0.0]}


def test_story_blind_learns_a_planted_cue_and_ties_on_the_unseen():
    model = shortcuts.StoryBlind([("is it red", "yes", "no"), ("is it blue", "no", "yes")] * 10)
    assert model.chance("is it red", "yes", "no") == 1.0
    assert model.chance("is it blue", "yes", "no") == 0.0
    assert model.chance("zzz", "yes", "no") == 0.5  # nothing it knows: a tie
    with pytest.raises(ToMLabError, match="no training pairs"):
        shortcuts.StoryBlind([])


@pytest.fixture(scope="module")
def result():
    return shortcuts.run()


def test_audit_of_the_committed_data(result):
    table = shortcuts.by_kind(result)
    assert set(table) == {f"{s}-{t}" for s in ("tomi", "train", "validation")
                          for t in ("open", "yesno", "yesno-probe")}
    for test, kinds in table.items():
        assert set(kinds) == {"all", *tomi.KINDS}
        assert kinds["reality"]["current_location"] == 1.0  # reality asks the current location
        assert kinds["memory"]["first_mentioned"] == 1.0  # memory asks the first container
        for kind in ("first_order", "second_order"):  # true and false beliefs balanced: no container rule helps
            assert all(kinds[kind][h] == 0.5 for h in shortcuts.CONTAINER_HEURISTICS)
        if "yesno" in test:
            pair = not test.endswith("-probe")
            assert kinds["all"]["always_yes"] == kinds["all"]["always_no"] == (0.0 if pair else 0.5)
        if not test.endswith("yesno"):  # open, or per probe: the story-blind classifier is about at chance
            assert 0.4 <= kinds["all"]["story_blind"] <= 0.6
    beliefs = result["tests"]["tomi-open"]["by_kind_belief"]["first_order"]
    assert beliefs["true"]["last_mentioned"] == 1.0 and beliefs["false"]["first_mentioned"] == 1.0
    for test in ("tomi-open", "validation-open", "tomi-yesno-probe", "validation-yesno-probe"):
        assert table[test]["all"]["story_blind"] == 0.5  # unseen words: the story-blind model cannot choose
    best = shortcuts.best_by_kind(result)
    assert best["tomi-open"]["reality"] == ("last_mentioned", 1.0)
    assert best["tomi-open"]["memory"] == ("first_mentioned", 1.0)
    assert result["best"]["tomi-yesno"]["memory"] == {"heuristic": "first_mentioned", "accuracy": 1.0}


def test_committed_results_are_the_scripts_output(result, tmp_path):
    committed = json.loads((COMMITTED / "shortcuts.json").read_text(encoding="utf-8"))
    assert committed["command"] == "python scripts/shortcut_audit.py"
    assert {k: v for k, v in committed.items() if k != "command"} == json.loads(json.dumps(result))
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "shortcut_audit.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    written = json.loads((tmp_path / "shortcuts.json").read_text(encoding="utf-8"))
    assert written["tests"] == committed["tests"] and written["best"] == committed["best"]
    text = (tmp_path / "shortcuts.md").read_text(encoding="utf-8")
    assert text.split("\n\n", 2)[2] == (COMMITTED / "shortcuts.md").read_text(encoding="utf-8").split("\n\n", 2)[2]


def test_training_rows_become_questions():
    rows = tom_training.read_rows(tom_training.DEFAULT_OUT / "validation.jsonl")
    questions = shortcuts.from_training_rows(rows, "yesno")
    assert len(questions) == sum(r["form"] == "yesno" for r in rows) // 2
    for q in questions:
        assert sorted(p.answer for p in q.probes) == ["no", "yes"]
        assert {p.container for p in q.probes} == set(q.choices)
    items = shortcuts.from_eval_items(read_jsonl(tomi.DEFAULT_ITEMS))
    assert all(next(p.container for p in q.probes if p.answer == "yes") == q.gold for q in items)
