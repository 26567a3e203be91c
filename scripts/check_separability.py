#!/usr/bin/env python
"""How separable are chosen and rejected answers for a classifier that never sees the context?

Same as ``tom-separability``; flags and examples: ``--help`` or tomlab/commands/separability.py.
"""

from tomlab.commands.separability import main

if __name__ == "__main__":
    raise SystemExit(main())
