"""pyproject.toml's [project.scripts]: every command names ``tomlab.commands.<name>:main``, a callable that runs with no
argument; every script file of the repository imports that same function and exits with it; each command module runs
under ``python -m``; the chains start their steps through these modules."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
#: Each script file (the path the README documents) and its console script.
FILES = {
    "ToM_Experiment/tom_eval.py": "tom-eval",
    "ToM_Experiment/ToM_Eval_GPT4All_Finetune.py": "tom-eval-finetuned",
    "ToM_Experiment/ToM_Eval_GPT4All.py": "tom-eval-gpt4all",
    "ToM_Experiment/Tom_Eval_LLaMa2.py": "tom-eval-llama2",
    "ToM_Experiment/Tom_Eval_LLaMa2-Chat.py": "tom-eval-llama2-chat",
    "ToM_Experiment/benchmark_eval.py": "tom-benchmark-eval",
    "ToM_Experiment/correlate.py": "tom-correlate",
    "ToM_Experiment/grade_answers.py": "tom-grade",
    "ToM_Experiment/make_report.py": "tom-report",
    "ToM_Experiment/make_finetune_report.py": "tom-finetune-report",
    "ToM_Experiment/make_tom_training_report.py": "tom-training-report",
    "ToM_Experiment/validate_grader.py": "tom-validate-grader",
    "PPO/ppo_supervised_finetuning.py": "tom-sft",
    "PPO/ppo_reward_modeling.py": "tom-reward",
    "PPO/ppo_rl_training.py": "tom-ppo",
    "DPO/dpo_supervised_finetuning.py": "tom-dpo-sft",
    "DPO/dpo_finetuning.py": "tom-dpo",
    "GRPO/grpo_training.py": "tom-grpo",
    "merge_peft_adapter.py": "tom-merge",
    "scripts/finetune_chain.py": "tom-finetune-chain",
    "scripts/tom_training_chain.py": "tom-training-chain",
    "scripts/tom_study.py": "tom-study",
    "scripts/tom_battery.py": "tom-battery",
    "scripts/make_preference_data.py": "tom-preference-data",
    "scripts/make_on_policy_pairs.py": "tom-on-policy-pairs",
    "scripts/make_tom_data.py": "tom-training-data",
    "scripts/check_separability.py": "tom-separability",
    "scripts/readable_kinds.py": "tom-readable-kinds",
    "scripts/sample_label_set.py": "tom-label-sample",
    "scripts/shortcut_audit.py": "tom-shortcut-audit",
    "scripts/scale_rehearsal.py": "tom-scale-rehearsal",
}


def target(name: str):
    module, _, attr = SCRIPTS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def test_there_are_entry_points():
    assert {"tom-eval", "tom-benchmark-eval", "tom-correlate", "tom-sft", "tom-reward", "tom-ppo", "tom-dpo",
            "tom-grpo", "tom-merge", "tom-grade", "tom-report"} <= set(SCRIPTS)


def test_one_naming_scheme():
    """``tom-<name>`` runs ``tomlab.commands.<name, - as _>:main``."""
    for name, where in SCRIPTS.items():
        assert name.startswith("tom-") and where == f"tomlab.commands.{name[4:].replace('-', '_')}:main", name


def test_every_script_file_has_its_entry_point_and_every_entry_point_its_file():
    files = {str(p.relative_to(ROOT)) for folder in ("PPO", "DPO", "GRPO", "ToM_Experiment", "scripts")
             for p in (ROOT / folder).glob("*.py")} | {"merge_peft_adapter.py"}
    assert files == set(FILES)
    assert sorted(FILES.values()) == sorted(SCRIPTS)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_entry_point_is_a_callable_taking_no_argument(name):
    main = target(name)
    params = inspect.signature(main).parameters.values()
    assert callable(main) and all(p.default is not inspect.Parameter.empty for p in params), SCRIPTS[name]


def _main_block_calls(tree: ast.Module) -> set[str]:
    """The names called inside ``if __name__ == "__main__":``."""
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            return {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
    return set()


@pytest.mark.parametrize("rel", sorted(FILES))
def test_script_file_and_entry_point_call_the_same_function(rel):
    """The script file imports the entry point's function as ``main``, and its ``__main__`` block exits with it."""
    path = ROOT / rel
    loaded = runpy.run_path(str(path), run_name="script_under_test")
    assert loaded["main"] is target(FILES[rel]), rel
    assert "main" in _main_block_calls(ast.parse(path.read_text(encoding="utf-8"))), rel


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_command_module_runs_under_python_m(name):
    """``python -m tomlab.commands.<name>`` runs the same ``main``: the module's ``__main__`` block calls it."""
    module = SCRIPTS[name].partition(":")[0]
    source = Path(importlib.import_module(module).__file__).read_text(encoding="utf-8")
    assert "main" in _main_block_calls(ast.parse(source)), module


def test_python_m_and_the_script_file_give_the_same_help():
    """One command end to end under ``python -m`` (no install, PYTHONPATH), as the chains start it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "COLUMNS": "200"}
    by_module = subprocess.run([sys.executable, "-m", "tomlab.commands.training_data", "--help"], capture_output=True,
                               text=True, env=env, cwd=ROOT)
    by_file = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_tom_data.py"), "--help"],
                             capture_output=True, text=True, env=env, cwd=ROOT)
    assert by_module.returncode == 0 and "--seed" in by_module.stdout, by_module.stderr[-2000:]
    assert by_module.stdout.split("\n", 1)[1] == by_file.stdout.split("\n", 1)[1], "only the usage line's prog differs"


def test_the_chains_start_their_steps_through_the_entry_points(tmp_path):
    from tomlab.finetune.chain import ChainSettings, plan
    from tomlab.finetune.study import StudySettings, plan_study

    modules = {where.partition(":")[0] for where in SCRIPTS.values()}
    preference = plan(ChainSettings(out=tmp_path / "ft", preset="smoke", model="embedded", revision=None, dataset=None,
                                    reps=1, on_policy=True))
    steps = preference + plan_study(StudySettings(out=tmp_path / "study"))
    for step in steps:
        assert step.cmd[:2] == [sys.executable, "-m"] and step.cmd[2] in modules, step.cmd
    used = {step.cmd[2].rsplit(".", 1)[1] for step in steps}
    assert used == {"sft", "merge", "on_policy_pairs", "reward", "ppo", "dpo", "eval", "eval_finetuned", "grpo",
                    "battery"}


def test_nothing_in_the_package_imports_the_commands():
    """The commands sit on top: the chains name their modules as text, so no import cycle can pass through them."""
    package = ROOT / "tomlab"
    for path in package.rglob("*.py"):
        if path.parent.name == "commands":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert "commands" not in (node.module or "").split(".") and all(
                    a.name != "commands" for a in node.names), path
            elif isinstance(node, ast.Import):
                assert all("commands" not in a.name.split(".") for a in node.names), path
