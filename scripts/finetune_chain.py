#!/usr/bin/env python
"""The whole finetuning study in one command (``make finetune`` / ``make finetune SMOKE=1 OUT=<dir>``).

Same as ``tom-finetune-chain``; flags and examples: ``--help`` or tomlab/commands/finetune_chain.py.
"""

from tomlab.commands.finetune_chain import main

if __name__ == "__main__":
    raise SystemExit(main())
