#!/usr/bin/env python
"""Write the report: REPORT.md with the accuracy tables, tests, yes/no bias and behaviours, plus PNG figures.

Same as ``tom-report``; flags and examples: ``--help`` or tomlab/commands/report.py.
"""

from tomlab.commands.report import main

if __name__ == "__main__":
    raise SystemExit(main())
