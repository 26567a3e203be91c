#!/usr/bin/env python
"""ToM experiment on GPT4All-J v1.3-groovy (the original preset; every tom_eval.py flag works).

Same as ``tom-eval-gpt4all``; flags and examples: ``--help`` or tomlab/commands/eval_gpt4all.py.
"""

from tomlab.commands.eval_gpt4all import main

if __name__ == "__main__":
    raise SystemExit(main())
