"""ToM experiment on GPT4All-J v1.3-groovy (the original preset; every tom_eval.py flag works).

Also ``tom-eval-gpt4all`` (installed) or ``python -m tomlab.commands.eval_gpt4all``: the same flags.
"""

from ..cli import main as run


def main(argv=None) -> int:
    """Parse the flags, run, print the summary; the exit status (bad input: one error line, exit 2)."""
    return run(argv, description=__doc__, defaults={"model": "nomic-ai/gpt4all-j", "revision": "v1.3-groovy"})


if __name__ == "__main__":
    raise SystemExit(main())
