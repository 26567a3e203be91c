"""The belief ablation set from the story families: chosen and rejected answers, the split, the written files.

``chosen`` is the short grounded answer of a family's question; ``rejected`` is one of :data:`REJECTED_TYPES`,
taken in turn. :func:`write_dataset` writes ``train.jsonl``, ``eval.jsonl`` and a README; the same arguments
write the same bytes.
"""

from __future__ import annotations

import random
from pathlib import Path

from ...errors import ToMLabError
from ...io import atomic_write_text
from .. import leakage
from ..generator import jsonl
from ..stories import PEOPLE
from .families import FAMILIES, fill
from .vocabulary import EVASIONS, RAMBLE_OPENERS

KINDS = ("false_belief", "true_belief", "second_order", "factual")
REJECTED_TYPES = ("wrong_conclusion", "evasion", "multiple_answers", "rambling", "example_repetition")


def _chosen(yes_no, answer):
    """The chosen answer: ``answer``, after ``Yes.``/``No.`` for a yes/no question."""
    if yes_no is None:
        return answer
    return f"{yes_no.capitalize()}. {answer}"


def _rejected(rtype, item, other, rng):
    """A rejected answer of failure behaviour ``rtype`` to ``item``; ``other``: an item about another story (what
    rambling and example repetition borrow)."""
    yes_no, kw = item["yes_no"], item["kw"]
    if rtype == "wrong_conclusion":
        if yes_no is None:
            return item["wrong"]
        return f"{'No' if yes_no == 'yes' else 'Yes'}. {item['wrong']}"
    if rtype == "evasion":
        return fill(rng.choice(EVASIONS), **kw)
    if rtype == "multiple_answers":
        right, wrong = item["answer"], item["wrong"]
        if yes_no is not None:
            pair = [f"Yes. {right if yes_no == 'yes' else wrong}", f"No. {wrong if yes_no == 'yes' else right}"]
        else:
            pair = [right, wrong]
        rng.shuffle(pair)
        style = rng.randrange(3)
        if style == 0:
            return f"There are two possible answers. 1) {pair[0]} 2) {pair[1]}"
        if style == 1:
            return f"Maybe: {pair[0]} Or maybe: {pair[1]} Both are possible."
        return f"{pair[0]} But also: {pair[1]}"
    if rtype == "rambling":
        if rng.random() < 0.5:  # answers, then runs on into a made-up new scenario (the runner defect)
            return (f"{_chosen(yes_no, item['answer'])}\n\nContext: {other['story']} "
                    f"Question: {other['question']} Answer: {other['chosen']}")
        return fill(rng.choice(RAMBLE_OPENERS), **{**dict(B="a friend"), **kw}) + " " + other["story"]
    if rtype == "example_repetition":  # answers another story's question
        return other["chosen"]
    raise ValueError(rtype)


def generate(n_train: int, n_eval: int, seed: int) -> tuple[list[dict], list[dict]]:
    """``(train, eval)`` rows of ``n_train`` and ``n_eval`` pairs, a function of ``seed``: the families in turn, one
    plain factual question per story, as many yes as no answers, split by story, rejected types in turn."""
    rng = random.Random(seed)
    forbidden_sentences, forbidden_names = leakage.forbidden()
    used_names = {name for name, _ in PEOPLE} & forbidden_names
    if used_names:
        raise ToMLabError(f"generator names overlap the test scenarios: {sorted(used_names)}")
    names = tuple(FAMILIES)
    stories, seen = [], set()
    target = n_train + n_eval
    attempts = 0
    while sum(len(s["items"]) for s in stories) < target * 1.35 and attempts < target * 50:
        attempts += 1
        family = names[len(stories) % len(names)]
        story, qs, kw = FAMILIES[family](rng)
        if story in seen:
            continue
        factual = [q for q in qs if q[0] == "factual"]
        if len(factual) > 1:  # one plain factual question per story keeps the belief questions the majority
            keep = rng.choice(factual)
            qs = [q for q in qs if q[0] != "factual" or q is keep]
        items = []
        for kind, question, yes_no, answer, wrong in qs:
            item = dict(story=story, question=question, yes_no=yes_no, answer=answer, wrong=wrong, kw=kw,
                        kind=kind, family=family)
            item["chosen"] = _chosen(yes_no, answer)
            texts = [story, question, item["chosen"], answer, wrong]
            if any(s in forbidden_sentences for t in texts for s in leakage.sentences(t)):
                continue  # never share a sentence with the test scenarios or the CoT examples
            items.append(item)
        if items:
            seen.add(story)
            stories.append(dict(story=story, items=items))
    # balance yes and no answers (the report measured a yes-/no-bias): drop random surplus items
    yes_no = [(i, j) for i, s in enumerate(stories) for j, it in enumerate(s["items"]) if it["yes_no"]]
    n_yes = sum(stories[i]["items"][j]["yes_no"] == "yes" for i, j in yes_no)
    surplus_kind = "yes" if n_yes > len(yes_no) - n_yes else "no"
    surplus = [(i, j) for i, j in yes_no if stories[i]["items"][j]["yes_no"] == surplus_kind]
    drop = set(rng.sample(surplus, abs(2 * n_yes - len(yes_no))))
    for i, s in enumerate(stories):
        s["items"] = [it for j, it in enumerate(s["items"]) if (i, j) not in drop]
    stories = [s for s in stories if s["items"]]
    # split by story: every question about one story lands on the same side
    rng.shuffle(stories)
    splits = {"eval": [], "train": []}
    for s in stories:
        side = "eval" if len(splits["eval"]) < n_eval else "train"
        splits[side].extend(s["items"])
    splits["eval"], splits["train"] = splits["eval"][:n_eval], splits["train"][:n_train]
    if len(splits["train"]) < n_train:
        raise ToMLabError(f"only {len(splits['train'])} distinct training pairs could be generated")
    out = {}
    for side, items in splits.items():
        rows = []
        for i, item in enumerate(items):
            rtype = REJECTED_TYPES[i % len(REJECTED_TYPES)]
            other = items[(i + 1 + rng.randrange(len(items) - 1)) % len(items)]
            while other["story"] == item["story"]:
                other = items[rng.randrange(len(items))]
            rejected = _rejected(rtype, item, other, rng)
            rows.append({
                "prompt": f"Context: {item['story']} Question: {item['question']}",
                "chosen": item["chosen"],
                "rejected": rejected,
                "context": item["story"],
                "question": item["question"],
                "kind": item["kind"],
                "family": item["family"],
                "rejected_type": rtype,
            })
        rng.shuffle(rows)
        out[side] = rows
    return out["train"], out["eval"]


CARD = """# belief_qa_pairs: the belief-question ablation set (generated)

Written by `scripts/make_preference_data.py --kind belief --seed {seed} --train {n_train} --eval {n_eval}`; rerun it
to reproduce these files byte for byte. Not the default dataset: see `tomlab/data/belief/` for why.

* `train.jsonl` ({n_train} rows), `eval.jsonl` ({n_eval} rows): split by story (no story is in both).
* Columns: `prompt` (`Context: <story> Question: <question>`), `chosen` (a short grounded answer), `rejected`
  (a failure behaviour), plus `context`, `question`, `kind`, `family`, `rejected_type` for analysis.
* `kind`: {kinds}.
* `rejected_type`: {rtypes}.
"""
BELIEF_TRAIN, BELIEF_EVAL, BELIEF_SEED = 3000, 300, 1234


def write_dataset(out, n_train: int = BELIEF_TRAIN, n_eval: int = BELIEF_EVAL, seed: int = BELIEF_SEED) -> dict:
    """Generate the belief ablation set into ``out`` (train.jsonl, eval.jsonl, README.md); return the kind counts."""
    if n_train < 10 or n_eval < 10:
        raise ToMLabError("--train and --eval must each be at least 10")
    train, evals = generate(n_train, n_eval, seed)
    out = Path(out)
    atomic_write_text(out / "train.jsonl", jsonl(train))
    atomic_write_text(out / "eval.jsonl", jsonl(evals))
    atomic_write_text(out / "README.md", CARD.format(seed=seed, n_train=n_train, n_eval=n_eval,
                                                     kinds=", ".join(KINDS), rtypes=", ".join(REJECTED_TYPES)))
    return {k: sum(r["kind"] == k for r in train) for k in KINDS}
