"""PPO chain, step 1: supervised finetuning (LoRA) on prompt + chosen answer, before reward modeling and PPO.

    python PPO/ppo_supervised_finetuning.py                      # embedded SmolLM2-135M, offline data, CPU
    python PPO/ppo_supervised_finetuning.py --preset gpt4all-j   # the original GPT4All-J recipe (8-bit, GPU)
    python merge_peft_adapter.py --adapter_model_name runs/ppo_sft/final_checkpoint \\
        --base_model_name embedded --output_name runs/ppo_sft_merged

Same code as DPO/dpo_supervised_finetuning.py (tomlab.finetune.sft); only the output folder differs.
Also ``tom-sft`` (installed) or ``python -m tomlab.commands.sft``: the same flags.
See docs/finetuning.md.
"""

from ..finetune.stage import command

main = command("sft", __doc__, output_dir="runs/ppo_sft")


if __name__ == "__main__":
    raise SystemExit(main())
