"""Before/after measurement of a policy on a fixed set of held-out prompts: greedy answers, their mean
reward-model score, their accuracy against the gold answer, and their length in tokens.

The set is the first ``--heldout_prompts`` rows of the held-out split (ToM items: taken from the open and the yes/no
form in turn), the same before and after training. Gold accuracy needs each row's gold:

* ToM items (``--tom_items``, :mod:`tomlab.finetune.tom`) carry it in their own columns; answers are read as the ToMi
  scorer reads them, and the accuracy is also reported per form (``gold_accuracy_open``, ``gold_accuracy_yesno``);
* otherwise the generator's metadata of those rows (``answer_type``, ``gold``, ``options``, in the ``eval.jsonl`` of
  a local dataset folder such as the default data or the on-policy step's output), judged by the data package's
  :func:`tomlab.data.gold.judge`; a source without them (a hub dataset) gets no gold accuracy (None).

An answer that cannot be read (no verdict word, no number, no or several options) counts as not correct; the share
that could be read is reported too (``gold_judged``).
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

from ..data import DEFAULT_DATASET, FULL_PROMPT_TEMPLATE, PROMPT_TEMPLATE, tokenize_prompt
from ..data.gold import judge
from ..io import atomic_write_text
from . import tom
from .args import StageSettings
from .common import change

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
    """The first ``n`` held-out rows; for ToM items, the first rows of each form in turn (so both forms are measured
    whatever the order of the file)."""
    if "form" not in evals.column_names:
        return evals.select(range(min(n, len(evals))))
    queues = {}
    for i, form in enumerate(evals["form"]):
        queues.setdefault(form, []).append(i)
    picked = []
    while len(picked) < n and any(queues.values()):
        for queue in queues.values():
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    return evals.select(picked)


def greedy_answers(model, tokenizer, rows, max_prompt_length: int, max_new_tokens: int, batch_size: int,
                   template: str = PROMPT_TEMPLATE):
    """(answer texts, answer token ids, whether each ended with EOS) of greedy decoding, batch by batch."""
    import torch
    from tqdm.auto import tqdm
    from transformers import GenerationConfig

    config = GenerationConfig(do_sample=False, max_new_tokens=max_new_tokens, eos_token_id=tokenizer.eos_token_id,
                              pad_token_id=tokenizer.pad_token_id)
    device = next(model.parameters()).device
    texts, ids, ended = [], [], []
    prompts = [tokenize_prompt(tokenizer, p, max_prompt_length=max_prompt_length, template=template)
               for p in rows["prompt"]]
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


def _mean(values: list):
    return sum(values) / len(values) if values else None


def tom_verdicts(texts: list[str], rows, ended: list[bool]) -> list[bool | None]:
    """ToM items: True/False for a readable answer (gold or not), None for an unreadable one."""
    from ..grading import Grader

    grader = Grader()
    verdicts = []
    for text, row, end in zip(texts, rows, ended):
        named = tom.read_answer(text, row, end, grader)
        verdicts.append(None if named is None else named == row["answer"])
    return verdicts


def measure(model, tokenizer, rows, s: StageSettings, reward_model=None, adapter_off: bool = False) -> dict:
    """Answer ``rows`` greedily with ``model`` (its LoRA adapter switched off with ``adapter_off``: the model before
    training) and summarize: mean reward-model score, gold accuracy (ToM items: also per form), share of answers that
    ended, mean length in tokens (EOS included)."""
    bs = s.train.per_device_eval_batch_size
    template = prompt_template(s)
    with model.disable_adapter() if adapter_off else nullcontext(), quantized_autocast(model, s.train):
        texts, ids, ended = greedy_answers(model, tokenizer, rows, s.script.max_prompt_length,
                                           s.script.heldout_max_new_tokens, bs, template)
    result = {"prompts": len(texts), "ended_with_eos": sum(ended) / len(ended),
              "mean_answer_tokens": sum(len(a) for a in ids) / len(ids), "mean_reward": None, "gold_accuracy": None,
              "gold_judged": None, "answers": texts}
    if reward_model is not None:
        with quantized_autocast(reward_model, s.train):
            scores = reward_scores(reward_model, tokenizer, rows, ids, s.script.max_prompt_length, bs)
        result["mean_reward"] = sum(scores) / len(scores)
    if s.data.tom_items:
        verdicts = tom_verdicts(texts, rows, ended)
        result["gold"] = list(rows["answer"])
        for form in ("open", "yesno"):
            result[f"gold_accuracy_{form}"] = _mean([v is True for v, f in zip(verdicts, rows["form"]) if f == form])
            result[f"mean_answer_tokens_{form}"] = _mean([len(a) for a, f in zip(ids, rows["form"]) if f == form])
    else:
        meta = gold_metadata(s.data.dataset, rows)
        verdicts = None if meta is None else [judge(text, row, end) for text, row, end in zip(texts, meta, ended)]
        result["gold"] = [row["gold"] for row in meta] if meta is not None else [None] * len(texts)
    if verdicts is not None:
        result["gold_accuracy"] = _mean([v is True for v in verdicts])
        result["gold_judged"] = _mean([v is not None for v in verdicts])
    return result


def prompt_template(s: StageSettings) -> str:
    """How a stage turns the prompt column into the text before the answer: ToM items hold the whole prompt."""
    return FULL_PROMPT_TEMPLATE if s.data.tom_items else PROMPT_TEMPLATE


def save_answers(output_dir: str, rows, before: dict, after: dict) -> Path:
    """Write prompt, gold, answer before and after (and the form of a ToM item), one JSON line per held-out prompt
    (for reading them)."""
    forms = rows["form"] if "form" in rows.column_names else [None] * len(rows)
    lines = [json.dumps({"prompt": p, "gold": g, "before": b, "after": a, **({"form": f} if f else {})},
                        ensure_ascii=False)
             for p, g, b, a, f in zip(rows["prompt"], before["gold"], before["answers"], after["answers"], forms)]
    path = Path(output_dir) / ANSWERS_FILE
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def summary(before: dict, after: dict) -> dict:
    """The before/after figures for metrics.json (the answers themselves go to :data:`ANSWERS_FILE`)."""
    keys = ("mean_reward", "gold_accuracy", "gold_judged", "ended_with_eos", "mean_answer_tokens")
    keys += tuple(k for k in ("gold_accuracy_open", "gold_accuracy_yesno", "mean_answer_tokens_open",
                              "mean_answer_tokens_yesno") if k in before)
    return {"heldout_prompts": before["prompts"],
            **{f"heldout_{k}_before": before[k] for k in keys}, **{f"heldout_{k}_after": after[k] for k in keys}}


def tom_line(metrics: dict) -> str:
    """The summary line of the held-out ToM prompts (before -> after)."""
    return (f"held-out ToM prompts ({metrics['heldout_prompts']}, greedy): gold accuracy open "
            f"{change(metrics, 'heldout_gold_accuracy_open')}, yes/no {change(metrics, 'heldout_gold_accuracy_yesno')}"
            f" (readable {change(metrics, 'heldout_gold_judged')}); answer length in tokens "
            f"{change(metrics, 'heldout_mean_answer_tokens')}, ending with EOS "
            f"{change(metrics, 'heldout_ended_with_eos')}")
