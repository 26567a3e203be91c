"""The runner's settings, each declared once as a dataclass field and parsed with transformers' HfArgumentParser.

Every field is a flag under its own name in both spellings (``--top_k`` and ``--top-k``); the original scripts'
short names stay as aliases (``--reps``, ``--tokens``, ``--temp``, ``--sbs``, ``--cot``); the help text is the
field's metadata. :class:`EvalConfig` is the union of every group; a script parses the groups it shows and the rest
keep their defaults: ``tom_eval.py`` (and its presets) :data:`EXPERIMENT_GROUPS` (``--tasks``, ``--limit``),
``benchmark_eval.py`` :data:`BENCHMARK_GROUPS` (``--benchmark`` and its item flags). A task's own defaults
(:attr:`tomlab.eval.task.Task.defaults`: the benchmarks ask one greedy answer into ``results/answers_benchmarks``)
replace the flags' defaults for that task; a flag given on the command line applies to every task.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ToMLabError
from ..generation import SamplingParams
from ..models import DTYPES
from ..paths import ANSWERS_DIR as DEFAULT_OUTPUT_DIR
from ..prompts import ALL_CONDITIONS, PROMPT_FORMATS, Condition
from ..scenarios import DEFAULT_COT_EXAMPLES, DEFAULT_SCENARIOS
from ..tasks import tomi
from ..tasks.items import FORMS
from . import registry

#: Who generates: the in-process engine on a model loaded here, or an OpenAI-compatible server.
BACKENDS = ("transformers", "openai")


def flag(default, help: str, **metadata):
    """A dataclass field that is a command-line flag: its default, its help text, argparse extras (aliases, choices)."""
    return field(default=default, metadata={"help": help, **metadata})


@dataclass
class ModelArguments:
    _argument_group_name = "model"

    model: str | None = flag(None, "hub id, local folder, .gguf file, 'embedded' (SmolLM2-135M-Instruct, "
                                   "the default of tom_eval.py and benchmark_eval.py) or 'gemma3-270m' (Gemma 3 "
                                   "270M base, opt-in: make setup-gemma)")
    model_label: str | None = flag(None, "how the model is called in file names and reports (default: the model "
                                         "name, with ' [chat]' / ' [context]' for those ways of asking); a label "
                                         "given here is part of the run's identity")
    revision: str | None = flag(None, "hub revision (branch, tag or commit)")
    dtype: str = flag("auto", "auto: float32 on every CPU (answers reproduce on any x86 CPU), bf16 on CUDA (fp16 "
                              "where bf16 is missing); bfloat16 on a CPU is faster with AMX/AVX512-BF16 but its "
                              "answers are tied to one kernel path",
                      choices=DTYPES)
    device: str | None = flag(None, "cpu, cuda, cuda:1 ... (none given: cuda if available)")
    device_map: str | None = flag(None, "'auto' spreads a model too large for one device")
    load_in_8bit: bool = flag(False, "bitsandbytes 8-bit (CUDA only)")
    load_in_4bit: bool = flag(False, "bitsandbytes 4-bit NF4 (CUDA only)")
    trust_remote_code: bool = flag(False, "run code shipped with the model (off)")
    batch_size: int = flag(1280, "max answers decoded together (float32 on a CPU: answers of several files share "
                                 "batches, which stay fuller; the embedded model's full experiment, 1,280 answers in "
                                 "one batch, peaks at 6.4 GB resident, 4.4 GB with 640: pass 320 on a machine with "
                                 "little memory)")
    backend: str = flag("transformers", "who answers: 'transformers' loads --model in this process; 'openai' asks "
                                        "the model --model served at --api_base by an OpenAI-compatible server "
                                        "(vLLM, TGI, llama.cpp, Ollama, transformers serve, a hosted API)",
                        choices=BACKENDS)
    api_base: str | None = flag(None, "--backend openai: the API's base URL, e.g. http://127.0.0.1:8000/v1 "
                                      "(a URL without a path gets /v1)")
    api_key_env: str | None = flag(None, "--backend openai: the environment variable holding the API key (the key "
                                         "itself is never a flag and never written to a file)")
    max_concurrency: int = flag(8, "--backend openai: requests in flight at once")
    request_timeout: float = flag(300.0, "--backend openai: seconds to wait for an answer before retrying")
    max_retries: int = flag(5, "--backend openai: retries of a request after HTTP 408/429/5xx, a lost connection "
                               "or a timeout, with exponential backoff")


@dataclass
class SamplingArguments:
    _argument_group_name = "sampling (original flags and defaults)"

    repetitions: int = flag(20, "answers per item (and prompting type)", aliases=["--reps"])
    max_new_tokens: int = flag(128, "max new tokens per answer", aliases=["--tokens"])
    top_k: int = flag(50, "sample among the k most likely tokens (0 disables it)")
    top_p: float = flag(0.95, "nucleus sampling: the smallest set of tokens holding this probability mass")
    temperature: float = flag(0.4, "sampling temperature (0 = greedy)", aliases=["--temp"])
    seed: int = flag(0, "same seed and settings -> identical answers")

    @property
    def sampling(self) -> SamplingParams:
        return SamplingParams(max_new_tokens=self.max_new_tokens, top_k=self.top_k, top_p=self.top_p,
                              temperature=self.temperature, do_sample=self.temperature > 0)


@dataclass
class PromptArguments:
    _argument_group_name = "prompting (original flags)"

    step_by_step: bool = flag(False, "step-by-step: append \"Let's think step by step: \"", aliases=["--sbs"])
    prompt_format: str = flag("scenario", "'scenario' = original prompts; 'context' = the finetuned models' format",
                              choices=PROMPT_FORMATS)
    chat: bool = flag(False, "wrap each prompt in the tokenizer's chat template (the original fed raw prompts)")


@dataclass
class OutputArguments:
    _argument_group_name = "output"

    output: Path | None = flag(None, "answer file; default: a unique name per run settings under --output_dir. "
                                     "Where a run writes several files, each gets a suffix on the name given here: "
                                     "tom_eval.py --all_conditions writes <stem>_<type>.json, benchmark_eval.py "
                                     "--form all (tomi) <stem>_open.json and <stem>_yesno.json, and no <stem>.json")
    output_dir: Path = flag(DEFAULT_OUTPUT_DIR, "folder of the default answer-file names")
    overwrite: bool = flag(False, "regenerate a file that already holds this run")
    progress: bool = flag(True, "show a progress bar (--no_progress: none)")


@dataclass
class ExperimentArguments:
    _argument_group_name = "the 16 scenarios"

    chain_of_thought: bool = flag(False, "two-shot chain of thought examples before the item (the 16 scenarios)",
                                  aliases=["--cot"])
    all_conditions: bool = flag(False, "run Base, SbS, CoT and SbS+CoT in one invocation (model loaded once); "
                                       "ignores --sbs/--cot (the 16 scenarios)")
    scenarios: Path = flag(DEFAULT_SCENARIOS, "the scenario file")
    cot_examples: Path = flag(DEFAULT_COT_EXAMPLES, "the chain-of-thought examples")
    grade: bool = flag(True, "print the graded accuracy table at the end (--no_grade: skip it)")


@dataclass
class TaskArguments:
    _argument_group_name = "tasks"

    tasks: str = flag(registry.DEFAULT, "comma-separated tasks to ask, the model loaded once: "
                                        + ", ".join(registry.names()) + " (each with its own defaults: the "
                                        "benchmarks ask one greedy answer per prompt into results/answers_benchmarks;"
                                        " a flag given here applies to every task)")


@dataclass
class LimitArguments:
    _argument_group_name = "items"

    limit: int | None = flag(None, "ask only the first N items of every task (as lm-evaluation-harness's --limit; "
                                   "another set of prompts is another run key)")


@dataclass
class BenchmarkArguments:
    _argument_group_name = "benchmark"

    benchmark: str = flag("tomi", "which benchmark to ask", choices=registry.BENCHMARKS)
    form: str = flag("all", "question form: 'open' (tomi: name the container), 'yesno' (tomi: a probe per "
                            "container, correct only when both are right; strange_stories: its yes/no question), "
                            "'all': every form the benchmark has, one answer file each", choices=("all", *FORMS))
    items: Path | None = flag(None, "item file (default: the committed set, data/tomi/tomi_items.jsonl or "
                                    "data/strange_stories/strange_stories_boolean.json)")
    generate_seed: int | None = flag(None, "tomi: generate the item set from this seed instead of reading --items "
                                           "(the committed set is seed 0)")
    per_cell: int = flag(tomi.DEFAULT_PER_CELL, "tomi with --generate_seed: questions per kind x belief cell")
    export_items: Path | None = flag(None, "write the item set (after --limit) as JSONL to this file and stop, "
                                           "without loading a model")


@dataclass
class EvalConfig(ModelArguments, SamplingArguments, PromptArguments, ExperimentArguments, TaskArguments,
                 LimitArguments, BenchmarkArguments, OutputArguments):
    """Everything the runner reads: the union of the flag groups (a script parses some, the rest keep defaults)."""

    @property
    def conditions(self) -> list[Condition]:
        """The 16 scenarios' prompting types."""
        return list(ALL_CONDITIONS) if self.all_conditions else [Condition(self.step_by_step, self.chain_of_thought)]

    @property
    def task_names(self) -> list[str]:
        """``--tasks`` as a list, checked against the registry."""
        return registry.parse_names(self.tasks)


EXPERIMENT_GROUPS = (PromptArguments, ExperimentArguments, TaskArguments, LimitArguments, SamplingArguments,
                     ModelArguments, OutputArguments)
BENCHMARK_GROUPS = (BenchmarkArguments, LimitArguments, PromptArguments, SamplingArguments, ModelArguments,
                    OutputArguments)


def parse_groups(groups, argv=None, description: str | None = None, defaults: dict | None = None,
                 where: str | None = None) -> dict:
    """Parse ``argv`` with the flags of ``groups`` (HfArgumentParser); ``defaults`` override field defaults (the
    presets'). Unknown flags and bad values are argparse's one ``error:`` line and exit 2, or, with ``where`` (the
    file and line the flags were read from), a :class:`ToMLabError` naming it. Returns {field: value}."""
    import argparse

    from transformers import HfArgumentParser

    parser = HfArgumentParser(groups, description=description, exit_on_error=where is None)
    if defaults:
        unknown = set(defaults) - {f.name for g in groups for f in dataclasses.fields(g)}
        if unknown:
            raise ValueError(f"defaults for unknown fields: {sorted(unknown)}")
        parser.set_defaults(**defaults)
    try:
        *parts, rest = parser.parse_args_into_dataclasses(argv, return_remaining_strings=True,
                                                          look_for_args_file=False)
    except argparse.ArgumentError as exc:
        raise ToMLabError(f"{where}: {exc}") from None
    if rest:
        message = f"unrecognized arguments: {' '.join(rest)}"
        if where is None:
            parser.error(message)
        raise ToMLabError(f"{where}: {message}")
    return {k: v for part in parts for k, v in vars(part).items()}


def parse_config(argv=None, description: str | None = None, defaults: dict | None = None,
                 model_required: bool = False) -> EvalConfig:
    """``tom_eval.py``'s command line -> :class:`EvalConfig` (the flags' defaults, or a preset's ``defaults``)."""
    cfg = EvalConfig(**parse_groups(EXPERIMENT_GROUPS, argv, description, defaults))
    if model_required and cfg.model is None:
        raise ToMLabError("--model is required: name the model to ask (hub id or local folder)")
    registry.parse_names(cfg.tasks)  # an unknown task: one error line before anything else
    return cfg


def task_configs(argv=None, description: str | None = None, defaults: dict | None = None,
                 model_required: bool = False) -> list:
    """``tom_eval.py``'s command line -> [(task, its :class:`EvalConfig`)]: each task's defaults under the flags."""
    names = parse_config(argv, description, defaults, model_required).task_names
    return [(registry.get(name), parse_config(argv, description, {**registry.get(name).defaults, **(defaults or {})},
                                              model_required)) for name in names]


def parse_benchmark_config(argv=None, description: str | None = None, defaults: dict | None = None) -> EvalConfig:
    """``benchmark_eval.py``'s command line -> :class:`EvalConfig` with the benchmarks' defaults."""
    base = registry.get(registry.BENCHMARKS[0]).defaults
    return EvalConfig(**parse_groups(BENCHMARK_GROUPS, argv, description, {**base, **(defaults or {})}))
