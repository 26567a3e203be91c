#!/usr/bin/env python
"""PPO chain, step 2: a pairwise reward model (sequence classification, 1 label, LoRA) on the merged SFT model.

Loss -logsigmoid(r_chosen - r_rejected) (TRL RewardTrainer); prints the pairwise accuracy on held-out pairs.

    python PPO/ppo_reward_modeling.py --model_name runs/ppo_sft_merged
    python merge_peft_adapter.py --adapter_model_name runs/ppo_rm/final_checkpoint \\
        --base_model_name runs/ppo_sft_merged --output_name runs/ppo_rm_merged

See docs/finetuning.md.
"""

from tomlab.errors import cli_main
from tomlab.finetune.stage import main


@cli_main
def run(argv=None):
    return main("reward", __doc__, output_dir="runs/ppo_rm", argv=argv)


if __name__ == "__main__":
    run()
