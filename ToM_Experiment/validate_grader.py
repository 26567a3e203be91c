#!/usr/bin/env python
"""Fidelity of the automatic grader: against the human per-scenario counts and answer by answer against a label set.

Same as ``tom-validate-grader``; flags and examples: ``--help`` or tomlab/commands/validate_grader.py.
"""

from tomlab.commands.validate_grader import main

if __name__ == "__main__":
    raise SystemExit(main())
