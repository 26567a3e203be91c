"""DPO chain, step 2: direct preference optimization (TRL DPOTrainer, LoRA) of the merged SFT model.

Reference = the merged SFT model (the adapter switched off); prints the held-out reward accuracy and margin.

    python DPO/dpo_finetuning.py --model_name_or_path runs/dpo_sft_merged
    python merge_peft_adapter.py --adapter_model_name runs/dpo/final_checkpoint \\
        --base_model_name runs/dpo_sft_merged --output_name runs/dpo_merged

Also ``tom-dpo`` (installed) or ``python -m tomlab.commands.dpo``: the same flags.
See docs/finetuning.md.
"""

from ..finetune.stage import command

main = command("dpo", __doc__, output_dir="runs/dpo")


if __name__ == "__main__":
    raise SystemExit(main())
