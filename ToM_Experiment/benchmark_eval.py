#!/usr/bin/env python
"""Ask a language model a second theory-of-mind benchmark with the experiment's engine and guarantees.

Same as ``tom-benchmark-eval``; flags and examples: ``--help`` or tomlab/commands/benchmark_eval.py.
"""

from tomlab.commands.benchmark_eval import main

if __name__ == "__main__":
    raise SystemExit(main())
