#!/usr/bin/env python
"""Draw the project's label set for small-model answers: stratified, seeded, split into a tuning and a test half.

Same as ``tom-label-sample``; flags and examples: ``--help`` or tomlab/commands/label_sample.py.
"""

from tomlab.commands.label_sample import main

if __name__ == "__main__":
    raise SystemExit(main())
