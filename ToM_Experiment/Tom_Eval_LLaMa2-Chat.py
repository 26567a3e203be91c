#!/usr/bin/env python
"""ToM experiment on LLaMa2-Chat 7B: raw prompts as in the original (add --chat for its chat template)."""

from tomlab.cli import main

if __name__ == "__main__":
    raise SystemExit(main(description=__doc__, defaults={"model": "meta-llama/Llama-2-7b-chat-hf"}))
