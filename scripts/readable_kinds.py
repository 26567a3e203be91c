#!/usr/bin/env python
"""Which question kinds of the preference data can a model already read (per kind, how often its likelihood
prefers the chosen answer)?

Same as ``tom-readable-kinds``; flags and examples: ``--help`` or tomlab/commands/readable_kinds.py.
"""

from tomlab.commands.readable_kinds import main

if __name__ == "__main__":
    raise SystemExit(main())
