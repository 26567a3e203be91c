#!/usr/bin/env python
"""PPO chain, step 1: supervised finetuning (LoRA) on prompt + chosen answer, before reward modeling and PPO.

Same as ``tom-sft``; flags and examples: ``--help`` or tomlab/commands/sft.py. See docs/finetuning.md.
"""

from tomlab.commands.sft import main

if __name__ == "__main__":
    raise SystemExit(main())
