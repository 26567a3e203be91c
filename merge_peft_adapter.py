#!/usr/bin/env python
"""Merge a LoRA adapter (causal LM or sequence classification) into its base model.

Same as ``tom-merge``; flags and examples: ``--help`` or tomlab/commands/merge.py.
"""

from tomlab.commands.merge import main

if __name__ == "__main__":
    raise SystemExit(main())
