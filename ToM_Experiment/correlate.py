#!/usr/bin/env python
"""Does the 16-scenario experiment rank models as established ToM benchmarks do? One command for a models list.

Same as ``tom-correlate``; flags and examples: ``--help`` or tomlab/commands/correlate.py.
"""

from tomlab.commands.correlate import main

if __name__ == "__main__":
    raise SystemExit(main())
