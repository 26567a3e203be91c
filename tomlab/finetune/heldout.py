"""Before/after measurement of a policy on a fixed set of held-out prompts: greedy answers, their mean
reward-model score, and their accuracy against the generator's gold answer.

The set is the first ``--heldout_prompts`` rows of the held-out split, the same before and after training. Gold
accuracy needs the generator's metadata of those rows (``answer_type``, ``gold``, ``options``, in the ``eval.jsonl``
of a local dataset folder such as the default data or the on-policy step's output), judged by the data package's
:func:`tomlab.data.gold.judge`; a source without them (a hub dataset) gets no gold accuracy (None). An answer the
judge cannot read (no verdict word, no number, no or several options) counts as not correct; the share it could
read is reported too (``gold_judged``).
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

from ..data import DEFAULT_DATASET, tokenize_prompt
from ..data.gold import judge
from ..io import atomic_write_text

ANSWERS_FILE = "heldout_answers.jsonl"
#: What the judge reads of a row besides the prompt.
GOLD_COLUMNS = frozenset({"answer_type", "gold", "options"})


def gold_metadata(dataset: str | None, rows) -> list[dict] | None:
    """Each held-out row's generator metadata, found by its prompt in the ``eval.jsonl`` of a local dataset folder
    (the loader keeps only prompt/chosen/rejected); None where the source has no such file or a row lacks it."""
    folder = DEFAULT_DATASET if dataset in (None, "", "default") else Path(dataset)
    path = folder / "eval.jsonl"
    if not path.is_file():
        return None
    by_prompt = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            by_prompt.setdefault(str(row.get("prompt", "")).strip(), row)
    found = [by_prompt.get(prompt) for prompt in rows["prompt"]]
    return None if any(r is None or not GOLD_COLUMNS <= r.keys() for r in found) else found


def heldout_rows(evals, n: int):
    return evals.select(range(min(n, len(evals))))


def greedy_answers(model, tokenizer, rows, max_prompt_length: int, max_new_tokens: int, batch_size: int):
    """(answer texts, answer token ids, whether each ended with EOS) of greedy decoding, batch by batch."""
    import torch
    from tqdm.auto import tqdm
    from transformers import GenerationConfig

    config = GenerationConfig(do_sample=False, max_new_tokens=max_new_tokens, eos_token_id=tokenizer.eos_token_id,
                              pad_token_id=tokenizer.pad_token_id)
    device = next(model.parameters()).device
    texts, ids, ended = [], [], []
    prompts = [tokenize_prompt(tokenizer, p, max_prompt_length=max_prompt_length) for p in rows["prompt"]]
    was_training = model.training
    model.eval()
    for i in tqdm(range(0, len(prompts), batch_size), desc="Greedy answers", leave=False):
        batch = prompts[i:i + batch_size]
        width = max(len(p) for p in batch)
        input_ids = torch.tensor([[tokenizer.pad_token_id] * (width - len(p)) + p for p in batch], device=device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in batch], device=device)
        with torch.no_grad():
            out = model.generate(input_ids=input_ids, attention_mask=mask, generation_config=config)
        for row in out[:, width:].tolist():
            answer = []
            for tok in row:
                if tok == tokenizer.eos_token_id:
                    answer.append(tok)
                    break
                if tok == tokenizer.pad_token_id:
                    break
                answer.append(tok)
            ids.append(answer)
            ended.append(bool(answer) and answer[-1] == tokenizer.eos_token_id)
            texts.append(tokenizer.decode(answer, skip_special_tokens=True).strip())
    model.train(was_training)
    return texts, ids, ended


def reward_scores(reward_model, tokenizer, rows, answer_ids, max_prompt_length: int, batch_size: int) -> list[float]:
    """The reward model's score of each prompt + answer, tokenized as in training."""
    import torch

    seqs = [tokenize_prompt(tokenizer, p, max_prompt_length=max_prompt_length) + a
            for p, a in zip(rows["prompt"], answer_ids)]
    device = next(reward_model.parameters()).device
    scores = []
    for i in range(0, len(seqs), batch_size):
        batch = seqs[i:i + batch_size]
        width = max(len(x) for x in batch)
        input_ids = torch.tensor([x + [tokenizer.pad_token_id] * (width - len(x)) for x in batch], device=device)
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in batch], device=device)
        with torch.no_grad():
            scores += reward_model(input_ids=input_ids, attention_mask=mask).logits[:, 0].float().tolist()
    return scores


def quantized_autocast(model, train_args):
    """Autocast to the stage's mixed-precision dtype for a k-bit model, as its trainer runs it.

    A 4/8-bit model keeps ``lm_head`` and the norms in float32 while its quantized layers return the compute dtype, so
    a forward pass outside the trainer's autocast fails ("expected scalar type Float but found BFloat16", seen with
    4-bit PPO on CUDA). Models that are not quantized are left alone.
    """
    import torch

    if not (getattr(model, "is_quantized", False) or getattr(model, "hf_quantizer", None) is not None):
        return nullcontext()
    dtype = torch.float16 if train_args.fp16 else torch.bfloat16
    return torch.autocast(next(model.parameters()).device.type, dtype=dtype)


def measure(model, tokenizer, rows, s, reward_model=None, adapter_off: bool = False) -> dict:
    """Answer ``rows`` greedily with ``model`` (its LoRA adapter switched off with ``adapter_off``: the model before
    training) and summarize: mean reward-model score, gold accuracy, share of answers that ended, mean length."""
    bs = s.train.per_device_eval_batch_size
    with model.disable_adapter() if adapter_off else nullcontext(), quantized_autocast(model, s.train):
        texts, ids, ended = greedy_answers(model, tokenizer, rows, s.script.max_prompt_length,
                                           s.script.heldout_max_new_tokens, bs)
    result = {"prompts": len(texts), "ended_with_eos": sum(ended) / len(ended),
              "mean_answer_tokens": sum(len(a) for a in ids) / len(ids), "mean_reward": None, "gold_accuracy": None,
              "gold_judged": None, "answers": texts}
    if reward_model is not None:
        with quantized_autocast(reward_model, s.train):
            scores = reward_scores(reward_model, tokenizer, rows, ids, s.script.max_prompt_length, bs)
        result["mean_reward"] = sum(scores) / len(scores)
    meta = gold_metadata(s.data.dataset, rows)
    if meta is not None:
        verdicts = [judge(text, row, end) for text, row, end in zip(texts, meta, ended)]
        result["gold_accuracy"] = sum(v is True for v in verdicts) / len(verdicts)
        result["gold_judged"] = sum(v is not None for v in verdicts) / len(verdicts)
    result["gold"] = [row["gold"] for row in meta] if meta is not None else [None] * len(texts)
    return result


def save_answers(output_dir: str, rows, before: dict, after: dict) -> Path:
    """Write prompt, gold, answer before and after, one JSON line per held-out prompt (for reading them)."""
    lines = [json.dumps({"prompt": p, "gold": g, "before": b, "after": a}, ensure_ascii=False)
             for p, g, b, a in zip(rows["prompt"], before["gold"], before["answers"], after["answers"])]
    path = Path(output_dir) / ANSWERS_FILE
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def summary(before: dict, after: dict) -> dict:
    """The before/after figures for metrics.json (the answers themselves go to :data:`ANSWERS_FILE`)."""
    keys = ("mean_reward", "gold_accuracy", "gold_judged", "ended_with_eos", "mean_answer_tokens")
    return {"heldout_prompts": before["prompts"],
            **{f"heldout_{k}_before": before[k] for k in keys}, **{f"heldout_{k}_after": after[k] for k in keys}}
