#!/usr/bin/env python
"""ToM experiment on a finetuned model (--model required), asked in the context format it was trained on."""

from tomlab.cli import main

if __name__ == "__main__":
    raise SystemExit(main(description=__doc__, defaults={"prompt_format": "context"}, model_required=True))
