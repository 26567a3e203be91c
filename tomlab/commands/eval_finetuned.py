"""ToM experiment on a finetuned model (--model required), asked in the context format it was trained on.

Also ``tom-eval-finetuned`` (installed) or ``python -m tomlab.commands.eval_finetuned``: the same flags.
"""

from ..cli import main as run


def main(argv=None) -> int:
    """Parse the flags, run, print the summary; the exit status (bad input: one error line, exit 2)."""
    return run(argv, description=__doc__, defaults={"prompt_format": "context"}, model_required=True)


if __name__ == "__main__":
    raise SystemExit(main())
