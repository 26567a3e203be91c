"""The scale rehearsal on tiny configurations of its two architectures (float32, the CPU): every row kind runs through
the project's own paths (build + save, the experiment runner, every finetuning stage's entry point), the bitsandbytes
rows say 'skipped: CUDA only', the table and the raw figures are written, models are built once, and bad input is
one error line. No figure is asserted beyond its presence: timings depend on the machine."""

from __future__ import annotations

import json
import runpy

import pytest

from tests.conftest import ROOT
from tomlab import scale
from tomlab.errors import ToMLabError


def script():
    return runpy.run_path(str(ROOT / "scripts" / "scale_rehearsal.py"), run_name="rehearsal_under_test")["main"]


@pytest.fixture
def cpu_only(monkeypatch):
    """The environment of a CPU machine without bitsandbytes, whatever this machine has."""
    def detect():
        return scale.Environment(device="cpu", cuda=False, bitsandbytes=False, description={
            "torch": "test", "torch_cuda": None, "transformers": "test", "device_name": "cpu", "gpu_memory_gib": None,
            "bitsandbytes": None})

    monkeypatch.setattr(scale, "detect_environment", detect)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_tiny_rehearsal_runs_every_path_and_writes_its_table(tiny_model_dir, tmp_path, cpu_only, capsys):
    out, work = tmp_path / "out", tmp_path / "work"
    args = ["--tiny", "--out", str(out), "--work_dir", str(work), "--tokenizer", str(tiny_model_dir), "--reps", "1",
            "--tokens", "2", "--steps", "2"]
    assert script()(args) == 0, "exit status 0: no row failed"
    report = json.loads((out / "rehearsal.json").read_text())
    printed = capsys.readouterr().out
    assert "CUDA is not available (torch test, a CPU-only build)" in printed
    rows = {r["name"]: r for r in report["rows"]}
    for arch in ("llama", "gptj"):
        assert rows[f"{arch}/build/full"]["status"] == "ok"
        assert "tiny configuration" in rows[f"{arch}/build/full"]["note"]
        experiment = rows[f"{arch}/experiment/full"]
        assert experiment["status"] == "ok", experiment["note"]
        assert experiment["figures"]["answers"] == 64 and 64 <= experiment["figures"]["new_tokens"] <= 128
        assert experiment["figures"]["answers_per_s"] > 0 and experiment["figures"]["dtype"] == "float32"
        for stage in scale.STAGES:
            row = rows[f"{arch}/{stage}/full"]
            assert row["status"] == "ok", row["figures"].get("traceback")
            assert row["figures"]["step_s"] is not None and row["figures"]["train_steps"] == 2
        for precision in scale.QUANTIZED:
            assert rows[f"{arch}/experiment/{precision}"]["status"] == "skipped"
            assert rows[f"{arch}/sft/{precision}"]["note"] == "CUDA only"
    table = (out / "table.md").read_text()
    assert "| Llama-2-7B-shaped-tiny | experiment | float32 | ok |" in table
    assert "| GPT-J-6B-shaped-tiny | dpo | 8bit | skipped: CUDA only |" in table
    assert "say nothing about theory of mind" in table
    assert not list(out.rglob("*.safetensors")), "models and adapters stay under --work_dir, never under --out"

    # A second run reuses the saved models and clears only its own scratch folder.
    assert script()(["--tiny", "--out", str(out), "--work_dir", str(work), "--tokenizer", str(tiny_model_dir),
                     "--precisions", "4bit", "--finetune_precisions", "4bit"]) == 0
    again = json.loads((out / "rehearsal.json").read_text())
    assert [r["status"] for r in again["rows"]] == ["ok", "ok"] + ["skipped"] * (len(again["rows"]) - 2)
    assert all(r["figures"]["reused"] for r in again["rows"][:2])


def test_the_published_configurations_and_the_vocabulary_deviation(tiny_model_dir):
    class BigTokenizer:  # the embedded SmolLM2 tokenizer's size, without loading it
        bos_token_id, eos_token_id, pad_token_id = 1, 2, 2

        def __len__(self):
            return 49152

    config, deviations = scale.model_config(scale.ARCHITECTURES["llama"], BigTokenizer(), tiny=False)
    assert (config.num_hidden_layers, config.hidden_size, config.intermediate_size, config.num_attention_heads,
            config.max_position_embeddings, config.rms_norm_eps) == (32, 4096, 11008, 32, 4096, 1e-5)
    assert config.vocab_size == 49152 and deviations == ["vocab_size 32000 -> 49152 to cover the tokenizer's "
                                                         "49152 tokens"]
    config, deviations = scale.model_config(scale.ARCHITECTURES["gptj"], BigTokenizer(), tiny=False)
    assert (config.n_layer, config.n_embd, config.n_head, config.rotary_dim, config.vocab_size,
            config.n_positions) == (28, 4096, 16, 64, 50400, 2048) and deviations == []


def test_a_row_past_its_limit_is_cut_and_the_budget_skips_what_would_overrun(tmp_path):
    import time

    with pytest.raises(scale.RowTimeout):
        with scale.time_limit(0.05):
            time.sleep(2)
    s = scale.RehearsalSettings(out=tmp_path / "out", budget_s=100)
    env = scale.Environment(device="cuda", cuda=True, bitsandbytes=True, description={})
    rows = scale.plan(s)
    assert [r.kind for r in rows[:4]] == ["build", "build", "experiment", "experiment"]
    rows[0].status = rows[1].status = "ok"
    done = next(r for r in rows if r.name == "llama/sft/4bit")
    done.status, done.wall_s = "ok", 60.0
    gptj_sft = next(r for r in rows if r.name == "gptj/sft/4bit")
    assert scale.skip_reason(gptj_sft, env, rows, 50.0, s) == "would overrun the budget (needs ~60 s, 50 s left)"
    assert scale.skip_reason(gptj_sft, env, rows, 70.0, s) is None


@pytest.mark.parametrize("args, message", [
    (["--archs", "opt"], "--archs opt: choose among llama, gptj"),
    (["--reps", "0"], "--reps 0: must be at least 1"),
    (["--finetune_precisions", "2bit"], "--finetune_precisions 2bit: choose among full, 8bit, 4bit"),
])
def test_bad_input_is_one_error_line_and_writes_nothing(tmp_path, args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        script()(["--out", str(tmp_path / "out"), "--work_dir", str(tmp_path / "work"), *args])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"
    assert not (tmp_path / "out").exists() and not (tmp_path / "work").exists()


def test_a_foreign_scratch_folder_is_refused(tmp_path):
    (tmp_path / "work" / "scratch").mkdir(parents=True)
    (tmp_path / "work" / "scratch" / "keep.txt").write_text("mine")
    with pytest.raises(ToMLabError, match="not a rehearsal scratch folder"):
        scale._fresh_scratch(tmp_path / "work" / "scratch")
    assert (tmp_path / "work" / "scratch" / "keep.txt").read_text() == "mine"
