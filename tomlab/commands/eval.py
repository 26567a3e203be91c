"""Ask a language model the 16 theory-of-mind scenarios (Base / --sbs / --cot / both, or --all_conditions).

    python ToM_Experiment/tom_eval.py                      # embedded SmolLM2-135M-Instruct, Base, 20 reps
    python ToM_Experiment/tom_eval.py --all_conditions     # the four prompting types, model loaded once
    python ToM_Experiment/tom_eval.py --model meta-llama/Llama-2-7b-hf --sbs --cot --load_in_8bit
    python ToM_Experiment/tom_eval.py --all_conditions --tasks tom16,tomi,strange_stories   # every test, one load
    python ToM_Experiment/tom_eval.py --tasks tomi --limit 40                   # the first 40 ToMi items

Also ``tom-eval`` (installed) or ``python -m tomlab.commands.eval``: the same flags.
"""

from ..cli import main as run


def main(argv=None) -> int:
    """Parse the flags, run, print the summary; the exit status (bad input: one error line, exit 2)."""
    return run(argv, description=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
