"""Which question kinds a model can already read: per kind, how often its own likelihood prefers the chosen answer.

A pair counts as read when the summed log-probability of the chosen answer (tokenized apart from the prompt and
closed with EOS, exactly as the stages train) is above that of the rejected one. Kinds read in at least
:data:`READABLE_THRESHOLD` of a seeded sample of TRAIN pairs are the ones a reward model on this model can learn
within the CPU budget (``configs/recipes/small/reward.yaml``); the eval split is never looked at.

    rates = kind_preference(model, tokenizer, sample_pairs(rows, 600, seed=0))
    readable_kinds(rates)   # -> ["count_start", "first_place", ...]
"""

from __future__ import annotations

import random
from collections import defaultdict

from .loader import tokenize_prompt, tokenize_response

#: A kind is readable when the model's likelihood prefers the chosen answer in at least this share of its pairs.
READABLE_THRESHOLD = 0.70


def sample_pairs(rows: list[dict], n: int, seed: int) -> list[dict]:
    """``n`` pairs drawn without replacement with a seeded shuffle (all of them when there are fewer)."""
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    return rows[:n]


def answer_logprob(model, tokenizer, prompt: str, answer: str) -> float:
    """Summed log-probability of ``answer`` (with its EOS) after the formatted ``prompt``."""
    import torch

    prompt_ids = tokenize_prompt(tokenizer, prompt)
    answer_ids = tokenize_response(tokenizer, answer)
    ids = torch.tensor([prompt_ids + answer_ids], device=model.device)
    with torch.no_grad():
        logits = model(ids).logits[0, len(prompt_ids) - 1:-1].float()
    return torch.log_softmax(logits, -1).gather(1, ids[0, len(prompt_ids):, None]).sum().item()


def kind_preference(model, tokenizer, rows: list[dict], progress: bool = True) -> dict[str, tuple[int, int]]:
    """{kind: (pairs whose chosen answer the model prefers, pairs)}."""
    from tqdm.auto import tqdm

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in tqdm(rows, desc="pairs", unit="pair", disable=not progress):
        chosen = answer_logprob(model, tokenizer, row["prompt"], row["chosen"])
        rejected = answer_logprob(model, tokenizer, row["prompt"], row["rejected"])
        counts[row["kind"]][0] += chosen > rejected
        counts[row["kind"]][1] += 1
    return {kind: (k, n) for kind, (k, n) in sorted(counts.items())}


def readable_kinds(rates: dict[str, tuple[int, int]], threshold: float = READABLE_THRESHOLD) -> list[str]:
    """The kinds whose preference rate reaches ``threshold``, in name order."""
    return [kind for kind, (k, n) in rates.items() if n and k / n >= threshold]
