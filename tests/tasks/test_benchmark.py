"""The benchmarks: ToMi-style items (gold labels re-derived here from each event list), Strange Stories, scoring,
and the benchmark runner on the tiny model."""

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tomlab.errors import ToMLabError
from tomlab.eval.config import parse_benchmark_config
from tomlab.eval.registry import get
from tomlab.eval.runner import evaluate
from tomlab.tasks import scoring, strange_stories, tomi
from tomlab.tasks.items import read_jsonl
from tomlab.tasks.scoring import score_file

ITEMS = read_jsonl(tomi.DEFAULT_ITEMS)


def run_benchmark(config):
    """One benchmark, as benchmark_eval.py --benchmark asks it."""
    return evaluate([(get(config.benchmark), config)])


def rederive(events, question):
    """Gold and belief, from the events alone: who is in the room when the object is placed or moved."""
    inside, history = set(), []  # history: (container, who saw it) per placement/move
    for e in events:
        if e["type"] == "enter":
            inside.add(e["agent"])
        elif e["type"] == "exit":
            inside.remove(e["agent"])  # must be inside to leave
        elif e["type"] in ("place", "move"):
            assert e["type"] == "place" or e["agent"] in inside  # only someone in the room moves things
            history.append((e["container"], frozenset(inside)))
    real = history[-1][0]

    def last_seen_by(*agents):
        seen = [c for c, who in history if all(a in who for a in agents)]
        return seen[-1] if seen else None

    everyone = {a for _, who in history for a in who}
    story_false = any(last_seen_by(a) != real for a in everyone)
    if m := re.fullmatch(r"Where is the (.+) really\?", question):
        return real, "false" if story_false else "true"
    if m := re.fullmatch(r"Where was the (.+) at the beginning\?", question):
        return history[0][0], "false" if story_false else "true"
    if m := re.fullmatch(r"Where will (\w+) look for the (.+)\?", question):
        gold = last_seen_by(m[1])
    else:
        m = re.fullmatch(r"Where does (\w+) think that (\w+) searches for the (.+)\?", question)
        gold = last_seen_by(m[1], m[2])
    return gold, "true" if gold == real else "false"


def test_committed_item_set_is_the_seeded_generator_output(tmp_path):
    """data/tomi/README.md's command regenerates the committed file byte for byte."""
    out = tmp_path / "items.jsonl"
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "benchmark_eval.py"), "--benchmark", "tomi",
                           "--generate_seed", "0", "--export_items", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == tomi.DEFAULT_ITEMS.read_bytes()


def test_item_set_is_balanced_over_kinds_and_belief():
    assert len(ITEMS) >= 300
    cells = Counter((i.kind, i.belief) for i in ITEMS)
    assert set(cells) == {(k, b) for k in tomi.KINDS for b in tomi.BELIEFS}
    assert len(set(cells.values())) == 1
    first = Counter((i.kind, i.belief) for i in ITEMS[:16])  # any prefix stays balanced (--limit)
    assert set(first.values()) == {2}


@pytest.mark.parametrize("item", ITEMS, ids=[i.id for i in ITEMS])
def test_gold_label_follows_from_the_event_list(item):
    gold, belief = rederive(item.events, item.question)
    assert (item.answer, item.belief) == (gold, belief)
    assert item.story == " ".join(tomi.sentence(e, item.events[0]["room"]) for e in item.events)
    assert set(item.choices) == {e["container"] for e in item.events if e["type"] in ("place", "move")}
    assert [p.answer for p in item.probes] == ["yes" if c == gold else "no" for c in item.choices]
    assert all(c in p.question for c, p in zip(item.choices, item.probes))


def test_observer_sees_a_move_only_while_present():
    ev = lambda t, **k: {"type": t, **k}  # noqa: E731
    events = [ev("enter", agent="A", room="r"), ev("enter", agent="B", room="r"),
              ev("place", object="o", container="box"), ev("exit", agent="A", room="r"),
              ev("move", agent="B", object="o", container="bag"), ev("enter", agent="C", room="r"),
              ev("enter", agent="A", room="r"), ev("exit", agent="B", room="r")]
    w = tomi.simulate(events)
    assert (w.initial, w.reality) == ("box", "bag")
    assert w.first == {"A": "box", "B": "bag"}  # A had left; C came in after the move: no belief at all
    assert w.second[("A", "B")] == "box" and w.second[("B", "A")] == "box"
    assert ("A", "C") not in w.second  # entering together after the move reveals nothing inside a container


@pytest.mark.parametrize("output,expected", [
    ("The apple is in the blue box.", "blue box"),
    ("blue_box", "blue box"),
    ("It is either in the blue box or the green basket.", None),
    ("Anne will look in the green basket. Later it was in the blue box.", "green basket"),
    ("A:", None),
    ("The answer is: \nThe green basket.", "green basket"),
    ("Options: (1). The apple is in the blue box. (2). It is in the green basket.", None),
    ("Anne entered the kitchen. The apple is in the blue box.", None),  # the story retold first
])
def test_open_answer_names_one_container(output, expected):
    assert scoring.final_answer(output, ("blue box", "green basket")) == expected


def test_step_by_step_reads_the_conclusion():
    text = "Bob moved it to the green basket. Anne did not see that. So she looks in the blue box."
    assert scoring.final_answer(text, ("blue box", "green basket"), step_by_step=True) == "blue box"


def test_strange_stories_vendored_with_notice_canary_and_source():
    items, canary = strange_stories.load()
    assert len(items) == 53 and Counter(i.answer for i in items) == {"yes": 25, "no": 28}
    assert "canary GUID" in canary
    data = json.loads(strange_stories.DEFAULT_ITEMS.read_text())
    assert "Apache License, Version 2.0" in " ".join(data["license_notice"])
    assert data["source"]["sdist"].startswith("bigbench-1.0.0") and len(data["source"]["sdist_sha256"]) == 64
    assert all(i.question.endswith("?") and not i.question.startswith("Q:") for i in items)


def bench(tmp_path, model, *extra):
    return parse_benchmark_config(["--model", str(model), "--tokens", "6", "--no_progress", "--dtype", "float32",
                                   "--output_dir", str(tmp_path / "out"), *extra])


def test_runner_files_forms_and_resume(tmp_path, tiny_model_dir):
    summary = run_benchmark(bench(tmp_path, tiny_model_dir, "--benchmark", "tomi", "--limit", "8"))
    open_file, yesno_file = (json.loads(Path(f["path"]).read_text()) for f in summary["files"])
    assert summary["answers_generated"] == 8 + 16
    assert (open_file["form"], yesno_file["form"]) == ("open", "yesno")
    assert len(open_file["items"]) == 8 and len(yesno_file["items"]) == 16 and open_file["complete"]
    entry = yesno_file["items"][0]
    assert entry["question_id"] == "tomi-0001" and entry["prompt"].startswith("Read the scenario and answer")
    assert entry["prompt"].endswith(f"Question: {entry['question']} Answer: ")
    run = open_file["run"]
    assert run["items_file"] == "data/tomi/tomi_items.jsonl" and run["limit"] == 8 and run["reps"] == 1
    assert open_file["model parameter"]["do sample"] is False  # greedy by default
    assert all("/tomi/" in f["path"] and "_tomi-" in f["path"] for f in summary["files"])
    again = run_benchmark(bench(tmp_path, tiny_model_dir, "--benchmark", "tomi", "--limit", "8"))
    assert again["answers_generated"] == 0 and [f["status"] for f in again["files"]] == ["resume", "resume"]
    scored = score_file(summary["files"][1]["path"])
    assert len(scored.questions) == 8 and scored.n == 8


def test_resume_after_crash_gives_the_uninterrupted_answers(tmp_path, tiny_model_dir, monkeypatch):
    from tomlab.tasks.answers import BenchmarkFile

    argv = ["--benchmark", "tomi", "--limit", "6", "--output", str(tmp_path / "x.json")]
    reference = run_benchmark(bench(tmp_path / "ref", tiny_model_dir, *argv[:-1], str(tmp_path / "ref.json")))
    calls = {"n": 0}
    original_add = BenchmarkFile.add

    def crashing_add(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 9:
            raise KeyboardInterrupt
        original_add(self, *args, **kwargs)

    monkeypatch.setattr(BenchmarkFile, "add", crashing_add)
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(bench(tmp_path, tiny_model_dir, *argv))
    monkeypatch.setattr(BenchmarkFile, "add", original_add)
    assert not list(tmp_path.glob("*.lock"))
    resumed = run_benchmark(bench(tmp_path, tiny_model_dir, *argv))
    assert [Path(f["path"]).name for f in resumed["files"]] == ["x_open.json", "x_yesno.json"]
    assert 0 < resumed["answers_generated"] < 6 + 12
    for got, want in zip(resumed["files"], reference["files"]):
        outputs = lambda f: [(e["id"], a["output"]) for e in json.loads(Path(f["path"]).read_text())["items"]  # noqa: E731
                             for a in e["answers"]]
        assert outputs(got) == outputs(want)


def test_output_with_several_forms_says_which_files_it_wrote(tmp_path, tiny_model_dir):
    """--output x.json with both ToMi forms writes x_open.json and x_yesno.json; --help and the last lines say so."""
    script = [sys.executable, str(ROOT / "ToM_Experiment" / "benchmark_eval.py")]
    helptext = subprocess.run([*script, "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "300"})
    assert "<stem>_open.json and <stem>_yesno.json" in " ".join(helptext.stdout.split())
    proc = subprocess.run([*script, "--model", str(tiny_model_dir), "--limit", "2", "--tokens", "4", "--no_progress",
                           "--output", str(tmp_path / "x.json")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["x_open.json", "x_yesno.json"]
    last = proc.stdout.strip().splitlines()[-1]
    assert "x_open.json" in last and "x_yesno.json" in last and "(no x.json)" in last


def test_runner_sampled_reps_and_model_label(tmp_path, tiny_model_dir):
    cfg = bench(tmp_path, tiny_model_dir, "--benchmark", "strange_stories", "--limit", "3", "--temp", "0.7",
                "--reps", "2", "--model_label", "tiny-PPO")
    (f,) = run_benchmark(cfg)["files"]
    data = json.loads(Path(f["path"]).read_text())
    assert data["run"]["model_name"] == "tiny-PPO" and Path(f["path"]).parent.name == "tiny-PPO"
    assert [len(e["answers"]) for e in data["items"]] == [2, 2, 2] and data["form"] == "yesno"


def test_export_items_needs_no_model(tmp_path):
    out = tmp_path / "ss.jsonl"
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "benchmark_eval.py"), "--benchmark",
                           "strange_stories", "--model", "./no/such/model", "--limit", "5", "--export_items", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 5 and all("canary GUID" in r["canary"] for r in records)


def test_scoring_needs_both_probes_right(tmp_path, tiny_model_dir):
    (f,) = run_benchmark(bench(tmp_path, tiny_model_dir, "--benchmark", "tomi", "--form", "yesno", "--limit",
                               "2"))["files"]
    data = json.loads(Path(f["path"]).read_text())
    answers = {("tomi-0001/1", "no"): "No.", ("tomi-0001/2", "yes"): "Yes, it is.",  # both right
               ("tomi-0002/1", "no"): "Yes.", ("tomi-0002/2", "yes"): "Yes."}  # always yes: one wrong
    for e in data["items"]:
        e["answers"][0]["output"] = answers[(e["id"], e["gold answer"])]
    Path(f["path"]).write_text(json.dumps(data))
    scored = score_file(f["path"])
    assert [q.correct for q in scored.questions] == [[True], [False]]


BAD = [
    (["--limit", "0"], "--limit"),
    (["--benchmark", "strange_stories", "--form", "open"], "--form"),
    (["--benchmark", "strange_stories", "--generate_seed", "1"], "--generate_seed"),
    (["--items", "nope.jsonl"], "nope.jsonl"),
    (["--reps", "0"], "--reps"),
]


@pytest.mark.parametrize("argv,culprit", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_one_line_exit_2(tmp_path, tiny_model_dir, argv, culprit):
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "benchmark_eval.py"), "--model",
                           str(tiny_model_dir), "--no_progress", "--output_dir", str(tmp_path / "out"), *argv],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    assert culprit in line
    assert not (tmp_path / "out").exists()


def test_unreadable_item_file_names_the_line(tmp_path):
    bad = tmp_path / "items.jsonl"
    bad.write_text(json.dumps(ITEMS[0].record()) + "\n" + json.dumps({**ITEMS[1].record(), "answer": "sofa"}) + "\n")
    with pytest.raises(ToMLabError, match=r"items.jsonl:2: gold answer 'sofa'"):
        read_jsonl(bad)


@pytest.mark.integration
def test_embedded_model_benchmark_end_to_end(tmp_path, embedded_model_dir):
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "benchmark_eval.py"), "--benchmark",
                           "strange_stories", "--limit", "2", "--chat", "--no_progress", "--output_dir",
                           str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "SmolLM2-135M-Instruct [chat] - strange_stories-yesno" in proc.stdout and "| all | all |" in proc.stdout


@pytest.mark.integration
@pytest.mark.parametrize("chat", [False, True], ids=["raw", "chat"])
def test_committed_benchmark_runs_are_found_complete(tmp_path, embedded_model_dir, chat):
    """The committed benchmark files keep their run keys: the README commands find them complete (no model load)."""
    import shutil

    shutil.copytree(ROOT / "results" / "answers_bf16" / "benchmarks", tmp_path, dirs_exist_ok=True)
    for benchmark in ("tomi", "strange_stories"):
        cfg = parse_benchmark_config(["--benchmark", benchmark, "--dtype", "bfloat16", "--no_progress",
                                      "--output_dir", str(tmp_path), *(["--chat"] if chat else [])])
        summary = run_benchmark(cfg)
        assert summary["answers_generated"] == 0 and all(f["status"] == "resume" for f in summary["files"])
