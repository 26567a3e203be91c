#!/usr/bin/env python
"""Generate the ToM training data (ToMi-style belief questions, open and yes/no form; seeded, same bytes each time).

Same as ``tom-training-data``; flags and examples: ``--help`` or tomlab/commands/training_data.py.
"""

from tomlab.commands.training_data import main

if __name__ == "__main__":
    raise SystemExit(main())
