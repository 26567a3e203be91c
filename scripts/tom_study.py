#!/usr/bin/env python
"""The whole ToM training study in one resumable command (``make tom-study`` / ``make tom-study SMOKE=1``).

Same as ``tom-study``; flags and examples: ``--help`` or tomlab/commands/study.py.
"""

from tomlab.commands.study import main

if __name__ == "__main__":
    raise SystemExit(main())
