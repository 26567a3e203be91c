#!/usr/bin/env python
"""ToM experiment on LLaMa2 7B (the original preset; every tom_eval.py flag works).

Same as ``tom-eval-llama2``; flags and examples: ``--help`` or tomlab/commands/eval_llama2.py.
"""

from tomlab.commands.eval_llama2 import main

if __name__ == "__main__":
    raise SystemExit(main())
