"""The entry point of the stage scripts in ``PPO/``, ``DPO/`` and ``GRPO/``: parse the settings, then run one stage."""

from __future__ import annotations

import os
import warnings

from .args import parse_stage_args
from .common import log
from .dpo import run_dpo
from .grpo import run_grpo
from .ppo import refuse_multiprocess, run_ppo
from .reward import run_reward
from .sft import run_sft
from .threads import ThreadGovernor

RUNNERS = {"sft": run_sft, "reward": run_reward, "ppo": run_ppo, "dpo": run_dpo, "grpo": run_grpo}


def quiet_library_chatter() -> None:
    """Silence library warnings that are not about this run (kept: warnings about the run itself)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", message=".*You are using the default legacy behaviour.*")
    warnings.filterwarnings("ignore", category=FutureWarning, module="trl")
    warnings.filterwarnings("ignore", message=".*experimental.*", category=UserWarning)
    warnings.filterwarnings("ignore", message=".*`(is_)?gradient_checkpointing` is deprecated.*")  # TRL's own names


def main(stage: str, description: str, output_dir: str, argv=None) -> dict:
    """Parse a stage's command line and recipe, then train; bad input raises ToMLabError."""
    quiet_library_chatter()
    if stage == "ppo":
        refuse_multiprocess()  # before the settings, which already set up torch.distributed
    settings = parse_stage_args(stage, description, output_dir, argv)
    governor = ThreadGovernor(log=log)
    governor.check(force=True)
    return RUNNERS[stage](settings, governor.callbacks())
