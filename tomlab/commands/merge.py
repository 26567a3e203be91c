"""Merge a LoRA adapter (causal LM or sequence classification) into its base model.

    python merge_peft_adapter.py --adapter_model_name runs/ppo_sft/final_checkpoint \\
        --base_model_name nomic-ai/gpt4all-j --base_model_revision v1.3-groovy --output_name GPT4All-J_PPO_SFT

The output folder (safetensors, config, tokenizer) loads with plain transformers. An existing output is never
overwritten. --base_model_name defaults to the base recorded in the adapter; 'embedded' names SmolLM2-135M-Instruct.

Also ``tom-merge`` (installed) or ``python -m tomlab.commands.merge``: the same flags.
"""

import argparse

from ..errors import cli_main
from ..finetune.merge import merge_adapter


@cli_main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--adapter_model_name", required=True,
                    help="the adapter folder (e.g. <output_dir>/final_checkpoint)")
    ap.add_argument("--base_model_name",
                    help="hub id, local folder or 'embedded' (default: as recorded in the adapter)")
    ap.add_argument("--base_model_revision", help="hub revision of the base model (e.g. v1.3-groovy)")
    ap.add_argument("--output_name", required=True, help="the merged model folder to create")
    ap.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"],
                    help="dtype of the saved weights (auto: the base model's)")
    ap.add_argument("--trust_remote_code", action="store_true", help="allow custom model code from the hub")
    args = ap.parse_args(argv)
    merge_adapter(args.adapter_model_name, args.output_name, base=args.base_model_name,
                  revision=args.base_model_revision, dtype=args.dtype, trust_remote_code=args.trust_remote_code)


if __name__ == "__main__":
    raise SystemExit(main())
