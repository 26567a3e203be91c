"""Merge a LoRA adapter into its base model and save a plain transformers folder (safetensors + tokenizer)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..errors import ToMLabError
from ..models import DTYPES, display_name, resolve_model

TASKS = {"CAUSAL_LM": "causal-lm", "SEQ_CLS": "seq-cls"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


def adapter_info(adapter: str) -> dict:
    path = Path(adapter)
    cfg_file = path / "adapter_config.json"
    if not path.is_dir():
        raise ToMLabError(f"--adapter_model_name {adapter}: no such folder")
    if not cfg_file.is_file():
        hint = ""
        if (path / "final_checkpoint" / "adapter_config.json").is_file():
            hint = f" (did you mean {path / 'final_checkpoint'}?)"
        raise ToMLabError(f"--adapter_model_name {adapter}: no adapter_config.json in it{hint}")
    try:
        cfg = json.loads(cfg_file.read_text())
    except json.JSONDecodeError as exc:
        raise ToMLabError(f"--adapter_model_name {adapter}: adapter_config.json is not valid JSON ({exc})") from None
    task = TASKS.get(cfg.get("task_type") or "CAUSAL_LM")
    if task is None:
        raise ToMLabError(f"--adapter_model_name {adapter}: task type {cfg.get('task_type')} is not supported "
                          f"(only {', '.join(TASKS)})")
    if not any(path.glob("adapter_model.*")):
        raise ToMLabError(f"--adapter_model_name {adapter}: no adapter_model.safetensors in it")
    return {"task": task, "base": cfg.get("base_model_name_or_path"), "config": cfg}


def merge_adapter(adapter: str, output: str, base: str | None = None, revision: str | None = None,
                  dtype: str = "auto", trust_remote_code: bool = False) -> Path:
    """Merge ``adapter`` into ``base`` (default: the base recorded in the adapter) and write ``output`` atomically."""
    import torch
    import transformers
    from peft import PeftModel

    out = Path(output)
    if out.exists():
        raise ToMLabError(f"--output_name {output} already exists: refusing to overwrite it (remove it or pick "
                          "another name)")
    info = adapter_info(adapter)
    if dtype not in DTYPES:
        raise ToMLabError(f"--dtype {dtype}: choose one of {', '.join(DTYPES)}")
    base_name = base or info["base"]
    if not base_name:
        raise ToMLabError("--base_model_name is required: the adapter does not record its base model")
    try:
        base_path = resolve_model(base_name)
    except ToMLabError as exc:
        raise ToMLabError(str(exc).replace("--model", "--base_model_name", 1)) from None
    print(f"base model: {display_name(base_name)} -> {base_path}", flush=True)
    print(f"adapter: {adapter} ({info['task']})", flush=True)
    cls = (transformers.AutoModelForCausalLM if info["task"] == "causal-lm"
           else transformers.AutoModelForSequenceClassification)
    kwargs = dict(revision=revision, trust_remote_code=trust_remote_code, use_safetensors=True,
                  dtype="auto" if dtype == "auto" else getattr(torch, dtype))
    if info["task"] == "seq-cls":
        kwargs["num_labels"] = 1
    from ..models import load_tokenizer

    tok_source = adapter if any((Path(adapter) / f).is_file() for f in TOKENIZER_FILES) else base_path
    tokenizer = load_tokenizer(tok_source, revision=None if tok_source == adapter else revision,
                               trust_remote_code=trust_remote_code, padding_side="left")
    verbosity = transformers.logging.get_verbosity()
    if info["task"] == "seq-cls":  # the base has no `score` head yet: the adapter brings it (modules_to_save)
        transformers.logging.set_verbosity_error()
    try:
        model = cls.from_pretrained(base_path, **kwargs)
    except OSError as exc:
        raise ToMLabError(f"cannot load the base model {base_path}: {str(exc).splitlines()[0]}") from None
    finally:
        transformers.logging.set_verbosity(verbosity)
    # the stages may pick a pad token distinct from EOS: keep config, generation config and tokenizer in step
    model.config.pad_token_id = tokenizer.pad_token_id
    if getattr(model, "generation_config", None) is not None and info["task"] == "causal-lm":
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    try:
        model = PeftModel.from_pretrained(model, adapter)
    except (ValueError, RuntimeError, KeyError) as exc:
        raise ToMLabError(f"the adapter {adapter} does not fit the base model {base_path}: "
                          f"{str(exc).splitlines()[0]}") from None
    print("merging ...", flush=True)
    model = model.merge_and_unload()
    model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        provenance = {"merged_from": {"adapter": str(Path(adapter).resolve()), "base": base_path,
                                      "base_revision": revision, "task": info["task"]},
                      "date": time.strftime("%Y-%m-%d %H:%M:%S")}
        stage_file = Path(adapter) / "tomlab_stage.json"
        if stage_file.is_file():
            provenance["stage"] = json.loads(stage_file.read_text())
        (tmp / "MERGED.json").write_text(json.dumps(provenance, indent=2) + "\n")
        if out.exists():
            raise ToMLabError(f"--output_name {output} appeared while merging: refusing to overwrite it")
        os.rename(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"merged model written to {out}", flush=True)
    return out
