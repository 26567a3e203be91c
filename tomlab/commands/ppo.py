"""PPO chain, step 3: PPO (trl.experimental.ppo.PPOTrainer) of the merged SFT model against the merged reward model.

Policy = merged SFT + LoRA; reference = the policy with its adapter switched off; critic = the reward model with
its own LoRA; measures 64 held-out prompts answered greedily before and after (reward-model score, gold accuracy)
and logs the reward, KL and entropy of every update. One process only (no accelerate launch, no DeepSpeed).

    python PPO/ppo_rl_training.py --model_name runs/ppo_sft_merged --reward_model_name runs/ppo_rm_merged
    python merge_peft_adapter.py --adapter_model_name runs/ppo/final_checkpoint \\
        --base_model_name runs/ppo_sft_merged --output_name runs/ppo_merged

Also ``tom-ppo`` (installed) or ``python -m tomlab.commands.ppo``: the same flags.
See docs/finetuning.md.
"""

from ..finetune.stage import command

main = command("ppo", __doc__, output_dir="runs/ppo")


if __name__ == "__main__":
    raise SystemExit(main())
