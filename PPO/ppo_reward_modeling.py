#!/usr/bin/env python
"""PPO chain, step 2: a pairwise reward model (sequence classification, 1 label, LoRA) on the merged SFT model.

Same as ``tom-reward``; flags and examples: ``--help`` or tomlab/commands/reward.py. See docs/finetuning.md.
"""

from tomlab.commands.reward import main

if __name__ == "__main__":
    raise SystemExit(main())
