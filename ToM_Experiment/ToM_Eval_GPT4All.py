#!/usr/bin/env python
"""ToM experiment on GPT4All-J v1.3-groovy (the original preset; every tom_eval.py flag works)."""

from tomlab.cli import main

if __name__ == "__main__":
    raise SystemExit(main(description=__doc__, defaults={"model": "nomic-ai/gpt4all-j", "revision": "v1.3-groovy"}))
