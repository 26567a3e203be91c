"""TRL's PPOConfig with the one setting every other TRL config has and it lacks (a module of its own so that
checkpoints can pickle it, and so that only the PPO stage imports ``trl.experimental``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from trl.experimental.ppo import PPOConfig


@dataclass
class PPOStageConfig(PPOConfig):
    trust_remote_code: bool = field(default=False, metadata={"help": "allow custom model code from the hub"})
