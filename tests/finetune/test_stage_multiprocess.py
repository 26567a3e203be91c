"""`accelerate launch` with two processes on this CPU-only machine (torch.distributed, gloo) runs a stage."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.mark.integration
def test_sft_with_two_processes(tiny_model_dir, tmp_path):
    launcher = Path(sys.executable).with_name("accelerate")
    if not launcher.exists():
        launcher = shutil.which("accelerate")
    out = tmp_path / "sft"
    proc = subprocess.run(
        [str(launcher), "launch", "--config_file", str(ROOT / "configs" / "accelerate" / "multi_cpu.yaml"),
         str(ROOT / "PPO" / "ppo_supervised_finetuning.py"), "--preset", "smoke", "--model_name", str(tiny_model_dir),
         "--output_dir", str(out), "--max_steps", "2", "--max_train_samples", "16", "--max_eval_samples", "8"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 processes" in proc.stdout
    record = json.loads((out / "metrics.json").read_text())
    assert record["processes"] == 2 and record["metrics"]["train_steps"] == 2
    assert (out / "final_checkpoint" / "adapter_model.safetensors").is_file()
