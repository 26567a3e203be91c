#!/usr/bin/env python
"""PPO chain, step 3: PPO (trl.experimental.ppo.PPOTrainer) of the merged SFT model against the merged reward model.

Same as ``tom-ppo``; flags and examples: ``--help`` or tomlab/commands/ppo.py. See docs/finetuning.md.
"""

from tomlab.commands.ppo import main

if __name__ == "__main__":
    raise SystemExit(main())
