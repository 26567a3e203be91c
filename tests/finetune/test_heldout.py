"""The held-out measurement (tomlab.finetune.heldout): greedy answers, decoding a k-bit model under the stage's
autocast, gold accuracy from the dataset folder's metadata."""

from __future__ import annotations

import json

import pytest

from tests.finetune.conftest import _settings

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_greedy_answers_stop_at_eos_and_keep_it(tiny_model_dir):
    import datasets

    from tomlab.finetune.common import load_tokenizer_for
    from tomlab.finetune.heldout import greedy_answers
    from tomlab.models import load_model

    s = _settings("dpo", tiny_model_dir)
    tok = load_tokenizer_for(str(tiny_model_dir), s)
    model = load_model(str(tiny_model_dir), dtype="float32", device="cpu")
    rows = datasets.Dataset.from_list([{"prompt": "Context: a. Question: b?"}, {"prompt": "Question: Yes?"}])
    texts, ids, ended = greedy_answers(model, tok, rows, max_prompt_length=64, max_new_tokens=5, batch_size=2)
    assert len(texts) == 2 and all(len(a) <= 5 for a in ids)
    for answer, done in zip(ids, ended):
        assert done == (bool(answer) and answer[-1] == tok.eos_token_id)
        assert tok.pad_token_id not in answer


def test_heldout_decoding_of_a_kbit_model_runs_under_the_stage_autocast(tiny_model_dir):
    """A k-bit model keeps lm_head in float32 while its body computes in bf16 (seen with 4-bit PPO on CUDA): the
    held-out measurement must decode it under autocast, as the trainer does. Simulated on the CPU."""
    from contextlib import nullcontext

    import datasets
    import torch

    from tomlab.finetune.common import load_tokenizer_for
    from tomlab.finetune.heldout import greedy_answers, quantized_autocast
    from tomlab.models import load_model

    s = _settings("dpo", tiny_model_dir)
    tok = load_tokenizer_for(str(tiny_model_dir), s)
    model = load_model(str(tiny_model_dir), dtype="bfloat16", device="cpu")
    model.lm_head.float()
    rows = datasets.Dataset.from_list([{"prompt": "Context: a. Question: b?"}])
    with pytest.raises(RuntimeError, match="dtype|scalar type"):
        greedy_answers(model, tok, rows, max_prompt_length=64, max_new_tokens=3, batch_size=1)
    model.is_quantized = True
    with quantized_autocast(model, s.train):
        texts, _, _ = greedy_answers(model, tok, rows, max_prompt_length=64, max_new_tokens=3, batch_size=1)
    assert len(texts) == 1
    assert isinstance(quantized_autocast(torch.nn.Linear(2, 2), s.train), nullcontext)  # not quantized: untouched


def test_heldout_gold_accuracy_reads_the_generator_metadata(tiny_model_dir, tmp_path, monkeypatch):
    """Gold accuracy: each held-out prompt's gold found in the dataset folder's eval.jsonl, judged by the data
    package's judge (here a stand-in: the answer names the gold); unreadable answers count as not correct."""
    import datasets

    from tomlab.finetune import heldout
    from tomlab.finetune.common import load_tokenizer_for
    from tomlab.models import load_model

    rows = [{"prompt": f"Context: story {i}. Question: q{i}?", "chosen": "a", "rejected": "b", "answer_type": "entity",
             "gold": "x", "options": ["x", "y"]} for i in range(3)]
    (tmp_path / "eval.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    s = _settings("dpo", tiny_model_dir, "--dataset", str(tmp_path), "--heldout_max_new_tokens", "3")
    verdicts = iter([True, None, False])
    monkeypatch.setattr(heldout, "judge", lambda text, row, ended: next(verdicts))
    tok = load_tokenizer_for(str(tiny_model_dir), s)
    model = load_model(str(tiny_model_dir), dtype="float32", device="cpu")
    result = heldout.measure(model, tok, datasets.Dataset.from_list(rows), s)
    assert result["gold_accuracy"] == 1 / 3 and result["gold_judged"] == 2 / 3 and result["gold"] == ["x"] * 3
    assert heldout.gold_metadata(str(tmp_path / "nowhere"), datasets.Dataset.from_list(rows)) is None
