#!/usr/bin/env python
"""DPO chain, step 2: direct preference optimization (TRL DPOTrainer, LoRA) of the merged SFT model.

Same as ``tom-dpo``; flags and examples: ``--help`` or tomlab/commands/dpo.py. See docs/finetuning.md.
"""

from tomlab.commands.dpo import main

if __name__ == "__main__":
    raise SystemExit(main())
