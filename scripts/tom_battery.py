#!/usr/bin/env python
"""The ToM evaluation battery of one model (16 scenarios, held-out ToMi, Strange Stories) into one answers folder,
resumably.

Same as ``tom-battery``; flags and examples: ``--help`` or tomlab/commands/battery.py.
"""

from tomlab.commands.battery import main

if __name__ == "__main__":
    raise SystemExit(main())
