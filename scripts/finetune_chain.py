#!/usr/bin/env python
"""The whole finetuning study in one command (``make finetune`` / ``make finetune SMOKE=1 OUT=<dir>``).

    SFT -> merge -> reward model -> merge -> PPO -> merge      => <out>/ppo_sft, <out>/ppo_rm, <out>/ppo
    SFT -> merge -> DPO -> merge                               => <out>/dpo_sft, <out>/dpo
    ToM experiment (all four prompting types, few reps) on <out>/ppo and <out>/dpo => <out>/answers/

Every step is the stage script a researcher would run by hand, started as a subprocess (its progress bars stream
through). Training outputs (checkpoints, adapters, metrics.json) go to <out>/train/<stage>/. A failed step stops the
chain and keeps everything earlier steps wrote; running the same command again skips the finished steps (recorded in
<out>/chain.json, whose per-step wall times and metrics are printed at the end).

    python scripts/finetune_chain.py --out runs/finetune                 # preset small: the embedded model, CPU
    python scripts/finetune_chain.py --out /tmp/ft_smoke --smoke         # preset smoke: a handful of steps
    python scripts/finetune_chain.py --out runs/gptj --preset gpt4all-j  # the original recipe (GPUs)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tomlab.errors import ToMLabError, cli_main
from tomlab.io import atomic_write_json

ROOT = Path(__file__).resolve().parent.parent
TOM_RUNNER = ROOT / "ToM_Experiment" / "ToM_Eval_GPT4All_Finetune.py"
STATE = "chain.json"


def plan(out: Path, model: str, preset: str, dataset: str | None, reps: int, eval_args: list[str],
         stage_args: list[str], skip_eval: bool) -> list[dict]:
    """The ordered steps: name, command, and the folder whose presence means the step is done."""
    py = sys.executable
    common = ["--preset", preset] + (["--dataset", dataset] if dataset else []) + stage_args
    train = out / "train"

    def stage(name, script, flag, base, extra=()):
        return {"name": name, "kind": "train", "output": str(train / name / "final_checkpoint"),
                "cmd": [py, str(ROOT / script), flag, base, "--output_dir", str(train / name), *extra, *common]}

    def merge(name, base, revision=None):
        cmd = [py, str(ROOT / "merge_peft_adapter.py"), "--adapter_model_name",
               str(train / name / "final_checkpoint"), "--base_model_name", base, "--output_name", str(out / name)]
        if revision:
            cmd += ["--base_model_revision", revision]
        return {"name": f"merge {name}", "kind": "merge", "output": str(out / name), "cmd": cmd}

    revision = ["--revision", "v1.3-groovy"] if preset == "gpt4all-j" and model == "nomic-ai/gpt4all-j" else []
    rev = revision[1] if revision else None
    steps = [
        stage("ppo_sft", "PPO/ppo_supervised_finetuning.py", "--model_name", model, revision),
        merge("ppo_sft", model, rev),
        stage("ppo_rm", "PPO/ppo_reward_modeling.py", "--model_name", str(out / "ppo_sft")),
        merge("ppo_rm", str(out / "ppo_sft")),
        stage("ppo", "PPO/ppo_rl_training.py", "--model_name", str(out / "ppo_sft"),
              ["--reward_model_name", str(out / "ppo_rm")]),
        merge("ppo", str(out / "ppo_sft")),
        stage("dpo_sft", "DPO/dpo_supervised_finetuning.py", "--model_name", model, revision),
        merge("dpo_sft", model, rev),
        stage("dpo", "DPO/dpo_finetuning.py", "--model_name_or_path", str(out / "dpo_sft")),
        merge("dpo", str(out / "dpo_sft")),
    ]
    if not skip_eval:
        for name in ("ppo", "dpo"):
            steps.append({"name": f"ToM experiment {name}", "kind": "eval", "output": None,
                          "cmd": [py, str(TOM_RUNNER), "--model", str(out / name), "--all_conditions", "--reps",
                                  str(reps), "--output_dir", str(out / "answers"), *eval_args]})
    return steps


def _load_state(out: Path, settings: dict) -> dict:
    state_file = out / STATE
    if state_file.is_file():
        state = json.loads(state_file.read_text())
        if state.get("settings") != settings:
            raise ToMLabError(f"--out {out} holds a chain run with other settings ({state.get('settings')}); "
                              "use another --out or the same settings")
        return state
    if out.exists() and any(out.iterdir()):
        raise ToMLabError(f"--out {out} exists, is not empty and holds no {STATE}: choose another folder")
    return {"settings": settings, "steps": {}}


def _metrics(step: dict) -> dict | None:
    if step["kind"] != "train":
        return None
    path = Path(step["output"]).parent / "metrics.json"
    if path.is_file():
        return json.loads(path.read_text()).get("metrics")
    return None


def _short(metrics: dict | None) -> str:
    """One line per stage: the metric that says it learned something."""
    if not metrics:
        return ""

    def f(key):
        value = metrics.get(key)
        return f"{value:.3f}" if isinstance(value, (int, float)) else "n/a"

    if "eval_loss_before" in metrics:
        return f"held-out loss {f('eval_loss_before')} -> {f('eval_loss_after')}"
    if "eval_accuracy_before" in metrics:
        return f"pairwise accuracy {f('eval_accuracy_before')} -> {f('eval_accuracy_after')}"
    if "mean_reward_first" in metrics:
        return f"mean reward {f('mean_reward_first')} -> {f('mean_reward_last')}, KL {f('kl_last')}"
    if "eval_reward_accuracy" in metrics:
        return f"reward accuracy {f('eval_reward_accuracy')}, margin {f('eval_reward_margin')}"
    return ""


def run_chain(args) -> dict:
    out = Path(args.out)
    preset = "smoke" if args.smoke else args.preset
    reps = args.reps if args.reps is not None else (1 if args.smoke else 3)
    settings = {"preset": preset, "model": args.model_name, "dataset": args.dataset}
    state = _load_state(out, settings)
    out.mkdir(parents=True, exist_ok=True)
    steps = plan(out, args.model_name, preset, args.dataset, reps, args.eval_args, args.stage_args, args.skip_eval)
    if not args.skip_eval and not TOM_RUNNER.is_file():
        print(f"warning: {TOM_RUNNER.relative_to(ROOT)} is missing: the final ToM experiment step will fail",
              file=sys.stderr, flush=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    chain_start = time.time()
    for i, step in enumerate(steps, 1):
        name = step["name"]
        done = state["steps"].get(name, {}).get("status") == "done"
        if step["output"] and step["kind"] == "merge":
            done = done and Path(step["output"]).is_dir()
        elif step["output"]:
            done = done or (Path(step["output"]) / "adapter_config.json").is_file()
        if done:
            print(f"[{i}/{len(steps)}] {name}: done earlier, skipped", flush=True)
            continue
        if step["kind"] == "train" and (Path(step["output"]).parent).exists():
            step["cmd"].append("--overwrite")  # a partial run of this chain-owned step: start it again
        if step["kind"] == "merge" and Path(step["output"]).exists():
            raise ToMLabError(f"{step['output']} exists but the chain did not record it: remove it to rerun")
        print(f"\n[{i}/{len(steps)}] {name}\n$ {' '.join(step['cmd'])}", flush=True)
        start = time.time()
        rc = subprocess.call(step["cmd"], cwd=ROOT, env=env)
        wall = time.time() - start
        entry = {"status": "done" if rc == 0 else "failed", "exit": rc, "wall_s": round(wall, 1),
                 "metrics": _metrics(step) if rc == 0 else None}
        state["steps"][name] = entry
        atomic_write_json(out / STATE, state)
        if rc != 0:
            kept = [s["name"] for s in steps if state["steps"].get(s["name"], {}).get("status") == "done"]
            raise SystemExit(f"\nchain stopped: step '{name}' failed (exit {rc}) after {wall:.0f} s.\n"
                             f"kept in {out}: {', '.join(kept) or 'nothing yet'}.\n"
                             f"fix the cause and run the same command again to continue from '{name}'.")
    state["total_wall_s"] = round(sum(s.get("wall_s", 0) for s in state["steps"].values()), 1)
    atomic_write_json(out / STATE, state)
    print(f"\n=== finetuning chain finished ({preset}) in {time.time() - chain_start:.0f} s this run ===")
    for step in steps:
        entry = state["steps"].get(step["name"], {})
        print(f"  {step['name']:<22} {entry.get('wall_s', 0):>8.1f} s   {_short(entry.get('metrics'))}")
    print(f"  {'total':<22} {state['total_wall_s']:>8.1f} s")
    print(f"merged models: {', '.join(str(out / n) for n in ('ppo_sft', 'ppo_rm', 'ppo', 'dpo_sft', 'dpo'))}")
    if not args.skip_eval:
        print(f"ToM answers: {out / 'answers'}")
    return state


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/finetune", help="output folder (default runs/finetune)")
    ap.add_argument("--smoke", action="store_true", help="a handful of steps per stage (preset smoke, 1 rep)")
    ap.add_argument("--preset", default="small", help="stage preset when not --smoke (small | gpt4all-j)")
    ap.add_argument("--model_name", default=None,
                    help="base model (default: embedded; nomic-ai/gpt4all-j with --preset gpt4all-j)")
    ap.add_argument("--dataset", help="preference data for every stage (default: data/context_qa_pairs)")
    ap.add_argument("--reps", type=int, help="ToM experiment repetitions per scenario (default 3; smoke 1)")
    ap.add_argument("--skip_eval", action="store_true", help="stop after the last merge (no ToM experiment)")
    ap.add_argument("--stage_arg", dest="stage_args", action="append", default=[], metavar="ARG",
                    help="extra argument for every training stage (repeatable, e.g. --stage_arg=--max_steps=2)")
    ap.add_argument("--eval_arg", dest="eval_args", action="append", default=[], metavar="ARG",
                    help="extra argument for the ToM experiment (repeatable, e.g. --eval_arg=--tokens=64)")
    args = ap.parse_args(argv)
    if args.model_name is None:
        args.model_name = "nomic-ai/gpt4all-j" if args.preset == "gpt4all-j" else "embedded"
    if args.reps is not None and args.reps < 1:
        raise ToMLabError("--reps must be at least 1")
    run_chain(args)


if __name__ == "__main__":
    main()
