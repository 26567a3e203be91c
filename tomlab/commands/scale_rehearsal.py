"""Scale rehearsal: GPT-J-6B- and Llama-2-7B-shaped models with random weights through every path of the project at
the original study's size: save/load in bf16, 8-bit and 4-bit, the 1,280-answer experiment, a few steps of every
finetuning stage with 8/4-bit LoRA. One markdown table (time, throughput, peak GPU memory) to --out/table.md, the raw
figures to --out/rehearsal.json. Random weights: the table says nothing about theory of mind.

    python scripts/scale_rehearsal.py --out runs/rehearsal                       # one H200: about 8 minutes
    python scripts/scale_rehearsal.py --out runs/rehearsal --reps 5 --tokens 32  # a shorter experiment
    python scripts/scale_rehearsal.py --out /tmp/rehearsal --tiny                # tiny shapes, float32, CPU

Exit status 1 if a row failed (its traceback is in rehearsal.json). Logic: tomlab/scale/. See
results/gpu_check/README.md.

Also ``tom-scale-rehearsal`` (installed) or ``python -m tomlab.commands.scale_rehearsal``: the same flags.
"""

from ..errors import cli_main
from ..scale import exit_status, parse_settings, run_rehearsal


@cli_main
def main(argv=None) -> int:
    """Run the rehearsal; exit status 1 if a row failed, else 0 (the report: --out/rehearsal.json)."""
    return exit_status(run_rehearsal(parse_settings(argv, description=__doc__)))


if __name__ == "__main__":
    raise SystemExit(main())
