#!/usr/bin/env python
"""DPO chain, step 1: supervised finetuning (LoRA) on prompt + chosen answer, before DPO.

Same as ``tom-dpo-sft``; flags and examples: ``--help`` or tomlab/commands/dpo_sft.py. See docs/finetuning.md.
"""

from tomlab.commands.dpo_sft import main

if __name__ == "__main__":
    raise SystemExit(main())
