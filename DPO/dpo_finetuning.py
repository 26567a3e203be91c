#!/usr/bin/env python
"""DPO chain, step 2: direct preference optimization (TRL DPOTrainer, LoRA) of the merged SFT model.

Reference = the merged SFT model (the adapter switched off); prints the held-out reward accuracy and margin.

    python DPO/dpo_finetuning.py --model_name_or_path runs/dpo_sft_merged
    python merge_peft_adapter.py --adapter_model_name runs/dpo/final_checkpoint \\
        --base_model_name runs/dpo_sft_merged --output_name runs/dpo_merged

See docs/finetuning.md.
"""

from tomlab.errors import cli_main
from tomlab.finetune.stage import main


@cli_main
def run(argv=None):
    return main("dpo", __doc__, output_dir="runs/dpo", argv=argv)


if __name__ == "__main__":
    run()
