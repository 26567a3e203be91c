"""On-policy preference pairs: answers sampled from a model, judged against the generator's gold, paired.

For each of ``n_prompts`` training prompts the model (the merged SFT model in the chain) writes ``samples`` answers
with the project's batched engine; :func:`tomlab.data.gold.judge` marks each first sentence correct, incorrect or
unjudgeable; a prompt with at least one correct and one incorrect answer gives one pair (a correct one as chosen, an
incorrect one as rejected, both the model's own words). :func:`merge_pairs` then writes the folder the reward model
and DPO read: the minimal pairs plus the on-policy pairs in ``train.jsonl``, the minimal eval pairs in
``eval.jsonl``.

    summary = build_on_policy_dataset("runs/finetune/sft/merged", "runs/finetune/preference_data",
                                      n_prompts=300, samples=4, seed=0)
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from ..errors import ToMLabError
from ..generation import Engine, PromptGroup, SamplingParams, answer_seed
from ..io import atomic_write_json, atomic_write_text
from ..schema import STOP_SEQUENCES
from .generator import METADATA, jsonl, read_jsonl
from .gold import answer_key, first_sentence, judge
from .loader import DEFAULT_DATASET, format_prompt

#: Sampling for on-policy answers: hotter than the experiment's 0.4 so that one prompt's answers disagree often
#: enough to give a correct and an incorrect one; top-k/top-p as in the original. An answer here is one sentence
#: (about 10-25 tokens): 48 new tokens always reach its end and bound the cost of a rambling one.
ON_POLICY_SAMPLING = SamplingParams(max_new_tokens=48, top_k=50, top_p=0.95, temperature=1.0, do_sample=True)
#: Stop at the end of the first sentence (only it is judged and kept) or at a new item: a rambling model then costs
#: no more than a terse one. Not at a line break: many models open their answer with one.
ON_POLICY_STOPS = (*STOP_SEQUENCES, ".", "?", "!")
SOURCE = "on_policy"
SUMMARY = "on_policy_summary.json"
ANSWERS = "on_policy_answers.jsonl"  # every sampled answer with its verdict, for auditing the judge
#: The columns a dataset needs for on-policy pairs (what the generator writes besides prompt/chosen/rejected).
NEEDED = ("prompt", "answer_type", "gold", "options")


def pick_prompts(rows: list[dict], n_prompts: int, seed: int) -> list[dict]:
    """``n_prompts`` distinct prompts, a seeded sample in the rows' order."""
    by_prompt = {r["prompt"]: r for r in rows}
    if n_prompts > len(by_prompt):
        raise ToMLabError(f"--n_prompts {n_prompts}: the data has only {len(by_prompt)} distinct prompts")
    keep = set(random.Random(seed).sample(sorted(by_prompt), n_prompts))
    return [r for p, r in by_prompt.items() if p in keep]


def pair_answers(row: dict, answers: list[tuple[str, bool]], seed: int) -> dict | None:
    """One on-policy row from a prompt's answers, or ``None`` without both a correct and an incorrect answer.

    ``answers``: ``(text, ended)`` per sampled answer (``ended``: it finished before its token limit).
    """
    verdicts: dict[bool, list[str]] = {True: [], False: []}
    for text, ended in answers:
        verdict = judge(text, row, ended)
        sentence = first_sentence(text) or text.strip()
        if verdict is not None and sentence not in verdicts[verdict]:
            verdicts[verdict].append(sentence)
    if not (verdicts[True] and verdicts[False]):
        return None
    rng = random.Random(answer_seed(seed, "pair", row["prompt"]))
    chosen, rejected = rng.choice(verdicts[True]), rng.choice(verdicts[False])
    question = row["prompt"].rsplit(" Question: ", 1)[-1]
    wrong = answer_key(rejected, row["answer_type"], row["options"], question, row["gold"])
    return {**row, "chosen": chosen, "rejected": rejected, "source": SOURCE, "wrong": wrong}


def sample_on_policy_pairs(model: str, data: str | Path | None = None, *, n_prompts: int = 300, samples: int = 4,
                           seed: int = 0, split: str = "train", sampling: SamplingParams = ON_POLICY_SAMPLING,
                           batch_size: int = 256, dtype: str = "auto", device: str | None = None,
                           progress: bool = True) -> tuple[list[dict], list[dict], dict]:
    """Sample ``samples`` answers for ``n_prompts`` prompts of ``data``'s ``split`` and pair them.

    Returns the on-policy rows (the generator's columns, ``source`` = ``"on_policy"``), every sampled answer with
    its verdict (``prompt``, ``answer``, ``ended``, ``verdict``: true/false/null), and counts: prompts, answers,
    judged, correct, pairs, yield (pairs per prompt), new tokens, seconds.
    """
    from tqdm.auto import tqdm

    from ..models import load_model, load_tokenizer, resolve_model

    if n_prompts < 1 or samples < 2:
        raise ToMLabError(f"--n_prompts {n_prompts} --samples {samples}: need at least 1 prompt and 2 samples")
    folder = Path(data) if data else DEFAULT_DATASET
    rows = read_jsonl(folder / f"{split}.jsonl")
    missing = [c for c in NEEDED if rows and c not in rows[0]]
    if missing:
        raise ToMLabError(f"--data {folder}: {split}.jsonl has no {', '.join(missing)} column (on-policy pairs need "
                          "the generator's gold; use a folder written by scripts/make_preference_data.py)")
    prompts = pick_prompts(rows, n_prompts, seed)
    path = resolve_model(model)
    tokenizer = load_tokenizer(path)
    engine = Engine(load_model(path, dtype=dtype, device=device), tokenizer, stop_sequences=ON_POLICY_STOPS,
                    batch_size=batch_size)
    groups = [PromptGroup(format_prompt(r["prompt"]),
                          [((i, k), answer_seed(seed, SOURCE, r["prompt"], k)) for k in range(samples)])
              for i, r in enumerate(prompts)]
    found: dict[tuple[int, int], tuple[str, bool]] = {}
    tokens, start = 0, time.perf_counter()
    with tqdm(total=len(prompts) * samples, desc="on-policy answers", unit="ans", disable=not progress) as bar:
        for done in engine.generate(groups, sampling, progress=bar):
            text = done.text
            if done.finish_reason == "stop_sequence" and text and text[-1] not in ".?!":
                text += "."  # the engine cuts the stop sequence off: give the sentence its end back
            found[done.key] = (text, done.finish_reason != "length")
            tokens += done.new_tokens
    seconds = time.perf_counter() - start
    # in sample order, not finish order: the pairing does not depend on batching
    answers = [[found[(i, k)] for k in range(samples)] for i in range(len(prompts))]
    log = [{"prompt": r["prompt"], "answer": text, "ended": ended, "verdict": judge(text, r, ended)}
           for r, group in zip(prompts, answers) for text, ended in group]
    verdicts = [a["verdict"] for a in log]
    pairs = [p for r, group in zip(prompts, answers) if (p := pair_answers(r, group, seed)) is not None]
    stats = {"prompts": len(prompts), "samples": samples, "answers": len(verdicts),
             "judged": sum(v is not None for v in verdicts), "correct": sum(v is True for v in verdicts),
             "pairs": len(pairs), "yield": round(len(pairs) / len(prompts), 4), "new_tokens": tokens,
             "seconds": round(seconds, 1)}
    return pairs, log, stats


def merge_pairs(minimal: str | Path | None, on_policy: list[dict], out: str | Path, seed: int = 0) -> dict:
    """Write ``out/train.jsonl`` (minimal + on-policy pairs, shuffled), ``out/eval.jsonl`` (the minimal eval pairs)
    and ``out/on_policy.jsonl``; return the sizes. ``out`` is then a dataset folder for ``--dataset``."""
    folder = Path(minimal) if minimal else DEFAULT_DATASET
    train, evals = read_jsonl(folder / "train.jsonl"), read_jsonl(folder / "eval.jsonl")
    columns = ["prompt", "chosen", "rejected", *METADATA]
    merged = [{c: r.get(c) for c in columns} for r in train + on_policy]
    random.Random(seed).shuffle(merged)
    out = Path(out)
    if out.resolve() == folder.resolve():
        raise ToMLabError(f"--out {out}: must differ from the minimal-pairs folder it reads")
    atomic_write_text(out / "on_policy.jsonl", jsonl(on_policy))
    atomic_write_text(out / "eval.jsonl", jsonl(evals))
    atomic_write_text(out / "train.jsonl", jsonl(merged))
    return {"train": len(merged), "train_minimal": len(train), "train_on_policy": len(on_policy),
            "eval": len(evals)}


def build_on_policy_dataset(model: str, out: str | Path, data: str | Path | None = None, *, n_prompts: int = 300,
                            samples: int = 4, seed: int = 0, sampling: SamplingParams = ON_POLICY_SAMPLING,
                            batch_size: int = 256, dtype: str = "auto", device: str | None = None,
                            progress: bool = True) -> dict:
    """Sample, judge and pair on-policy answers of ``model``, merge them with ``data``'s minimal pairs into ``out``.

    ``out/on_policy_summary.json`` is written last (settings and counts): a folder that has it is complete, and a
    second call with the same settings returns its summary without sampling again.
    """
    out = Path(out)
    settings = {"model": str(model), "data": str(Path(data) if data else DEFAULT_DATASET), "n_prompts": n_prompts,
                "samples": samples, "seed": seed, "sampling": sampling.__dict__, "dtype": dtype}
    done = out / SUMMARY
    if done.is_file():
        summary = json.loads(done.read_text())
        if summary.get("settings") == settings:
            return {**summary, "skipped": True}
        raise ToMLabError(f"--out {out}: holds on-policy pairs made with other settings; choose another folder")
    pairs, log, stats = sample_on_policy_pairs(model, data, n_prompts=n_prompts, samples=samples, seed=seed,
                                          sampling=sampling, batch_size=batch_size, dtype=dtype, device=device,
                                          progress=progress)
    sizes = merge_pairs(data, pairs, out, seed)
    atomic_write_text(out / ANSWERS, jsonl(log))
    summary = {"settings": settings, "stats": stats, "sizes": sizes}
    atomic_write_json(done, summary)
    return {**summary, "skipped": False}
