"""DPO chain, step 2: direct preference optimization (TRL DPOTrainer, LoRA) of the merged SFT model.

Reference = the merged SFT model (the adapter switched off); prints the held-out reward accuracy and margin.

    python DPO/dpo_finetuning.py --model_name_or_path runs/dpo_sft_merged
    python merge_peft_adapter.py --adapter_model_name runs/dpo/final_checkpoint \\
        --base_model_name runs/dpo_sft_merged --output_name runs/dpo_merged

Also ``tom-dpo`` (installed) or ``python -m tomlab.commands.dpo``: the same flags.
See docs/finetuning.md.
"""

from ..errors import cli_main
from ..finetune.stage import main as run_stage


@cli_main
def main(argv=None) -> int:
    """Parse the stage's flags and recipe, train, measure; exit status 0 (bad input: one error line, exit 2)."""
    run_stage("dpo", __doc__, output_dir="runs/dpo", argv=argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
