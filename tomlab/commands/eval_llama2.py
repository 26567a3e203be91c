"""ToM experiment on LLaMa2 7B (the original preset; every tom_eval.py flag works).

Also ``tom-eval-llama2`` (installed) or ``python -m tomlab.commands.eval_llama2``: the same flags.
"""

from ..cli import main as run


def main(argv=None) -> int:
    """Parse the flags, run, print the summary; the exit status (bad input: one error line, exit 2)."""
    return run(argv, description=__doc__, defaults={"model": "meta-llama/Llama-2-7b-hf"})


if __name__ == "__main__":
    raise SystemExit(main())
