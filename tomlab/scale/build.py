"""The rehearsal's models: a published (or tiny) configuration with random weights, built on the target device and
saved once as safetensors with the rehearsal tokenizer; a complete folder is reused."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

from ..models import load_tokenizer, resolve_model
from .settings import ARCHITECTURES, GIB, Architecture, Environment, RehearsalSettings


def model_config(arch: Architecture, tokenizer, tiny: bool):
    """(transformers config, deviations from the published configuration) for ``arch`` with ``tokenizer``'s special
    tokens and a vocabulary that covers the tokenizer."""
    from transformers import AutoConfig

    fields = dict(arch.published)
    deviations = []
    needed = len(tokenizer)
    if tiny:  # the vocabulary too: the tokenizer's own (a tiny model's logits over 50,400 tokens dominate its time)
        fields.update(arch.tiny, **{arch.vocab_key: needed})
        deviations.append("tiny configuration (--tiny): " + ", ".join(f"{k} {v}" for k, v in arch.tiny.items())
                          + f", {arch.vocab_key} {needed} (the tokenizer's)")
    elif needed > fields[arch.vocab_key]:
        deviations.append(f"{arch.vocab_key} {fields[arch.vocab_key]} -> {needed} to cover the tokenizer's "
                          f"{needed} tokens")
        fields[arch.vocab_key] = needed
    config = AutoConfig.for_model(arch.model_type, bos_token_id=tokenizer.bos_token_id,
                                  eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, **fields)
    return config, deviations


def _complete(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors")) and \
        (folder / "tokenizer_config.json").is_file()


def rehearsal_tokenizer(name: str):
    """The tokenizer every rehearsal model gets: a folder holding one, or a model name (the embedded default)."""
    path = Path(name).expanduser()
    if not (path.is_dir() and (path / "tokenizer_config.json").is_file()):
        path = Path(resolve_model(name))
    return load_tokenizer(str(path))


def build_model(arch_name: str, tokenizer, s: RehearsalSettings, env: Environment, models_dir: Path) -> dict:
    """Build ``arch_name`` with random weights and save it (safetensors + tokenizer) once; reuse a complete folder.
    Returns the row's figures, with ``path`` the folder."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    arch = ARCHITECTURES[arch_name]
    config, deviations = model_config(arch, tokenizer, s.tiny)
    for line in deviations:
        print(f"{arch.label}: deviation from the published configuration: {line}", flush=True)
    dtype = torch.float32 if s.tiny else torch.bfloat16
    key = hashlib.sha1((config.to_json_string(use_diff=False) + str(dtype)
                        + json.dumps(tokenizer.get_vocab(), sort_keys=True)).encode()).hexdigest()[:10]
    folder = models_dir / f"{arch.label}{'-tiny' if s.tiny else ''}-{key}"
    figures = {"path": str(folder), "deviations": deviations, "dtype": str(dtype).replace("torch.", "")}
    if _complete(folder):
        return {**figures, "reused": True, "parameters": _parameters(folder),
                "disk_gib": round(sum(f.stat().st_size for f in folder.glob("*.safetensors")) / GIB, 2)}
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=models_dir))
    try:
        t0 = time.perf_counter()
        torch.manual_seed(0)
        with torch.device(env.device):  # constructed and initialized where it runs: no CPU copy, GPU init
            model = AutoModelForCausalLM.from_config(config, dtype=dtype)
        if env.cuda:
            torch.cuda.synchronize()
        built = time.perf_counter() - t0
        model.generation_config = GenerationConfig(bos_token_id=tokenizer.bos_token_id,
                                                   eos_token_id=tokenizer.eos_token_id,
                                                   pad_token_id=tokenizer.pad_token_id)
        n_params = sum(p.numel() for p in model.parameters())
        t0 = time.perf_counter()
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "SOURCE.txt").write_text(f"random weights, {arch.label} (tomlab.scale); deviations: "
                                        f"{'; '.join(deviations) or 'none'}\n")
        saved = time.perf_counter() - t0
        del model
        tmp.rename(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return {**figures, "reused": False, "parameters": n_params, "build_s": round(built, 2), "save_s": round(saved, 2),
            "disk_gib": round(sum(f.stat().st_size for f in folder.glob("*.safetensors")) / GIB, 2)}


def _parameters(folder: Path) -> int | None:
    """Parameter count from the safetensors headers (no weights read)."""
    from safetensors import safe_open

    total = 0
    for f in folder.glob("*.safetensors"):
        with safe_open(f, framework="pt") as fh:
            for name in fh.keys():
                shape = fh.get_slice(name).get_shape()
                n = 1
                for d in shape:
                    n *= d
                total += n
    return total or None
