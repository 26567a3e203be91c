#!/usr/bin/env python
"""The three ToM routes (ToM-SFT, ToM-DPO, GRPO) from the same base model, as one resumable chain.

Same as ``tom-training-chain``; flags and examples: ``--help`` or tomlab/commands/training_chain.py.
"""

from tomlab.commands.training_chain import main

if __name__ == "__main__":
    raise SystemExit(main())
