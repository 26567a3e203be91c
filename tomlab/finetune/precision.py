"""Precision: which mixed precision a stage uses, the weights' dtype, and float32 for the trainable heads.

Trainable parameters that are not quantized train in float32: peft keeps LoRA adapters in float32 by default, and
:func:`float32_score_head` does it for the one-output ``score`` head of the reward model and of PPO's critic. In
bf16, an AdamW step at lr 2e-5 on a weight near 0.02 is below half a bf16 step (2**-8 relative), so a bf16 head
barely moves; in fp16 the grad scaler refuses to unscale fp16 gradients. On a 4/8-bit base, TRL's reward trainer
casts trainable parameters to bf16 on purpose (QLoRA); the head then computes in bf16.
"""

from __future__ import annotations

from ..hardware import cpu_has_fast_bf16


def auto_mixed_precision() -> tuple[bool, bool]:
    """(bf16, fp16) when neither is given: bf16 on CUDA that has it, else fp16; on a CPU bf16 where it has native
    bf16 matmul (avx512_bf16/AMX: about 2.5x faster than float32 here), else float32."""
    import torch

    if torch.cuda.is_available():
        return (True, False) if torch.cuda.is_bf16_supported() else (False, True)
    return cpu_has_fast_bf16(), False


def mixed_precision(train_args) -> str:
    """accelerate's name of the mixed precision a TRL config asks for."""
    return "bf16" if train_args.bf16 else "fp16" if train_args.fp16 else "no"


def weights_dtype(model_args, train_args) -> str:
    """The dtype the frozen weights load in: ``--dtype`` if given, else the mixed-precision dtype (fp16 weights only
    on CUDA), else float32."""
    import torch

    if model_args.dtype:
        return model_args.dtype
    if train_args.bf16:
        return "bfloat16"
    return "float16" if train_args.fp16 and torch.cuda.is_available() else "float32"


def float32_score_head(model) -> None:
    """Replace ``model.score`` (a Linear) by a float32 copy that computes in float32 on any input, autocast or not.

    The replacement is a Linear subclass with the same parameter names, so checkpoints, peft's ``modules_to_save``
    and merging see the usual ``score.weight``.
    """
    import torch

    class Float32Score(torch.nn.Linear):
        def forward(self, hidden):
            with torch.autocast(hidden.device.type, enabled=False):
                return super().forward(hidden.to(self.weight.dtype))

    old = model.score
    new = Float32Score(old.in_features, old.out_features, bias=old.bias is not None, device=old.weight.device,
                       dtype=torch.float32)
    with torch.no_grad():
        new.weight.copy_(old.weight.float())
        if old.bias is not None:
            new.bias.copy_(old.bias.float())
    new.weight.requires_grad_(old.weight.requires_grad)
    model.score = new
