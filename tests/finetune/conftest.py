"""What the finetuning stages' tests share: a few smoke-recipe steps (:data:`FEW`), one SFT run merged once for the
package (:func:`chain`), a stage's settings as its script parses them (:func:`_settings`), its TensorBoard event files
(:func:`_events`). A test imports the helpers as ``from tests.finetune.conftest import FEW, _settings``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import script

FEW = ["--preset", "smoke", "--max_train_samples", "16", "--max_eval_samples", "8", "--per_device_eval_batch_size",
       "8", "--save_steps", "1000", "--heldout_prompts", "4", "--heldout_max_new_tokens", "4"]


@pytest.fixture(scope="package")
def chain(tiny_model_dir, tmp_path_factory):
    """Run SFT and merge it once for the package; the later stages (test_sft, test_ppo, test_dpo) start from this
    merged model. On one torch thread, as the modules' ``one_thread`` gives their tests (a package fixture is set up
    before a module's)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("chain")
    try:
        script("PPO/ppo_supervised_finetuning.py")(
            ["--model_name", str(tiny_model_dir), "--output_dir", str(root / "sft"), "--max_steps", "2", *FEW])
        script("merge_peft_adapter.py")(["--adapter_model_name", str(root / "sft" / "final_checkpoint"),
                                         "--output_name", str(root / "sft_merged")])
    finally:
        torch.set_num_threads(before)
    return root


def _events(stage_dir: Path) -> list[Path]:
    return list((stage_dir / "runs").rglob("events.out.tfevents.*"))


def _settings(stage, model, *extra):
    from tomlab.finetune.args import parse_stage_args

    flags = ["--model_name", str(model), "--output_dir", "unused", "--preset", "smoke", *extra]
    if stage == "ppo" and "--reward_model_name" not in extra:
        flags += ["--reward_model_name", str(model)]
    return parse_stage_args(stage, "test", "runs/x", flags)
