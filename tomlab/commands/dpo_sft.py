"""DPO chain, step 1: supervised finetuning (LoRA) on prompt + chosen answer, before DPO.

    python DPO/dpo_supervised_finetuning.py                      # embedded SmolLM2-135M, offline data, CPU
    python DPO/dpo_supervised_finetuning.py --preset gpt4all-j   # the original GPT4All-J recipe (8-bit, GPU)
    python merge_peft_adapter.py --adapter_model_name runs/dpo_sft/final_checkpoint \\
        --base_model_name embedded --output_name runs/dpo_sft_merged

Same code as PPO/ppo_supervised_finetuning.py (tomlab.finetune.sft); only the output folder differs. The chain
(scripts/finetune_chain.py) trains one SFT model for PPO and DPO.
Also ``tom-dpo-sft`` (installed) or ``python -m tomlab.commands.dpo_sft``: the same flags.
See docs/finetuning.md.
"""

from ..finetune.stage import command

main = command("sft", __doc__, output_dir="runs/dpo_sft")


if __name__ == "__main__":
    raise SystemExit(main())
