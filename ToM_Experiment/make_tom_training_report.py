#!/usr/bin/env python
"""Write the ToM training study's report from the evaluation battery's answers of several models.

Same as ``tom-training-report``; flags and examples: ``--help`` or tomlab/commands/training_report.py.
"""

from tomlab.commands.training_report import main

if __name__ == "__main__":
    raise SystemExit(main())
