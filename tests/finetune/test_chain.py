"""scripts/finetune_chain.py (tom-finetune-chain): order of the steps, chaining through disk, one SFT for PPO and
DPO, the optional on-policy pairs step, stop on failure, resume from complete merged models (and from a chain.json
whose steps ran as script files), the ToM step's model labels, times.

The step logic is tested with the subprocesses stubbed (fast); the real chain on a tiny model is an integration test.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def chain_main(argv):
    return runpy.run_path(str(ROOT / "scripts" / "finetune_chain.py"), run_name="chain_under_test")["main"](argv)


def _name(cmd):
    """The console script a step's command runs: ``python -m tomlab.commands.sft ...`` -> ``tom-sft``."""
    assert cmd[1] == "-m" and cmd[2].startswith("tomlab.commands."), cmd
    return "tom-" + cmd[2].rsplit(".", 1)[1].replace("_", "-")


def _fake_call(calls, fail_at=None):
    """Pretend to run each step: training writes an adapter and metrics, merging a complete model folder."""

    def call(cmd, cwd=None, env=None):
        calls.append((cmd, cwd, env))
        script = _name(cmd)
        if script == fail_at:
            if "--output_dir" in cmd:  # a stage that dies half-way leaves a partial output folder
                Path(cmd[cmd.index("--output_dir") + 1]).mkdir(parents=True)
            return 3
        if script == "tom-merge":
            out = Path(cmd[cmd.index("--output_name") + 1])
            out.mkdir(parents=True)
            for name in ("config.json", "MERGED.json", "model.safetensors"):
                (out / name).write_text("{}")
        elif script == "tom-on-policy-pairs":
            out = Path(cmd[cmd.index("--out") + 1])
            out.mkdir(parents=True)
            (out / "train.jsonl").write_text("")
            (out / "on_policy_summary.json").write_text("{}")
        elif script in ("tom-sft", "tom-reward", "tom-ppo", "tom-dpo"):
            out = Path(cmd[cmd.index("--output_dir") + 1])
            (out / "final_checkpoint").mkdir(parents=True, exist_ok=True)
            (out / "final_checkpoint" / "adapter_config.json").write_text("{}")
            (out / "metrics.json").write_text(json.dumps({"stage": "sft", "metrics": {"eval_loss_before": 2.0,
                                                                                       "eval_loss_after": 1.0}}))
        return 0

    return call


def _names(calls):
    return [_name(cmd) for cmd, _, _ in calls]


def test_chain_order_paths_and_labels(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls))
    out = tmp_path / "ft"
    chain_main(["--out", str(out), "--smoke", "--no-on_policy_pairs"])
    assert _names(calls) == ["tom-sft", "tom-merge", "tom-reward", "tom-merge", "tom-ppo", "tom-merge", "tom-dpo",
                             "tom-merge", "tom-eval", "tom-eval-finetuned", "tom-eval-finetuned", "tom-eval-finetuned",
                             "tom-finetune-report"]
    assert all(cmd[0] == sys.executable for cmd, _, _ in calls), "every step runs under the chain's interpreter"
    joined = [" ".join(cmd) for cmd, _, _ in calls]
    sft = out / "models" / "SmolLM2-135M-Instruct-SFT"
    assert f"--model_name {sft} " in joined[2] and "--dataset" not in joined[2]
    assert f"--model_name {sft} " in joined[4]
    assert f"--reward_model_name {out}/models/SmolLM2-135M-Instruct-RM" in joined[4]
    assert f"--model_name_or_path {sft} " in joined[6], "DPO starts from the one SFT model"
    assert f"--base_model_name {sft} --output_name {out}/models/SmolLM2-135M-Instruct-PPO" in joined[5]
    assert all("--preset smoke" in j for j in joined[:8:2])
    assert "--model embedded --prompt_format context --all_conditions --reps 1" in joined[8]
    assert joined[12].endswith(f"--answers {out}/answers --run {out} --out {out}/report"), "the study's report last"
    for (cmd, cwd, env), label in zip(calls[9:12], ("SFT", "PPO", "DPO")):
        assert cwd == out / "models" and cmd[cmd.index("--model") + 1] == f"SmolLM2-135M-Instruct-{label}"
        assert cmd[cmd.index("--output_dir") + 1] == str(out / "answers")
        assert str(ROOT) in env["PYTHONPATH"].split(os.pathsep), "the stage scripts import this checkout's tomlab"
    state = json.loads((out / "chain.json").read_text())
    assert all(s["status"] == "done" and "wall_s" in s for s in state["steps"].values()) and len(state["steps"]) == 12
    assert state["machine"]["cpu_count"] == os.cpu_count()
    printed = capsys.readouterr().out
    assert "held-out loss 2.000 -> 1.000" in printed and "total" in printed
    summary = (out / "summary.md").read_text()
    assert "| sft |" in summary and "| ToM DPO |" in summary and "**total**" in summary


def test_tom_answers_land_in_the_run_folder_for_a_relative_out(tmp_path, monkeypatch):
    """The finetuned models' ToM steps run from <out>/models: a relative --out still answers into <out>/answers."""
    from tomlab.finetune.chain import ChainSettings, plan

    monkeypatch.chdir(tmp_path)
    c = ChainSettings(out=Path("rel/ft"), preset="smoke", model="embedded", revision=None, dataset=None, reps=1,
                      on_policy=False)
    evals = [s for s in plan(c) if s.kind == "eval"]
    assert len(evals) == 4
    for step in evals:
        target = Path(step.cmd[step.cmd.index("--output_dir") + 1])
        assert target == tmp_path / "rel" / "ft" / "answers"


def test_on_policy_pairs_feed_the_reward_model_and_dpo(tmp_path, monkeypatch):
    import tomlab.finetune.chain as chain

    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls))
    out = tmp_path / "ft"
    chain.run_chain(chain.ChainSettings(out=out, preset="smoke", model="embedded", revision=None, dataset=None,
                                        reps=1, on_policy=True, skip_eval=True))
    names = _names(calls)
    assert names[:4] == ["tom-sft", "tom-merge", "tom-on-policy-pairs", "tom-reward"]
    joined = {_name(cmd): " ".join(cmd) for cmd, _, _ in calls}
    assert f"--model {out}/models/SmolLM2-135M-Instruct-SFT --data " in joined["tom-on-policy-pairs"]
    assert f"--out {out}/data" in joined["tom-on-policy-pairs"]
    assert f"--dataset {out}/data" in joined["tom-reward"] and f"--dataset {out}/data" in joined["tom-dpo"]
    assert "--dataset" not in joined["tom-ppo"], "PPO's prompts come from the original data"


def test_on_policy_pairs_are_on_by_default_and_skipped_when_complete(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls))
    out = tmp_path / "ft"
    chain_main(["--out", str(out), "--smoke", "--skip_eval"])
    assert "tom-on-policy-pairs" in _names(calls)
    state = json.loads((out / "chain.json").read_text())
    assert state["settings"]["on_policy_pairs"] is True
    calls.clear()
    chain_main(["--out", str(out), "--smoke", "--skip_eval"])
    assert calls == []


def test_failed_step_stops_the_chain_and_a_rerun_continues(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls, fail_at="tom-ppo"))
    out = tmp_path / "ft"
    with pytest.raises(SystemExit) as exc:
        chain_main(["--out", str(out), "--smoke", "--skip_eval", "--no-on_policy_pairs"])
    assert "chain stopped: step 'ppo' failed (exit 3)" in str(exc.value)
    assert "kept in" in str(exc.value) and "merge reward" in str(exc.value)
    assert (out / "models" / "SmolLM2-135M-Instruct-RM").is_dir() and len(calls) == 5
    calls.clear()
    monkeypatch.setattr(subprocess, "call", _fake_call(calls))
    chain_main(["--out", str(out), "--smoke", "--skip_eval", "--no-on_policy_pairs"])
    assert _names(calls) == ["tom-ppo", "tom-merge", "tom-dpo", "tom-merge"]
    assert "--overwrite" in calls[0][0], "the partial PPO output is started again"
    assert "done earlier, skipped" in capsys.readouterr().out


def test_complete_merged_models_are_skipped_without_the_state_file(tmp_path, monkeypatch):
    """An interrupted chain resumes from what is on disk: a stage whose merged model is complete is not rerun."""
    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls))
    out = tmp_path / "ft"
    chain_main(["--out", str(out), "--smoke", "--skip_eval", "--no-on_policy_pairs"])
    state = json.loads((out / "chain.json").read_text())
    state["steps"] = {}
    (out / "chain.json").write_text(json.dumps(state))
    calls.clear()
    chain_main(["--out", str(out), "--smoke", "--skip_eval", "--no-on_policy_pairs"])
    assert calls == []


def test_a_chain_recorded_with_script_paths_resumes(tmp_path, monkeypatch):
    """A chain.json whose steps ran as script files (``python PPO/ppo_supervised_finetuning.py ...``) resumes: the
    finished steps are skipped by their outputs, the ToM steps by their arguments; only the report is written again."""
    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls))
    out = tmp_path / "ft"
    chain_main(["--out", str(out), "--smoke", "--no-on_policy_pairs"])
    state = json.loads((out / "chain.json").read_text())
    files = {"tom-sft": "PPO/ppo_supervised_finetuning.py", "tom-merge": "merge_peft_adapter.py",
             "tom-reward": "PPO/ppo_reward_modeling.py", "tom-ppo": "PPO/ppo_rl_training.py",
             "tom-dpo": "DPO/dpo_finetuning.py", "tom-eval": "ToM_Experiment/tom_eval.py",
             "tom-eval-finetuned": "ToM_Experiment/ToM_Eval_GPT4All_Finetune.py"}
    for entry in state["steps"].values():
        entry["cmd"] = [entry["cmd"][0], str(ROOT / files[_name(entry["cmd"])]), *entry["cmd"][3:]]
    (out / "chain.json").write_text(json.dumps(state))
    calls.clear()
    chain_main(["--out", str(out), "--smoke", "--no-on_policy_pairs"])
    assert _names(calls) == ["tom-finetune-report"]


def test_answers_of_a_retrained_model_are_asked_again(tmp_path, monkeypatch):
    """The ToM runner finds its answer files by the model's label: after a stage is trained anew, the chain makes it
    regenerate them instead of reusing the old model's answers."""
    import shutil

    calls = []
    monkeypatch.setattr(subprocess, "call", _fake_call(calls))
    out = tmp_path / "ft"
    chain_main(["--out", str(out), "--smoke", "--no-on_policy_pairs"])
    shutil.rmtree(out / "models" / "SmolLM2-135M-Instruct-DPO")
    calls.clear()
    chain_main(["--out", str(out), "--smoke", "--no-on_policy_pairs"])
    overwritten = {cmd[cmd.index("--model") + 1] for cmd, _, _ in calls if "--overwrite" in cmd}
    assert overwritten == {"SmolLM2-135M-Instruct-DPO"}


def test_refuses_a_foreign_folder_and_other_settings(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(subprocess, "call", _fake_call([]))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(SystemExit) as exc:
        chain_main(["--out", str(tmp_path / "mine"), "--smoke", "--no-on_policy_pairs"])
    assert exc.value.code == 2 and "holds no chain.json" in capsys.readouterr().err
    chain_main(["--out", str(tmp_path / "ft"), "--smoke", "--skip_eval", "--no-on_policy_pairs"])
    with pytest.raises(SystemExit):
        chain_main(["--out", str(tmp_path / "ft"), "--skip_eval", "--no-on_policy_pairs"])
    assert "other settings" in capsys.readouterr().err


@pytest.mark.integration
def test_real_chain_on_a_tiny_model(tiny_model_dir, tmp_path):
    """Every stage and merge for real (subprocesses), a couple of steps each; the ToM step is left out here."""
    out = tmp_path / "ft"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "finetune_chain.py"), "--out", str(out), "--smoke",
                           "--model_name", str(tiny_model_dir), "--skip_eval", "--no-on_policy_pairs",
                           "--stage_arg=--max_steps=2", "--stage_arg=--max_train_samples=16",
                           "--stage_arg=--max_eval_samples=8", "--stage_arg=--heldout_prompts=4"],
                          capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1",
                               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "finetuning chain finished" in proc.stdout
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    label = tiny_model_dir.name
    for suffix in ("SFT", "PPO", "DPO"):
        AutoModelForCausalLM.from_pretrained(out / "models" / f"{label}-{suffix}")
    AutoModelForSequenceClassification.from_pretrained(out / "models" / f"{label}-RM")
    assert {p.name for p in (out / "curves").glob("*.png")} == {"sft.png", "reward.png", "ppo.png", "dpo.png"}
