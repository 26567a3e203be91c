#!/usr/bin/env python
"""ToM route 3: GRPO (TRL GRPOTrainer, LoRA) with a verifiable reward on ToM items, after ToM-RL (Lu et al. 2025).

Same as ``tom-grpo``; flags and examples: ``--help`` or tomlab/commands/grpo.py. See docs/finetuning.md.
"""

from tomlab.commands.grpo import main

if __name__ == "__main__":
    raise SystemExit(main())
