"""The command line of the ToM experiment, shared by tom_eval.py and the per-family presets."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import cli_main
from .experiment import DEFAULT_OUTPUT_DIR, ExperimentConfig, format_summary, run_experiment
from .generation import SamplingParams
from .models import DTYPES
from .prompts import ALL_CONDITIONS, PROMPT_FORMATS, Condition
from .scenarios import DEFAULT_COT_EXAMPLES, DEFAULT_SCENARIOS


def build_parser(description: str, defaults: dict | None = None, model_required: bool = False):
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = p.add_argument_group("prompting (original flags)")
    g.add_argument("--sbs", action="store_true", help="step-by-step: append \"Let's think step by step: \"")
    g.add_argument("--cot", action="store_true", help="two-shot chain of thought examples before the item")
    g.add_argument("--all_conditions", action="store_true",
                   help="run Base, SbS, CoT and SbS+CoT in one invocation (model loaded once); ignores --sbs/--cot")
    g.add_argument("--prompt_format", choices=PROMPT_FORMATS, default="scenario",
                   help="'scenario' = original prompts; 'context' = the finetuned models' format")
    g.add_argument("--chat", action="store_true",
                   help="wrap each prompt in the tokenizer's chat template (the original fed raw prompts)")
    g = p.add_argument_group("sampling (original flags and defaults)")
    g.add_argument("--reps", type=int, default=20, help="answers per scenario and prompting type")
    g.add_argument("--tokens", type=int, default=128, help="max new tokens per answer")
    g.add_argument("--top_k", type=int, default=50)
    g.add_argument("--top_p", type=float, default=0.95)
    g.add_argument("--temp", type=float, default=0.4, help="temperature (0 = greedy)")
    g.add_argument("--seed", type=int, default=0, help="same seed and settings -> identical answers")
    g = p.add_argument_group("model")
    g.add_argument("--model", required=model_required, default=None,
                   help="hub id, local folder, .gguf file, or 'embedded' (SmolLM2-135M-Instruct, tom_eval.py's default)")
    g.add_argument("--revision", default=None, help="hub revision (branch, tag or commit)")
    g.add_argument("--dtype", choices=DTYPES, default="auto",
                   help="auto: bf16 on CUDA/bf16-capable CPUs, else fp16 on CUDA / fp32 on CPU")
    g.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    g.add_argument("--device_map", default=None, help="'auto' spreads a model too large for one device")
    g.add_argument("--load_in_8bit", action="store_true", help="bitsandbytes 8-bit (CUDA only)")
    g.add_argument("--load_in_4bit", action="store_true", help="bitsandbytes 4-bit NF4 (CUDA only)")
    g.add_argument("--trust_remote_code", action="store_true", help="run code shipped with the model (off)")
    g.add_argument("--batch_size", type=int, default=320, help="max answers decoded together")
    g = p.add_argument_group("data and output")
    g.add_argument("--scenarios", type=Path, default=DEFAULT_SCENARIOS)
    g.add_argument("--cot_examples", type=Path, default=DEFAULT_COT_EXAMPLES)
    g.add_argument("--output", type=Path, default=None,
                   help="answer file (with --all_conditions: _<type> is added to its name); default: a "
                        "unique name per run settings under --output_dir")
    g.add_argument("--output_dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    g.add_argument("--overwrite", action="store_true", help="regenerate a file that already holds this run")
    g.add_argument("--no_progress", action="store_true", help="no progress bar")
    g.add_argument("--no_grade", action="store_true", help="skip the graded accuracy table at the end")
    if defaults:
        p.set_defaults(**defaults)
    return p


def config_from_args(args) -> ExperimentConfig:
    conditions = list(ALL_CONDITIONS) if args.all_conditions else [Condition(args.sbs, args.cot)]
    return ExperimentConfig(
        model=args.model, revision=args.revision, conditions=conditions, reps=args.reps,
        sampling=SamplingParams(max_new_tokens=args.tokens, top_k=args.top_k, top_p=args.top_p,
                                temperature=args.temp, do_sample=args.temp > 0),
        seed=args.seed, dtype=args.dtype, device=args.device, device_map=args.device_map,
        load_in_8bit=args.load_in_8bit, load_in_4bit=args.load_in_4bit, trust_remote_code=args.trust_remote_code,
        prompt_format=args.prompt_format, chat=args.chat, scenarios=args.scenarios, cot_examples=args.cot_examples,
        output=args.output, output_dir=args.output_dir, overwrite=args.overwrite, batch_size=args.batch_size,
        progress=not args.no_progress)


def graded_table(paths: list[str]) -> str:
    """The graded model x prompting accuracy table of the files just written."""
    from .analysis.report import accuracy_table_markdown, aggregate, chance_markdown
    from .grading import grade_files

    cells = aggregate(grade_files(paths))
    return accuracy_table_markdown(cells) + "\n" + chance_markdown(cells) + "\n"


def main(argv=None, description="Run the theory-of-mind experiment", defaults=None, model_required=False):
    @cli_main
    def _main():
        args = build_parser(description, defaults, model_required).parse_args(argv)
        summary = run_experiment(config_from_args(args))
        print(format_summary(summary))
        if not args.no_grade:
            table = graded_table([f["path"] for f in summary["files"]])
            if table:
                print("\ngraded accuracy (automatic grader):\n" + table)
        return 0

    return _main()
