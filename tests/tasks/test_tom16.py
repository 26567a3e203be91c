"""The runner: answer files, resume after a crash, overwrite protection, bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tomlab import answers as answers_mod
from tomlab.errors import ToMLabError
from tomlab.eval.config import parse_config
from tomlab.eval.registry import get
from tomlab.eval.runner import evaluate

ORIGINAL_KEYS = {"model", "step-by_step reasoning", "chain-of-thougth examples", "model parameter", "scenarios"}


def run_experiment(config):
    """The 16 scenarios alone, as tom_eval.py asks them (the default --tasks)."""
    return evaluate([(get("tom16"), config)])


def cfg(tmp_path, model, *extra):
    return parse_config(["--model", str(model), "--reps", "3", "--tokens", "8", "--no_progress", "--dtype", "float32",
                         "--output_dir", str(tmp_path / "answers"), *extra])


def read_all(folder):
    return {p.name: json.loads(p.read_text()) for p in sorted(Path(folder).rglob("*.json"))}


def test_answer_file_schema(tmp_path, tiny_model_dir):
    summary = run_experiment(cfg(tmp_path, tiny_model_dir, "--sbs", "--cot"))
    (f,) = summary["files"]
    data = json.loads(Path(f["path"]).read_text())
    assert ORIGINAL_KEYS <= set(data)
    assert data["step-by_step reasoning"] and data["chain-of-thougth examples"]
    assert data["model parameter"] == {"max_new_tokens": 8, "top k": 50, "top p": 0.95, "do sample": True,
                                       "temperature": 0.4}
    assert data["prompting"] == "SbS+CoT" and data["complete"] is True
    assert len(data["scenarios"]) == 16
    s = data["scenarios"][0]
    assert {"scenario id", "answers", "prompt", "gold answer", "question", "context"} <= set(s)
    assert [a["repetition"] for a in s["answers"]] == [1, 2, 3]
    a = s["answers"][0]
    assert {"repetition", "output", "time", "finish_reason", "new_tokens", "seed"} <= set(a)
    assert not a["output"].startswith(s["prompt"][:30])
    run = data["run"]
    for key in ("seed", "revision", "dtype", "code_version", "run_key", "started", "finished", "generation_seconds"):
        assert key in run
    assert f["path"].startswith(str(tmp_path / "answers"))


def test_same_seed_same_answers_and_distinct_paths(tmp_path, tiny_model_dir):
    a = run_experiment(cfg(tmp_path / "a", tiny_model_dir))
    b = run_experiment(cfg(tmp_path / "b", tiny_model_dir))
    c = run_experiment(cfg(tmp_path / "a", tiny_model_dir, "--seed", "1"))
    load = lambda s: json.loads(Path(s["files"][0]["path"]).read_text())["scenarios"]  # noqa: E731
    assert load(a) == [{**x, "answers": [{**y, "time": z["time"]} for y, z in zip(x["answers"], w["answers"])]}
                       for x, w in zip(load(b), load(a))]
    assert c["files"][0]["path"] != a["files"][0]["path"]  # another run never collides


def test_resume_after_crash(tmp_path, tiny_model_dir, monkeypatch):
    run_experiment(cfg(tmp_path / "ref", tiny_model_dir, "--all_conditions"))
    calls = {"n": 0}
    original_add = answers_mod.AnswerFile.add

    def crashing_add(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 70:
            raise KeyboardInterrupt  # killed mid-run
        original_add(self, *args, **kwargs)

    monkeypatch.setattr(answers_mod.AnswerFile, "add", crashing_add)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(cfg(tmp_path / "run", tiny_model_dir, "--all_conditions"))
    partial = read_all(tmp_path / "run")
    saved = sum(len(s["answers"]) for d in partial.values() for s in d["scenarios"])
    assert 0 < saved < 4 * 16 * 3 and not all(d["complete"] for d in partial.values())
    assert not list((tmp_path / "run").rglob("*.lock"))
    monkeypatch.setattr(answers_mod.AnswerFile, "add", original_add)
    resumed = run_experiment(cfg(tmp_path / "run", tiny_model_dir, "--all_conditions"))
    assert resumed["answers_generated"] == 4 * 16 * 3 - saved
    got, want = read_all(tmp_path / "run"), read_all(tmp_path / "ref")
    assert got.keys() == want.keys()
    for name in got:
        assert got[name]["complete"]
        for gs, ws in zip(got[name]["scenarios"], want[name]["scenarios"]):
            assert [(a["repetition"], a["output"]) for a in gs["answers"]] == \
                   [(a["repetition"], a["output"]) for a in ws["answers"]]


def test_finished_file_not_overwritten(tmp_path, tiny_model_dir):
    out = tmp_path / "mine.json"
    run_experiment(cfg(tmp_path, tiny_model_dir, "--output", str(out)))
    before = out.read_bytes()
    again = run_experiment(cfg(tmp_path, tiny_model_dir, "--output", str(out)))
    assert again["answers_generated"] == 0 and out.read_bytes() == before
    with pytest.raises(ToMLabError, match="another run"):
        run_experiment(cfg(tmp_path, tiny_model_dir, "--output", str(out), "--seed", "5"))
    assert out.read_bytes() == before
    redo = run_experiment(cfg(tmp_path, tiny_model_dir, "--output", str(out), "--overwrite", "--seed", "5"))
    assert redo["answers_generated"] == 48


def test_more_reps_extend_a_file(tmp_path, tiny_model_dir):
    out = tmp_path / "grow.json"
    run_experiment(cfg(tmp_path, tiny_model_dir, "--output", str(out)))
    more = run_experiment(cfg(tmp_path, tiny_model_dir, "--output", str(out), "--reps", "4"))
    assert more["answers_generated"] == 16
    data = json.loads(out.read_text())
    assert all([a["repetition"] for a in s["answers"]] == [1, 2, 3, 4] for s in data["scenarios"])


def _write(path, obj):
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


BAD_INPUTS = [
    (["--reps", "0"], "--reps"),
    (["--tokens", "0"], "--tokens"),
    (["--top_p", "1.5"], "--top_p"),
    (["--temp", "-1"], "--temp"),
    (["--top_k", "-3"], "--top_k"),
    (["--load_in_8bit"], "CUDA"),
    (["--model", "./no/such/model"], "no such local folder"),
    (["--model", "missing.gguf"], "missing.gguf"),
    (["--scenarios", "nope.json"], "nope.json"),
    (["--scenarios", "{bad}"], "not valid JSON"),
    (["--scenarios", {"scenarios": [{"id": 1, "context": "c", "question": "q", "answer": "maybe"}]}], "maybe"),
    (["--scenarios", {"scenarios": [{"id": 1, "context": "c", "question": "q", "answer": "yes"},
                                    {"id": 1, "context": "c", "question": "q", "answer": "no"}]}], "duplicate"),
    (["--scenarios", {"scenarios": [{"id": 1, "question": "q", "answer": "yes"}]}], "context"),
    (["--cot", "--cot_examples", {"scenarios": [{"context": "c", "question": "q"}]}], "answer"),
]


@pytest.mark.parametrize("argv,culprit", BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_bad_input_one_line_exit_2(tmp_path, tiny_model_dir, argv, culprit):
    argv = [str(_write(tmp_path / f"bad{i}.json", a)) if isinstance(a, dict) or a.startswith("{") else a
            for i, a in enumerate(argv)]
    if "--model" not in argv:
        argv += ["--model", str(tiny_model_dir)]
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "tom_eval.py"), *argv, "--no_progress",
                           "--output_dir", str(tmp_path / "out")], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and culprit in lines[0], proc.stderr
    assert not (tmp_path / "out").exists()


def test_output_under_a_regular_file_is_one_error_line(tmp_path, tiny_model_dir):
    blocker = _write(tmp_path / "some_file", "not a folder")
    for flag, target in (("--output", blocker / "x.json"), ("--output_dir", blocker / "answers")):
        proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "tom_eval.py"), "--model",
                               str(tiny_model_dir), "--no_progress", flag, str(target)],
                              capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        (line,) = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
        assert flag in line and "is a file" in line
    assert blocker.read_text() == "not a folder"


def test_run_block_names_no_machine(tmp_path, tiny_model_dir):
    summary = run_experiment(cfg(tmp_path, tiny_model_dir, "--cot"))
    run = json.loads(Path(summary["files"][0]["path"]).read_text())["run"]
    assert run["scenarios_file"] == "data/tom_scenarios.json"
    assert run["cot_examples_file"] == "data/cot_example_scenarios.json"
    assert run["model_path"] == str(tiny_model_dir)  # outside the clone: as given


def test_each_flag_in_both_spellings_and_its_original_alias():
    default = parse_config([])
    assert (default.repetitions, default.max_new_tokens, default.top_k, default.top_p, default.temperature) == \
           (20, 128, 50, 0.95, 0.4)
    assert default.sampling.do_sample and default.progress and default.grade and default.model_label is None
    spellings = [
        ["--reps", "3", "--tokens", "9", "--temp", "0", "--top_k", "7", "--sbs", "--cot", "--cot_examples", "x.json",
         "--no_progress", "--output_dir", "o"],
        ["--repetitions", "3", "--max-new-tokens", "9", "--temperature", "0", "--top-k", "7", "--step-by-step",
         "--chain-of-thought", "--cot-examples", "x.json", "--no-progress", "--output-dir", "o"],
    ]
    a, b = (parse_config(argv) for argv in spellings)
    assert a == b
    assert a.sampling.max_new_tokens == 9 and a.sampling.top_k == 7 and not a.sampling.do_sample
    assert a.conditions[0].name == "SbS+CoT" and a.cot_examples == Path("x.json") and not a.progress


def test_unknown_flag_is_one_error_line_exit_2():
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "tom_eval.py"), "--no_such_flag", "1"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if "error:" in x]
    assert "--no_such_flag" in line


def test_model_label_names_the_files_and_enters_the_key_only_when_given(tmp_path, tiny_model_dir):
    plain = run_experiment(cfg(tmp_path, tiny_model_dir))
    labelled = run_experiment(cfg(tmp_path, tiny_model_dir, "--model_label", "tiny-SFT"))
    (p,), (q,) = plain["files"], labelled["files"]
    assert Path(q["path"]).parent.name == "tiny-SFT" and Path(q["path"]).name.startswith("Results_tiny-SFT_Base_")
    data = json.loads(Path(q["path"]).read_text())
    assert data["run"]["model_name"] == "tiny-SFT" and labelled["model"] == "tiny-SFT"
    assert data["run"]["run_key"] != json.loads(Path(p["path"]).read_text())["run"]["run_key"]
    answers = lambda path: [a["output"] for s in json.loads(Path(path).read_text())["scenarios"]  # noqa: E731
                            for a in s["answers"]]
    assert answers(p["path"]) == answers(q["path"])  # a label names the run; it changes no answer


@pytest.mark.integration
@pytest.mark.parametrize("chat", [False, True], ids=["raw", "chat"])
@pytest.mark.parametrize("dtype", ["auto", "bfloat16"])
def test_committed_runs_are_found_complete(tmp_path, embedded_model_dir, chat, dtype):
    """Without --model_label the run key hashes what it always did: the README command finds every committed file
    (copied elsewhere) complete and loads no model: the float32 default's under results/answers, and with --dtype
    bfloat16 the earlier bf16 runs under results/answers_bf16, on any CPU."""
    import shutil

    folder = "SmolLM2-135M-Instruct" + ("-chat" if chat else "")
    shutil.copytree(ROOT / "results" / ("answers" if dtype == "auto" else "answers_bf16") / folder, tmp_path / folder)
    config = parse_config(["--all_conditions", "--dtype", dtype, "--no_progress", "--output_dir", str(tmp_path),
                           *(["--chat"] if chat else [])])
    summary = run_experiment(config)
    assert summary["answers_generated"] == 0
    assert [f["status"] for f in summary["files"]] == ["resume"] * 4 and all(f["complete"] for f in summary["files"])


def test_presets_share_the_flags():
    for script, model in [("ToM_Eval_GPT4All.py", "nomic-ai/gpt4all-j"),
                          ("Tom_Eval_LLaMa2.py", "meta-llama/Llama-2-7b-hf"),
                          ("Tom_Eval_LLaMa2-Chat.py", "meta-llama/Llama-2-7b-chat-hf")]:
        out = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / script), "--help"], capture_output=True,
                             text=True, env={**os.environ, "COLUMNS": "300"})
        assert out.returncode == 0 and "--all_conditions" in out.stdout and model in out.stdout
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "ToM_Eval_GPT4All_Finetune.py")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "--model" in proc.stderr


def test_finetune_preset_uses_context_format(tmp_path, tiny_model_dir):
    out = tmp_path / "ft.json"
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "ToM_Eval_GPT4All_Finetune.py"), "--model",
                           str(tiny_model_dir), "--reps", "1", "--tokens", "4", "--no_progress", "--output", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["prompt_format"] == "context"
    assert data["scenarios"][0]["prompt"].startswith("Answer the following question in context:\n\nContext: ")


@pytest.mark.integration
def test_embedded_model_end_to_end(tmp_path, embedded_model_dir):
    scen = json.loads((ROOT / "data" / "tom_scenarios.json").read_text())
    scen["scenarios"] = scen["scenarios"][:2]
    path = _write(tmp_path / "two.json", scen)
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "tom_eval.py"), "--reps", "2", "--cot",
                           "--scenarios", str(path), "--output", str(tmp_path / "e.json"), "--no_progress"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "e.json").read_text())
    assert data["model"] == "SmolLM2-135M-Instruct" and data["complete"]
    outputs = [a["output"] for s in data["scenarios"] for a in s["answers"]]
    assert len(outputs) == 4 and all("Scenario:" not in o for o in outputs)
    assert "graded accuracy" in proc.stdout


#: Simulated processors for the reproduction test: caps on the instruction sets of torch's own kernels (ATen), oneDNN
#: and MKL. "native" is whatever machine runs the test; "avx2" is an AVX2-only CPU (on an AVX-512 or AMX machine);
#: "sse4" the oldest x86-64 kernel path of all three libraries.
SIMULATED_CPUS = {
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "sse4": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
}
#: Repetitions asked under each simulated CPU (None: all 20, the README command itself). The SSE kernels are about
#: three times slower, so that run asks the first 5 repetitions of every scenario: per-answer seeds make them the
#: committed file's first 5, and in float32 an answer does not depend on its batch.
SIMULATED_REPS = {"native": None, "avx2": None, "sse4": 5}


def _answers(data: dict, reps: int | None = None) -> list:
    return [(s["scenario id"], a["repetition"], a["output"]) for s in data["scenarios"] for a in s["answers"]
            if reps is None or a["repetition"] <= reps]


def _committed(folder: str, prompting: str = "Base") -> Path:
    (path,) = sorted((ROOT / "results" / folder).glob(f"Results_*_{prompting}_*.json"))
    return path


@pytest.mark.integration
@pytest.mark.parametrize("cpu", list(SIMULATED_CPUS))
def test_readme_command_reproduces_the_committed_base_file(tmp_path, embedded_model_dir, cpu):
    """In the default dtype (float32 on every CPU) the README command regenerates every committed Base answer, on
    this machine and under simulated processors: batches never mix prompting types, and float32 answers do not
    follow the kernel path."""
    want = json.loads(_committed("answers/SmolLM2-135M-Instruct").read_text())
    out, reps = tmp_path / "base.json", SIMULATED_REPS[cpu]
    env = {k: v for k, v in os.environ.items() if k not in SIMULATED_CPUS["sse4"]} | SIMULATED_CPUS[cpu]
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "tom_eval.py"), "--output", str(out),
                           "--no_progress", "--no_grade", *(["--reps", str(reps)] if reps else [])],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(out.read_text())
    caps = {k: v for k, v in got["run"]["kernel_path"]["isa_caps"].items() if k in SIMULATED_CPUS["sse4"]}
    assert got["run"]["dtype"] == "float32" and caps == SIMULATED_CPUS[cpu]
    if reps is None:  # the README command itself: the same run key, so a fresh clone finds the committed file
        assert got["run"]["run_key"] == want["run"]["run_key"]
    assert _answers(got) == _answers(want, reps) and len(_answers(got)) == 16 * (reps or 20)


#: bf16 answers follow the kernel path (AMX, AVX512-BF16, AVX2 emulation), so a fresh bf16 run is held to the
#: committed bf16 file in distribution: the Base accuracy of the first BF16_REPS repetitions (the same per-answer
#: seeds on both sides, so they differ only by rounding) within BF16_TOLERANCE. Measured: 0.106 committed (320
#: answers), 0.081 on an AMX Xeon. 0.12 is 2.5 standard errors of the difference of two independent 80-answer
#: accuracies near 0.1; answers drawn with the same seeds differ less.
BF16_REPS = 5
BF16_TOLERANCE = 0.12


@pytest.mark.integration
def test_bf16_agrees_with_the_committed_bf16_run_in_distribution(tmp_path, embedded_model_dir):
    from tomlab.grading.files import grade_answer_file

    committed = json.loads(_committed("answers_bf16/SmolLM2-135M-Instruct").read_text())
    for s in committed["scenarios"]:
        s["answers"] = [a for a in s["answers"] if a["repetition"] <= BF16_REPS]
    (tmp_path / "committed.json").write_text(json.dumps(committed))
    out = tmp_path / "fresh.json"
    proc = subprocess.run([sys.executable, str(ROOT / "ToM_Experiment" / "tom_eval.py"), "--dtype", "bfloat16",
                           "--reps", str(BF16_REPS), "--output", str(out), "--no_progress", "--no_grade"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    fresh, want = grade_answer_file(out), grade_answer_file(tmp_path / "committed.json")
    assert fresh.n == want.n == 16 * BF16_REPS
    assert abs(fresh.accuracy - want.accuracy) <= BF16_TOLERANCE
