#!/usr/bin/env python
"""On-policy preference pairs: sample answers from a model, judge them against the gold, pair right with wrong.

Same as ``tom-on-policy-pairs``; flags and examples: ``--help`` or tomlab/commands/on_policy_pairs.py.
"""

from tomlab.commands.on_policy_pairs import main

if __name__ == "__main__":
    raise SystemExit(main())
