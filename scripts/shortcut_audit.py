#!/usr/bin/env python
"""Shortcut audit: heuristic baselines and a story-blind classifier on the ToMi-style eval items and the ToM
training data.

Same as ``tom-shortcut-audit``; flags and examples: ``--help`` or tomlab/commands/shortcut_audit.py.
"""

from tomlab.commands.shortcut_audit import main

if __name__ == "__main__":
    raise SystemExit(main())
