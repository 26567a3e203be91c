#!/usr/bin/env python
"""Scale rehearsal: GPT-J-6B- and Llama-2-7B-shaped models with random weights through every path of the project.

Same as ``tom-scale-rehearsal``; flags and examples: ``--help`` or tomlab/commands/scale_rehearsal.py. Exit status 1
if a row failed.
"""

from tomlab.commands.scale_rehearsal import main

if __name__ == "__main__":
    raise SystemExit(main())
