#!/usr/bin/env python
"""ToM experiment on LLaMa2-Chat 7B: raw prompts as in the original (add --chat for its chat template).

Same as ``tom-eval-llama2-chat``; flags and examples: ``--help`` or tomlab/commands/eval_llama2_chat.py.
"""

from tomlab.commands.eval_llama2_chat import main

if __name__ == "__main__":
    raise SystemExit(main())
