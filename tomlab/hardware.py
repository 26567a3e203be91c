"""What decides the numerical kernel path a run takes: the processor, the instruction sets torch and its libraries
use, and the caps a user can set on them.

Greedy and sampled answers are exact functions of the logits, and the logits' last bits follow the kernels that
compute them. In bf16 those kernels differ between processors (AMX, AVX512-BF16, AVX2 emulation), so the same
command writes different answers on different CPUs; in float32 the answers of the embedded model stay identical
across the simulated processors this project tests (``tests/tasks/test_tom16.py``). :func:`kernel_path` is recorded
in every answer file's run block (never in the run key, which would make committed files machine-specific), so that
a user whose answers differ can see why.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

#: Environment variables that cap the instruction set of a kernel library (how this project simulates another CPU).
ISA_CAPS = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS",
            "MKL_CBWR", "OMP_NUM_THREADS")
#: /proc/cpuinfo flags that select a kernel path for float32 or bf16 matmuls.
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_fp16")


def cpu_flags() -> set[str]:
    """The processor's feature flags as Linux reports them (empty where /proc/cpuinfo is unreadable)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    match = re.search(r"^flags\s*:\s*(.*)$", text, re.MULTILINE)
    return set(match.group(1).split()) if match else set()


def cpu_model() -> str:
    try:
        match = re.search(r"^model name\s*:\s*(.*)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    except OSError:
        match = None
    return match.group(1).strip() if match else (platform.processor() or platform.machine())


def cpu_has_fast_bf16() -> bool:
    """Native bf16 matmuls (AVX512-BF16 or AMX): where bf16 training is faster than float32."""
    return bool(cpu_flags() & {"avx512_bf16", "amx_bf16"})


def _built_with(pattern: str, config: str) -> str | None:
    match = re.search(pattern, config)
    return match.group(1).strip() if match else None


def kernel_path(device: str = "cpu") -> dict:
    """The facts that decide which kernels compute a run's logits (for an answer file's run block)."""
    import torch

    config = torch.__config__.show()
    path = {"cpu_model": cpu_model(),
            "cpu_isa_flags": sorted(cpu_flags() & set(ISA_FLAGS)),
            "aten_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "blas": _built_with(r"BLAS_INFO=(\w+)", config),
            "mkl": _built_with(r"Math Kernel Library Version ([^\n]+?) for", config),
            "onednn": _built_with(r"MKL-DNN (v[\d.]+)", config),
            "torch_threads": torch.get_num_threads(),
            "isa_caps": {name: os.environ[name] for name in ISA_CAPS if name in os.environ}}
    if (device.startswith("cuda") or device == "auto") and torch.cuda.is_available():
        path["gpu"] = torch.cuda.get_device_name(torch.device("cuda" if device == "auto" else device))
        path["cuda"] = torch.version.cuda
    return path
