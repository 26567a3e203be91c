"""scripts/finetune_chain.py: order of the steps, chaining through disk, stop on failure, resume, the final ToM step.

The step logic is tested with the subprocesses stubbed (fast); the real chain on a tiny model is an integration test.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def chain_module():
    return runpy.run_path(str(ROOT / "scripts" / "finetune_chain.py"), run_name="chain_under_test")


def _fake_call(calls, fail_at=None):
    """Pretend to run each step: training writes an adapter, merging writes a model folder."""

    def call(cmd, cwd=None, env=None):
        calls.append(cmd)
        script = Path(cmd[1]).name
        if fail_at and fail_at in " ".join(cmd):
            return 3
        if script == "merge_peft_adapter.py":
            out = Path(cmd[cmd.index("--output_name") + 1])
            out.mkdir(parents=True)
            (out / "config.json").write_text("{}")
        elif script.startswith(("ppo_", "dpo_")):
            out = Path(cmd[cmd.index("--output_dir") + 1])
            (out / "final_checkpoint").mkdir(parents=True, exist_ok=True)
            (out / "final_checkpoint" / "adapter_config.json").write_text("{}")
            (out / "metrics.json").write_text(json.dumps({"metrics": {"eval_loss_before": 2.0,
                                                                      "eval_loss_after": 1.0}}))
        return 0

    return call


def test_chain_order_and_paths(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls))
    out = tmp_path / "ft"
    chain_module()["main"](["--out", str(out), "--smoke"])
    scripts = [Path(c[1]).name for c in calls]
    assert scripts == ["ppo_supervised_finetuning.py", "merge_peft_adapter.py", "ppo_reward_modeling.py",
                       "merge_peft_adapter.py", "ppo_rl_training.py", "merge_peft_adapter.py",
                       "dpo_supervised_finetuning.py", "merge_peft_adapter.py", "dpo_finetuning.py",
                       "merge_peft_adapter.py", "ToM_Eval_GPT4All_Finetune.py", "ToM_Eval_GPT4All_Finetune.py"]
    joined = [" ".join(c) for c in calls]
    assert f"--model_name {out}/ppo_sft" in joined[2]
    assert f"--model_name {out}/ppo_sft " in joined[4] and f"--reward_model_name {out}/ppo_rm " in joined[4]
    assert f"--model_name_or_path {out}/dpo_sft" in joined[8]
    assert f"--base_model_name {out}/ppo_sft --output_name {out}/ppo" in joined[5]
    assert all("--preset smoke" in j for j in joined[:10:2])
    for name in ("ppo", "dpo"):
        assert f"--model {out}/{name} --all_conditions --reps 1 --output_dir {out}/answers" in " ".join(
            [j for j in joined if "ToM_Eval" in j and f"{out}/{name} " in j])
    for name in ("ppo_sft", "ppo_rm", "ppo", "dpo_sft", "dpo"):
        assert (out / name / "config.json").is_file()
    state = json.loads((out / "chain.json").read_text())
    assert all(s["status"] == "done" for s in state["steps"].values()) and len(state["steps"]) == 12
    assert "held-out loss 2.000 -> 1.000" in capsys.readouterr().out


def test_failed_step_stops_the_chain_and_a_rerun_continues(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls, fail_at="ppo_rl_training.py"))
    out = tmp_path / "ft"
    with pytest.raises(SystemExit) as exc:
        chain_module()["main"](["--out", str(out), "--smoke", "--skip_eval"])
    assert "chain stopped: step 'ppo' failed (exit 3)" in str(exc.value)
    assert "kept in" in str(exc.value) and "merge ppo_rm" in str(exc.value)
    assert (out / "ppo_sft").is_dir() and (out / "ppo_rm").is_dir() and not (out / "dpo_sft").exists()
    assert len(calls) == 5
    calls.clear()
    monkeypatch.setattr(subprocess, "call", _fake_call(calls))
    chain_module()["main"](["--out", str(out), "--smoke", "--skip_eval"])
    assert Path(calls[0][1]).name == "ppo_rl_training.py" and len(calls) == 6
    assert "done earlier, skipped" in capsys.readouterr().out


def test_refuses_a_foreign_folder_and_other_settings(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(subprocess, "call", _fake_call([]))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(SystemExit) as exc:
        chain_module()["main"](["--out", str(tmp_path / "mine"), "--smoke"])
    assert exc.value.code == 2 and "holds no chain.json" in capsys.readouterr().err
    chain_module()["main"](["--out", str(tmp_path / "ft"), "--smoke", "--skip_eval"])
    with pytest.raises(SystemExit):
        chain_module()["main"](["--out", str(tmp_path / "ft"), "--skip_eval"])
    assert "other settings" in capsys.readouterr().err


@pytest.mark.integration
def test_real_chain_on_a_tiny_model(tiny_model_dir, tmp_path):
    """Every stage and merge for real (subprocesses), a couple of steps each; the ToM step is left out here."""
    out = tmp_path / "ft"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "finetune_chain.py"), "--out", str(out), "--smoke",
                           "--model_name", str(tiny_model_dir), "--skip_eval", "--stage_arg=--max_steps=2",
                           "--stage_arg=--max_train_samples=16", "--stage_arg=--max_eval_samples=8"],
                          capture_output=True, text=True, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "finetuning chain finished" in proc.stdout
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    for name in ("ppo_sft", "ppo", "dpo_sft", "dpo"):
        AutoModelForCausalLM.from_pretrained(out / name)
    AutoModelForSequenceClassification.from_pretrained(out / "ppo_rm")
