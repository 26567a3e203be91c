"""The entry point of the stage scripts in ``PPO/``, ``DPO/`` and ``GRPO/``: parse the settings, then run one stage
(its :class:`~tomlab.finetune.skeleton.Stage`)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

from ..errors import cli_main
from .args import parse_stage_args
from .common import log
from .dpo import DPOStage
from .grpo import GRPOStage
from .ppo import PPOStage, refuse_multiprocess
from .reward import RewardStage
from .sft import SFTStage
from .threads import ThreadGovernor

#: Each stage's :class:`tomlab.finetune.skeleton.Stage`, by the name its settings carry.
STAGES = {"sft": SFTStage, "reward": RewardStage, "ppo": PPOStage, "dpo": DPOStage, "grpo": GRPOStage}


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
    return STAGES[stage](settings).run(governor.callbacks())


def command(stage: str, description: str, output_dir: str) -> Callable[..., int]:
    """A stage's console command (``tom-sft``, ``tom-dpo`` ...): ``main(argv=None)`` parses the stage's flags and
    recipe, trains and measures (:func:`main`); exit status 0 (bad input: one error line, exit 2)."""

    @cli_main
    def command_main(argv=None) -> int:
        main(stage, description, output_dir=output_dir, argv=argv)
        return 0

    return command_main
