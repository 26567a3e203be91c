#!/usr/bin/env python
"""Ask a language model the 16 theory-of-mind scenarios (Base / --sbs / --cot / both, or --all_conditions).

Same as ``tom-eval``; flags and examples: ``--help`` or tomlab/commands/eval.py.
"""

from tomlab.commands.eval import main

if __name__ == "__main__":
    raise SystemExit(main())
