#!/usr/bin/env python
"""Grade every answer of ToM answer files: verdict, label (correct / incorrect / inconclusive), behaviour.

Same as ``tom-grade``; flags and examples: ``--help`` or tomlab/commands/grade.py.
"""

from tomlab.commands.grade import main

if __name__ == "__main__":
    raise SystemExit(main())
