"""ToM experiment on LLaMa2-Chat 7B: raw prompts as in the original (add --chat for its chat template).

Also ``tom-eval-llama2-chat`` (installed) or ``python -m tomlab.commands.eval_llama2_chat``: the same flags.
"""

from ..cli import main as run


def main(argv=None) -> int:
    """Parse the flags, run, print the summary; the exit status (bad input: one error line, exit 2)."""
    return run(argv, description=__doc__, defaults={"model": "meta-llama/Llama-2-7b-chat-hf"})


if __name__ == "__main__":
    raise SystemExit(main())
