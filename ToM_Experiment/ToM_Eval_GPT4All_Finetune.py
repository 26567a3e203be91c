#!/usr/bin/env python
"""ToM experiment on a finetuned model (--model required), asked in the context format it was trained on.

Same as ``tom-eval-finetuned``; flags and examples: ``--help`` or tomlab/commands/eval_finetuned.py.
"""

from tomlab.commands.eval_finetuned import main

if __name__ == "__main__":
    raise SystemExit(main())
