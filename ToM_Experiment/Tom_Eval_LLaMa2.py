#!/usr/bin/env python
"""ToM experiment on LLaMa2 7B (the original preset; every tom_eval.py flag works)."""

from tomlab.cli import main

if __name__ == "__main__":
    raise SystemExit(main(description=__doc__, defaults={"model": "meta-llama/Llama-2-7b-hf"}))
