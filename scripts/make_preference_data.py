#!/usr/bin/env python
"""Generate an offline preference dataset (seeded; the same arguments rewrite the same bytes).

Same as ``tom-preference-data``; flags and examples: ``--help`` or tomlab/commands/preference_data.py.
"""

from tomlab.commands.preference_data import main

if __name__ == "__main__":
    raise SystemExit(main())
