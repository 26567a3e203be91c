"""What every stage shares: its opening (output folder, model, data, tokenizer), model loading for training, the
LoRA config, and its ending (adapter + tokenizer to ``<output_dir>/final_checkpoint``, ``metrics.json``, summary).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

from ..data import dataset_label, load_preference_dataset
from ..errors import ToMLabError
from ..formatting import fmt
from ..io import atomic_write_json
from ..models import display_name, quantization_config, resolve_model
from .precision import weights_dtype

FINAL = "final_checkpoint"
STAGE_FILE = "tomlab_stage.json"
METRICS_FILE = "metrics.json"
EVENTS_DIR = "runs"  # where transformers' TensorBoard callback writes under the output folder
TITLES = {"sft": "SFT", "reward": "reward model", "ppo": "PPO", "dpo": "DPO", "grpo": "GRPO"}
#: Pad-token candidates, in order, for a tokenizer whose pad token is EOS (see :func:`load_tokenizer_for`).
PAD_CANDIDATES = ("<|endoftext|>", "<pad>", "[PAD]", "<|pad|>")


def is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def log(msg: str) -> None:
    if is_main():
        print(msg, flush=True)


def change(metrics: dict, key: str) -> str:
    """``before -> after`` of ``<key>_before`` and ``<key>_after``."""
    return f"{fmt(metrics.get(f'{key}_before'))} -> {fmt(metrics.get(f'{key}_after'))}"


def prepare_output_dir(s) -> Path:
    """Refuse a non-empty output dir unless --overwrite (clears old checkpoints, adapter, event files) or
    --resume_from_checkpoint."""
    out = Path(s.train.output_dir)
    if out.exists() and not out.is_dir():
        raise ToMLabError(f"--output_dir {out} is a file")
    busy = out.is_dir() and any(out.iterdir())
    resume = s.train.resume_from_checkpoint
    if resume:
        if resume == "last" and not any(out.glob("checkpoint-*")):
            raise ToMLabError(f"--resume_from_checkpoint last: no checkpoint-* folder in {out}")
        if resume != "last" and not Path(resume).is_dir():
            raise ToMLabError(f"--resume_from_checkpoint {resume}: no such folder")
    elif busy and not s.script.overwrite:
        raise ToMLabError(f"--output_dir {out} exists and is not empty: pass --overwrite to replace its checkpoints, "
                          "--resume_from_checkpoint to continue, or choose another folder")
    elif busy and is_main():
        for old in list(out.glob("checkpoint-*")) + [out / FINAL, out / EVENTS_DIR]:
            if old.is_dir():
                shutil.rmtree(old)
    return out


def resume_arg(s):
    """What ``trainer.train(resume_from_checkpoint=...)`` takes: True for 'last', else the folder or None."""
    resume = s.train.resume_from_checkpoint
    return True if resume == "last" else resume


def resolve(name: str, flag: str) -> str:
    try:
        path = resolve_model(name)
    except ToMLabError as exc:
        raise ToMLabError(str(exc).replace("--model", flag, 1)) from None
    log(f"{flag}: {display_name(name)} -> {path}")
    return path


def load_tokenizer_for(path: str, s, revision: str | None = None, padding_side: str = "right"):
    """The model's tokenizer, with a pad token distinct from EOS where the vocabulary has one.

    A separate pad token lets the reward model and PPO score the EOS token itself (TRL finds the end of a sequence
    at the first pad token). GPT-J has no spare special token, so its pad stays EOS (then the last answer token is
    scored, consistently in the reward model and in PPO).
    """
    from ..models import load_tokenizer

    tok = load_tokenizer(path, revision=revision, trust_remote_code=s.train.trust_remote_code,
                         padding_side=padding_side)
    if tok.eos_token_id is None:
        raise ToMLabError(f"the tokenizer of {path} has no EOS token; answers could not end")
    if tok.pad_token_id is None or tok.pad_token_id == tok.eos_token_id:
        vocab = tok.get_vocab()
        for cand in (tok.unk_token, *PAD_CANDIDATES):
            if cand and cand in vocab and vocab[cand] not in (tok.eos_token_id, tok.bos_token_id):
                tok.pad_token = cand
                break
    return tok


def load_model_for(path: str, s, task: str = "causal-lm", revision: str | None = None, trainable: bool = True):
    """Load from safetensors for training: the weights dtype of :func:`weights_dtype`, or 8/4-bit with bitsandbytes."""
    import transformers
    from accelerate import PartialState

    from ..models import load_model

    q8, q4 = s.model.load_in_8bit, s.model.load_in_4bit
    if q8 or q4:
        quantization_config(q8, q4)  # clear error without CUDA / bitsandbytes before any loading
    verbosity = transformers.logging.get_verbosity()
    if task == "seq-cls":  # a causal-LM checkpoint has no `score` head: the "MISSING" report is expected
        transformers.logging.set_verbosity_error()
    try:
        model = load_model(path, task=task, revision=revision, dtype=weights_dtype(s.model, s.train),
                           device="cpu", device_map={"": PartialState().local_process_index} if (q8 or q4) else None,
                           load_in_8bit=q8, load_in_4bit=q4, trust_remote_code=s.train.trust_remote_code,
                           num_labels=1)
    finally:
        transformers.logging.set_verbosity(verbosity)
    if task == "seq-cls" and not any("SequenceClassification" in a for a in (model.config.architectures or [])):
        log(f"{path}: a language model loaded as a reward model; its one-output `score` head starts random")
    if (q8 or q4) and trainable:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=bool(s.train.gradient_checkpointing))
    return model


def lora_config(s, task_type: str):
    """The LoRA adapter of the recipe (TRL's :func:`trl.get_peft_config` on the model settings)."""
    from trl import get_peft_config

    return get_peft_config(replace(s.model, lora_task_type=task_type))


def load_data(s):
    """(train, eval) pairs; ToM items (``--tom_items``) keep their gold columns, checked row by row."""
    from .tom import GOLD_COLUMNS, check_items

    d = s.data
    log(f"dataset: {dataset_label(d.dataset)}")
    train, evals = load_preference_dataset(
        d.dataset, prompt_column=d.prompt_column, chosen_column=d.chosen_column, rejected_column=d.rejected_column,
        split=d.split, eval_split=d.eval_split, eval_size=d.eval_size, max_train_samples=d.max_train_samples,
        max_eval_samples=d.max_eval_samples, revision=d.dataset_revision, trust_remote_code=s.train.trust_remote_code,
        question_kinds=d.question_kinds, keep_columns=GOLD_COLUMNS if d.tom_items else ())
    if d.tom_items:
        check_items(train, dataset_label(d.dataset), d.split)
        check_items(evals, dataset_label(d.dataset), "held-out")
    log(f"{'ToM items' if d.tom_items else 'pairs'}: {len(train)} train, {len(evals)} held out")
    return train, evals


def header(s) -> None:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    log(f"== {TITLES[s.stage]} stage (recipe {s.preset}{f', {world} processes' if world > 1 else ''}) ==")


def start(s, flag: str):
    """The opening SFT, reward model, DPO and GRPO share: banner, model path, data, tokenizer, then the output folder
    (last: bad input leaves it as it was)."""
    header(s)
    model_path = resolve(s.model.model_name_or_path, flag)
    train, evals = load_data(s)
    tokenizer = load_tokenizer_for(model_path, s, revision=s.model.model_revision)
    prepare_output_dir(s)
    return model_path, train, evals, tokenizer


def events_to_output_dir(trainer) -> None:
    """Point transformers' TensorBoard callback at ``<output_dir>/runs`` now: it learns its folder only when training
    begins, so an evaluation before training would write its event file to ``./runs`` of the working directory."""
    from transformers.integrations import TensorBoardCallback
    from transformers.integrations.integration_utils import default_logdir

    for callback in trainer.callback_handler.callbacks:
        if isinstance(callback, TensorBoardCallback) and callback.logging_dir is None:
            callback.logging_dir = os.path.join(trainer.args.output_dir, default_logdir())


class LogRecorder:
    """A TrainerCallback that keeps every logged dict (the metrics printed at the end)."""

    def __new__(cls):
        from transformers import TrainerCallback

        class Recorder(TrainerCallback):
            def __init__(self):
                self.logs = []

            def on_log(self, args, state, control, logs=None, **kwargs):
                if logs:
                    self.logs.append(dict(logs, step=state.global_step))

        return Recorder()


def finish(s, trainer, tokenizer, base_path: str, metrics: dict, task: str) -> Path:
    """Save the adapter + tokenizer atomically to <output_dir>/final_checkpoint and write metrics.json."""
    out = Path(s.train.output_dir)
    final = out / FINAL
    tmp = out / f".{FINAL}.tmp"
    trainer.save_model(str(tmp))
    if trainer.accelerator.is_main_process:
        tokenizer.save_pretrained(str(tmp))
        record = {"stage": s.stage, "recipe": s.preset, "base_model": base_path, "task": task,
                  "processes": trainer.accelerator.num_processes, "model_name": s.model.model_name_or_path,
                  "dataset": dataset_label(s.data.dataset), "metrics": metrics,
                  "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        atomic_write_json(tmp / STAGE_FILE, record)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        atomic_write_json(out / METRICS_FILE, record)
    trainer.accelerator.wait_for_everyone()
    return final


def print_summary(s, lines: list[str], final: Path, base_path: str) -> None:
    log("")
    log(f"=== {TITLES[s.stage]} finished ===")
    for line in lines:
        log(f"  {line}")
    log(f"  adapter: {final}")
    if "tensorboard" in s.train.report_to:
        log(f"  curves:  TensorBoard event files under {Path(s.train.output_dir) / EVENTS_DIR}")
    log(f"  merge:   python merge_peft_adapter.py --adapter_model_name {final} --base_model_name {base_path} "
        f"--output_name <merged folder>")
