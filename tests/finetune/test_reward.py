"""The reward-model stage (tomlab.finetune.reward): a float32 score head on a bf16/fp16 base trains with the fp16
grad scaler."""

from __future__ import annotations

import pytest

from tests.finetune.conftest import _settings

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _tiny_pairs(tok, n=2):
    from tomlab.data import tokenize_prompt, tokenize_response

    prompt = tokenize_prompt(tok, "Context: Ann put the key in the box. Question: Where is the key?")
    return [prompt + tokenize_response(tok, "In the box."), prompt + tokenize_response(tok, "In the bag.")][:n]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_reward_head_trains_in_float32_and_fp16_gradients_unscale(tiny_model_dir, tmp_path, dtype):
    """The trainable `score` head (and every other non-quantized trainable parameter) is float32 on a bf16/fp16
    base; so the fp16 grad scaler never meets fp16 gradients ("Attempting to unscale FP16 gradients")."""
    import torch

    from tomlab.data import load_preference_dataset
    from tomlab.finetune.common import load_tokenizer_for
    from tomlab.finetune.reward import build_reward_trainer

    s = _settings("reward", tiny_model_dir, "--dtype", dtype, "--bf16", str(dtype == "bfloat16"), "--output_dir",
                  str(tmp_path / "rm"))
    tok = load_tokenizer_for(str(tiny_model_dir), s)
    train, evals = load_preference_dataset(max_train_samples=4, max_eval_samples=2)
    trainer = build_reward_trainer(s, str(tiny_model_dir), train, evals, tok, [])
    trainable = {n: p for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert any("score" in n for n in trainable)
    assert {str(p.dtype) for p in trainable.values()} == {"torch.float32"}, trainable
    assert any(p.dtype == getattr(torch, dtype) for p in trainer.model.parameters()), "the base stays in " + dtype
    chosen, rejected = _tiny_pairs(tok)
    width = max(len(chosen), len(rejected))
    device = next(trainer.model.parameters()).device  # the trainer moved it to the GPU where there is one
    ids = torch.tensor([x + [tok.pad_token_id] * (width - len(x)) for x in (chosen, rejected)], device=device)
    mask = (ids != tok.pad_token_id).long()
    rewards = trainer.model(input_ids=ids, attention_mask=mask).logits[:, 0]
    assert rewards.dtype == torch.float32
    loss = -torch.nn.functional.logsigmoid(rewards[0] - rewards[1])
    optimizer = torch.optim.AdamW(trainable.values(), lr=1e-3)
    scaler = torch.amp.GradScaler(device.type)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)  # raises "Attempting to unscale FP16 gradients." on an fp16 trainable parameter
    scaler.step(optimizer)
