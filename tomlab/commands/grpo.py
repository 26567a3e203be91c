"""ToM route 3: GRPO (TRL GRPOTrainer, LoRA) with a verifiable reward on ToM items, after ToM-RL (Lu et al. 2025).

Several answers are sampled per prompt; each earns 1.0 when its final answer (read with the ToMi scorer) is the gold
one, plus 0.1 when it ended and could be read; advantages are relative to the other answers to the same prompt. No
reward model, no value model. Measures held-out prompts answered greedily before and after (gold accuracy open and
yes/no, answer length) and logs the reward curve.

    python GRPO/grpo_training.py --preset tom --output_dir runs/grpo         # the embedded model, data/tom_training
    python merge_peft_adapter.py --adapter_model_name runs/grpo/final_checkpoint \\
        --base_model_name embedded --output_name runs/ToM-GRPO

Also ``tom-grpo`` (installed) or ``python -m tomlab.commands.grpo``: the same flags.
See docs/finetuning.md.
"""

from ..finetune.stage import command

main = command("grpo", __doc__, output_dir="runs/grpo")


if __name__ == "__main__":
    raise SystemExit(main())
