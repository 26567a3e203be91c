"""The whole finetuning study as one resumable chain of the stage commands (``tom-finetune-chain``,
``scripts/finetune_chain.py``).

    SFT -> merge                          => <out>/models/<base>-SFT
    [on-policy pairs from the SFT model]  => <out>/data            (read by the reward model and DPO)
    reward model -> merge                 => <out>/models/<base>-RM
    PPO -> merge                          => <out>/models/<base>-PPO
    DPO -> merge                          => <out>/models/<base>-DPO
    ToM experiment, context format, on the base, SFT, PPO and DPO models => <out>/answers/
    training curves                       => <out>/curves/*.png
    the study's report (ToM tests, stage measurements, data, time) => <out>/report/REPORT.md

The ToM routes (``tom-training-chain``, :func:`plan_tom`) are a chain of their own, each route from the
same base model on the ToM items of ``data/tom_training``, no ToM experiment (the evaluation battery comes later):

    ToM-SFT -> merge                      => <out>/models/<base>-ToM-SFT
    ToM-DPO (reference: the base) -> merge => <out>/models/<base>-ToM-DPO
    GRPO -> merge                         => <out>/models/<base>-ToM-GRPO

PPO and DPO start from the same SFT model (the original trained two SFT models with identical settings).

Every step is a command a researcher could run by hand, started as a subprocess ``python -m tomlab.commands.<name>
...`` (:func:`command`): the same function as the console script ``tom-<name>`` and the script file it stands for
(``tom-sft`` = ``PPO/ppo_supervised_finetuning.py``), found without any install through ``PYTHONPATH`` (this checkout
first, :func:`step_env`). The chain prints each step's command line before it starts it. Training outputs
(checkpoints, adapters, metrics.json, TensorBoard event files) go to <out>/train/<stage>/. A finished stage is skipped
when its merged model is complete: resuming keys on the outputs on disk, not on the command that made them, so an
interrupted chain resumes where it stopped; a failed step stops the chain and keeps everything earlier steps wrote.
Wall times and each stage's measured figures go to <out>/chain.json and <out>/summary.md.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..data.on_policy import SUMMARY as ON_POLICY_COMPLETE  # written last: the on-policy folder is complete
from ..errors import ToMLabError
from ..io import atomic_write_json, atomic_write_text
from ..models import display_name
from ..paths import REPO_ROOT
from .common import FINAL, METRICS_FILE
from .curves import draw_run

STATE = "chain.json"
SUMMARY = "summary.md"
#: The package whose modules are the commands (pyproject.toml: ``tom-<name>`` = ``tomlab.commands.<name>:main``).
COMMANDS = "tomlab.commands"
#: ToM repetitions per scenario and prompting type: the full protocol, and the smoke chain's one.
FULL_REPS, SMOKE_REPS = 20, 1
#: The smoke chain's ToM answers stop at 48 new tokens (the protocol's 128 would make the base model's rambling
#: answers most of the smoke chain's time).
SMOKE_EVAL_ARGS = ["--tokens", "48"]
#: The smoke chain's on-policy step answers 16 prompts twice (the script's default: 300 prompts, 4 answers each).
SMOKE_ON_POLICY_ARGS = ["--n_prompts", "16", "--samples", "2"]
#: The ToM routes: name -> (stage, its command, its model flag, the merged model's suffix).
TOM_ROUTES = {"sft": ("sft", "tom-sft", "--model_name", "ToM-SFT"),
              "dpo": ("dpo", "tom-dpo", "--model_name_or_path", "ToM-DPO"),
              "grpo": ("grpo", "tom-grpo", "--model_name_or_path", "ToM-GRPO")}
TOM_DATA = REPO_ROOT / "data" / "tom_training"


def command(name: str, *args: str) -> list[str]:
    """The subprocess command line of the console script ``name`` (``tom-sft``): ``python -m tomlab.commands.sft``
    with ``args``, i.e. the same ``main`` as the console script and its script file, run by this interpreter."""
    return [sys.executable, "-m", f"{COMMANDS}.{name.removeprefix('tom-').replace('-', '_')}", *args]


def arguments(cmd: list[str]) -> list[str]:
    """A step command's arguments: without the interpreter and the program (``-m <module>`` or a script path)."""
    return cmd[3:] if cmd[1:2] == ["-m"] else cmd[2:]


@dataclass
class Step:
    name: str
    kind: str  # train | merge | data | eval
    cmd: list[str]
    output: Path | None = None  # its presence (complete) means the step is done
    cwd: Path = REPO_ROOT
    stage: str | None = None  # train steps: the stage whose metrics.json the summary reads
    model: Path | None = None  # ToM steps: the merged model they ask
    answers: tuple[Path, ...] = ()  # ToM steps: folders holding only this model's answers (stale when older)
    estimate_s: float | None = None  # the time it takes on the 2-core CPU alone (printed before it starts)


@dataclass
class ChainSettings:
    out: Path
    preset: str
    model: str
    revision: str | None
    dataset: str | None
    reps: int
    on_policy: bool
    stage_args: list[str] = field(default_factory=list)
    eval_args: list[str] = field(default_factory=list)
    on_policy_args: list[str] = field(default_factory=list)
    skip_eval: bool = False
    routes: tuple[str, ...] | None = None  # the ToM routes to run (plan_tom); None: the preference chain (plan)
    study: dict | None = None  # the ToM study's battery settings (tomlab.finetune.study), part of its identity

    def identity(self) -> dict:
        """What the trained models depend on: a run folder holds one such chain (the ToM routes of one run folder
        share it, so routes can be added to a run later; a ToM study adds the settings its answers depend on)."""
        identity = {"preset": self.preset, "model": self.model, "revision": self.revision, "dataset": self.dataset,
                    "on_policy_pairs": self.on_policy, "stage_args": self.stage_args,
                    "on_policy_args": self.on_policy_args}
        if self.routes is None:
            return identity
        return {**identity, "chain": "tom"} if self.study is None else {**identity, "chain": "tom-study",
                                                                         "battery": self.study}


def base_label(model: str) -> str:
    """The base model's short name, which the finetuned models' folder names (and so their ToM labels) extend."""
    name = display_name(model)
    return Path(name).name if name else "model"


def merged_complete(folder: Path) -> bool:
    """A merged model folder is complete: ``tom-merge`` renames it into place only when it is."""
    return (folder / "config.json").is_file() and (folder / "MERGED.json").is_file() and any(
        folder.glob("*.safetensors"))


def plan_tom(c: ChainSettings) -> list[Step]:
    """The ToM routes, each trained from the base model and merged into it."""
    label = base_label(c.model)
    revision = ["--revision", c.revision] if c.revision else []
    steps = []
    for route in c.routes:
        stage, name_of_command, model_flag, suffix = TOM_ROUTES[route]
        name, output = f"tom-{route}", c.out / "models" / f"{label}-{suffix}"
        adapter = c.out / "train" / name / FINAL
        steps.append(Step(name, "train", command(name_of_command, model_flag, c.model, *revision, "--output_dir",
                                                 str(adapter.parent), "--dataset", c.dataset, "--preset", c.preset,
                                                 *c.stage_args), output=adapter, stage=stage))
        merge = command("tom-merge", "--adapter_model_name", str(adapter), "--base_model_name", c.model,
                        "--output_name", str(output))
        steps.append(Step(f"merge {name}", "merge", merge + (["--base_model_revision", c.revision] if c.revision
                                                             else []), output=output))
    return steps


def plan(c: ChainSettings) -> list[Step]:
    """The ordered steps of the chain."""
    if c.routes is not None:
        return plan_tom(c)
    train, models, data = c.out / "train", c.out / "models", c.out / "data"
    label = base_label(c.model)
    sft, rm, ppo, dpo = (models / f"{label}-{suffix}" for suffix in ("SFT", "RM", "PPO", "DPO"))
    common = ["--preset", c.preset, *c.stage_args]
    base_data = ["--dataset", c.dataset] if c.dataset else []
    pair_data = ["--dataset", str(data)] if c.on_policy else base_data

    def stage(stage_name, name_of_command, model_flags, dataset_flags):
        return Step(stage_name, "train", command(name_of_command, *model_flags, "--output_dir", str(train / stage_name),
                                                 *dataset_flags, *common),
                    output=train / stage_name / FINAL, stage=stage_name)

    def merge(stage_name, base, output, revision=None):
        cmd = command("tom-merge", "--adapter_model_name", str(train / stage_name / FINAL), "--base_model_name", base,
                      "--output_name", str(output))
        return Step(f"merge {stage_name}", "merge", cmd + (["--base_model_revision", revision] if revision else []),
                    output=output)

    revision = ["--revision", c.revision] if c.revision else []
    steps = [stage("sft", "tom-sft", ["--model_name", c.model, *revision], base_data),
             merge("sft", c.model, sft, c.revision)]
    if c.on_policy:
        steps.append(Step("on-policy pairs", "data",
                          command("tom-on-policy-pairs", "--model", str(sft), "--data",
                                  c.dataset or str(_default_dataset()), "--out", str(data), *c.on_policy_args),
                          output=data))
    steps += [stage("reward", "tom-reward", ["--model_name", str(sft)], pair_data),
              merge("reward", str(sft), rm),
              stage("ppo", "tom-ppo", ["--model_name", str(sft), "--reward_model_name", str(rm)], base_data),
              merge("ppo", str(sft), ppo),
              stage("dpo", "tom-dpo", ["--model_name_or_path", str(sft)], pair_data),
              merge("dpo", str(sft), dpo)]
    if not c.skip_eval:
        # absolute: the finetuned models' ToM steps run from models/ (a relative --out would land under it)
        answers = (c.out / "answers").resolve()
        tom = ["--all_conditions", "--reps", str(c.reps), "--output_dir", str(answers), *c.eval_args]
        steps.append(Step("ToM base", "eval", command("tom-eval", "--model", c.model, *revision, "--prompt_format",
                                                      "context", *tom)))
        for model in (sft, ppo, dpo):  # run from models/ so that the answer files' label is the folder's name
            steps.append(Step(f"ToM {model.name.rsplit('-', 1)[1]}", "eval",
                              command("tom-eval-finetuned", "--model", model.name, *tom), cwd=models, model=model))
    return steps


def _default_dataset() -> Path:
    from ..data import DEFAULT_DATASET

    return DEFAULT_DATASET


def load_state(c: ChainSettings) -> dict:
    """The run folder's chain.json (refused when it holds other settings), or a new state for an empty folder."""
    state_file = c.out / STATE
    if state_file.is_file():
        state = json.loads(state_file.read_text())
        if state.get("settings") != c.identity():
            raise ToMLabError(f"--out {c.out} holds a chain run with other settings ({state.get('settings')}); "
                              "use another --out or the same settings")
        return state
    if c.out.exists() and any(c.out.iterdir()):
        raise ToMLabError(f"--out {c.out} exists, is not empty and holds no {STATE}: choose another folder")
    return {"settings": c.identity(), "steps": {}}


def _done(step: Step, state: dict, steps: list[Step], rebuilt: set[Path]) -> bool:
    """Merged models count as done when complete; a training step when the merge after it is (or its adapter is
    recorded as done); the on-policy pairs when their folder has the summary written last; a ToM step when it
    finished before with the same arguments (the program that ran them, a script path or ``-m <module>``, is not
    compared: the step's name fixes it) and its model was not trained anew in this run (else the runner resumes by
    itself)."""
    entry = state["steps"].get(step.name, {})
    recorded = entry.get("status") == "done"
    if step.kind == "merge":
        return merged_complete(step.output)
    if step.kind == "train":
        merge = next(s for s in steps if s.name == f"merge {step.name}")
        return merged_complete(merge.output) or (recorded and (step.output / "adapter_config.json").is_file())
    if step.kind == "data":
        return (step.output / ON_POLICY_COMPLETE).is_file()
    return (recorded and arguments(entry.get("cmd", [])) == arguments(step.cmd) and step.model not in rebuilt
            and not answers_predate_model(step))


def answers_predate_model(step: Step) -> bool:
    """A ToM step's answer files are older than the merged model it asks: they are another model's (the model was
    trained anew after them, in an earlier run that stopped before asking it again)."""
    stamp = step.model / "MERGED.json" if step.model is not None else None
    if stamp is None or not stamp.is_file():
        return False
    built = stamp.stat().st_mtime
    return any(p.stat().st_mtime < built for folder in step.answers for p in folder.rglob("*.json"))


def _metrics(step: Step) -> dict | None:
    if step.stage is None:
        return None
    path = step.output.parent / METRICS_FILE
    return json.loads(path.read_text()).get("metrics") if path.is_file() else None


def _f(metrics: dict, key: str) -> str:
    value = metrics.get(key)
    return f"{value:.3f}" if isinstance(value, (int, float)) else "n/a"


def short_metrics(stage: str | None, metrics: dict | None) -> str:
    """One line per stage: what says it learned something (measured before -> after on held-out data)."""
    if not metrics:
        return ""
    f = lambda key: _f(metrics, key)  # noqa: E731
    span = lambda key: f"{f(f'{key}_before')} -> {f(f'{key}_after')}"  # noqa: E731
    tom = "" if "heldout_gold_accuracy_open_before" not in metrics else (
        f"gold accuracy open {span('heldout_gold_accuracy_open')}, yes/no {span('heldout_gold_accuracy_yesno')}; "
        f"answer tokens {span('heldout_mean_answer_tokens')}")
    if stage == "grpo":
        return f"{tom}; rollout reward {f('reward_first')} -> {f('reward_last')}"
    if tom:
        return f"held-out loss {span('eval_loss')}; {tom}" if stage == "sft" else (
            f"implicit-reward accuracy {span('eval_reward_accuracy')}; {tom}")
    if stage == "sft":
        return f"held-out loss {f('eval_loss_before')} -> {f('eval_loss_after')}"
    if stage == "reward":
        return (f"held-out pairwise accuracy {f('eval_accuracy_before')} -> {f('eval_accuracy_after')}, "
                f"margin {f('eval_margin_before')} -> {f('eval_margin_after')}")
    gold = f"gold accuracy {f('heldout_gold_accuracy_before')} -> {f('heldout_gold_accuracy_after')}"
    if stage == "ppo":
        return (f"held-out RM score {f('heldout_mean_reward_before')} -> {f('heldout_mean_reward_after')}, {gold}; "
                f"rollout score {f('mean_reward_first')} -> {f('mean_reward_last')}, KL {f('kl_last')}")
    if stage == "dpo":
        return (f"implicit-reward accuracy {f('eval_reward_accuracy_before')} -> {f('eval_reward_accuracy_after')}, "
                f"margin {f('eval_reward_margin_before')} -> {f('eval_reward_margin_after')}; {gold}")
    return ""


def _run(step: Step, env: dict, rebuilt: set[Path]) -> int:
    cmd = step.cmd
    if step.kind == "train" and step.output.parent.exists():
        cmd = cmd + ["--overwrite"]  # a partial run of this chain-owned stage: start it again
    if step.kind == "eval" and (step.model in rebuilt or answers_predate_model(step)):
        cmd = cmd + ["--overwrite"]  # answers on disk under this label come from the model before it was retrained
    if step.kind == "merge" and step.output.exists():
        raise ToMLabError(f"{step.output} exists but is incomplete: remove it to merge again")
    print(f"$ {' '.join(cmd)}" + (f"   (in {step.cwd})" if step.cwd != REPO_ROOT else ""), flush=True)
    return subprocess.call(cmd, cwd=step.cwd, env=env)


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of the finished steps so far: unlike wall time, barely changed by other jobs on
    the machine, so it says what a step costs when it has the machine alone."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _summary(c: ChainSettings, steps: list[Step], state: dict, curves: list[Path]) -> str:
    about = (f"ToM routes {', '.join(c.routes)}, each from the base model" if c.routes is not None else
             f"ToM repetitions {c.reps}; on-policy pairs {'yes' if c.on_policy else 'no'}")
    lines = [f"# Finetuning chain ({c.preset}): {c.out}", "", f"Base model {c.model}; {about}.", "",
             "| step | wall (s) | CPU (s) | measured |", "| --- | ---: | ---: | --- |"]
    for step in steps:
        entry = state["steps"].get(step.name, {})
        cpu = f"{entry['cpu_s']:.1f}" if "cpu_s" in entry else ""
        lines.append(f"| {step.name} | {entry.get('wall_s', 0):.1f} | {cpu} | "
                     f"{short_metrics(step.stage, entry.get('metrics'))} |")
    lines += [f"| **total** | **{state['total_wall_s']:.1f}** | | |", ""]
    lines += [f"![{p.stem}](curves/{p.name})" for p in curves]
    return "\n".join(lines) + "\n"


def step_env() -> dict:
    """The steps' environment: unbuffered output, this checkout's tomlab first on the path."""
    return dict(os.environ, PYTHONUNBUFFERED="1",
                PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))


def run_steps(c: ChainSettings, steps: list[Step], state: dict) -> list[str]:
    """Run every step not done yet, in order, recording each one's status, wall and CPU time and metrics in
    ``<out>/chain.json`` as it ends; a failed step stops the run (SystemExit naming it). Return the steps run now."""
    c.out.mkdir(parents=True, exist_ok=True)
    env = step_env()
    rebuilt: set[Path] = set()  # merged models written by this run
    ran = []
    for i, step in enumerate(steps, 1):
        if _done(step, state, steps, rebuilt):
            print(f"[{i}/{len(steps)}] {step.name}: done earlier, skipped", flush=True)
            continue
        ran.append(step.name)
        estimate = f" (estimate {step.estimate_s / 60:.1f} min)" if step.estimate_s is not None else ""
        print(f"\n[{i}/{len(steps)}] {step.name}{estimate}", flush=True)
        t0, cpu0 = time.time(), _children_cpu_s()
        rc = _run(step, env, rebuilt)
        if rc == 0 and step.kind == "merge":
            rebuilt.add(step.output)
        wall = time.time() - t0
        state["steps"][step.name] = {"status": "done" if rc == 0 else "failed", "exit": rc, "wall_s": round(wall, 1),
                                     "cpu_s": round(_children_cpu_s() - cpu0, 1), "cmd": step.cmd,
                                     "metrics": _metrics(step) if rc == 0 else None}
        atomic_write_json(c.out / STATE, state)
        print(f"[{i}/{len(steps)}] {step.name}: {'done' if rc == 0 else f'failed (exit {rc})'} in {wall:.0f} s",
              flush=True)
        if rc != 0:
            kept = [s.name for s in steps if state["steps"].get(s.name, {}).get("status") == "done"]
            raise SystemExit(f"\nchain stopped: step '{step.name}' failed (exit {rc}) after {wall:.0f} s.\n"
                             f"kept in {c.out}: {', '.join(kept) or 'nothing yet'}.\n"
                             f"fix the cause and run the same command again to continue from '{step.name}'.")
    state["total_wall_s"] = round(sum(s.get("wall_s", 0) for s in state["steps"].values()), 1)
    state["machine"] = {"cpu_count": os.cpu_count()}
    atomic_write_json(c.out / STATE, state)
    return ran


def run_chain(c: ChainSettings) -> dict:
    state = load_state(c)
    steps = plan(c)
    env = step_env()
    start = time.time()
    run_steps(c, steps, state)
    curves = draw_run(c.out / "train", c.out / "curves")
    atomic_write_text(c.out / SUMMARY, _summary(c, steps, state, curves))
    report = command("tom-finetune-report", "--answers", str(c.out / "answers"), "--run", str(c.out), "--out",
                     str(c.out / "report"))
    report_rc = None if c.skip_eval else subprocess.call(report, env=env)
    print(f"\n=== finetuning chain finished ({c.preset}) in {time.time() - start:.0f} s this run ===")
    for step in steps:
        entry = state["steps"].get(step.name, {})
        print(f"  {step.name:<18} {entry.get('wall_s', 0):>8.1f} s   {short_metrics(step.stage, entry.get('metrics'))}")
    print(f"  {'total':<18} {state['total_wall_s']:>8.1f} s")
    print(f"models: {c.out / 'models'}; curves: {c.out / 'curves'}; summary: {c.out / SUMMARY}")
    if not c.skip_eval:
        print(f"ToM answers: {c.out / 'answers'}; report: "
              + (f"{c.out / 'report' / 'REPORT.md'}" if report_rc == 0 else f"failed (exit {report_rc}), rerun "
                 f"by hand: {' '.join(report)}"))
    return state
