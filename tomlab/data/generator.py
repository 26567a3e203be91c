"""The default preference dataset: minimal pairs of in-context answers, balanced, split with held-out families.

A row asks one question about one generated story (:mod:`.stories`). ``chosen`` and ``rejected`` are the same
answer template filled with the key the story decides and with another key the story names, so only the context
tells them apart. Across a split the pairs are selected so that no answer word predicts ``chosen``: every word that
differs between the two sides of a pair (a place, a name, a number, ``yes``/``no``/``not``) is on the chosen side as
often as on the rejected side, within :data:`BALANCE_TOLERANCE`, and so are "the chosen answer is the longer one"
and "the chosen answer names the larger number".

The eval split is stories of families or templates that the train split never uses (:mod:`.stories.split`):
a reward model must read, not recall.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

from ..errors import ToMLabError
from ..formatting import markdown_table
from ..io import atomic_write_text
from . import leakage
from .stories import (
    FAMILIES,
    HELD_OUT_FAMILIES,
    HELD_OUT_TEMPLATES,
    PEOPLE,
    PROPER_NAMES,
    Draw,
    Story,
    split_templates,
)

#: At most this many questions per story: more stories, fewer near-duplicate prompts.
QUESTIONS_PER_STORY = 2
#: A pair is kept only if afterwards no differing word is more than this many times more often chosen than
#: rejected (or the reverse): the selection stays within a pair or two of perfect balance.
BALANCE_TOLERANCE = 1
#: Give up when this many candidate stories per wanted pair did not fill the split (a family that cannot balance).
MAX_STORIES_PER_PAIR = 40
LONGER, LARGER = "<chosen is longer>", "<chosen's number is larger>"
SOURCE = "minimal"
METADATA = ("source", "family", "template", "held_out", "story_id", "kind", "answer_type", "gold", "wrong", "options")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def differing_words(chosen: str, rejected: str) -> Counter:
    """+1 per word only the chosen side has, -1 per word only the rejected side has (multiset difference), and
    the same for two properties a reader of the answers alone could use: being longer, naming the larger number."""
    c, r = Counter(words(chosen)), Counter(words(rejected))
    diff = Counter(c)
    diff.subtract(r)
    diff = Counter({w: n for w, n in diff.items() if n})
    if len(chosen) != len(rejected):
        diff[LONGER] = 1 if len(chosen) > len(rejected) else -1
    numbers = [re.findall(r"\d+", text) for text in (chosen, rejected)]
    if all(numbers) and int(numbers[0][0]) != int(numbers[1][0]):
        diff[LARGER] = 1 if int(numbers[0][0]) > int(numbers[1][0]) else -1
    return diff


class Balance:
    """Running chosen-minus-rejected count per differing word; admits a pair only if it keeps every count small."""

    def __init__(self, tolerance: int = BALANCE_TOLERANCE):
        self.tolerance = tolerance
        self.count: Counter = Counter()

    def admit(self, chosen: str, rejected: str) -> bool:
        diff = differing_words(chosen, rejected)
        if any(abs(self.count[w] + n) > max(self.tolerance, abs(self.count[w])) for w, n in diff.items()):
            return False
        self.count.update(diff)
        return True

    def worst(self) -> int:
        return max((abs(n) for n in self.count.values()), default=0)


def _row(story: Story, question, held_out: str, story_id: str) -> dict:
    return {"prompt": f"Context: {story.text} Question: {question.text}", "chosen": question.chosen,
            "rejected": question.rejected, "source": SOURCE, "family": story.family, "template": story.template,
            "held_out": held_out, "story_id": story_id, "kind": question.kind, "answer_type": question.answer_type,
            "gold": question.gold, "wrong": question.wrong, "options": list(question.options)}


def _check_names() -> None:
    names = {n for n, _ in PEOPLE} | {w for name in PROPER_NAMES for w in name.split()}
    clash = names & leakage.forbidden()[1]
    if clash:
        raise ToMLabError(f"generator names overlap the ToM test scenarios: {sorted(clash)}")


def generate_split(split: str, n_pairs: int, rng: random.Random) -> list[dict]:
    """``n_pairs`` balanced rows of ``split`` ("train" or "eval"), families taking turns."""
    sources = split_templates(split)
    by_family: dict[str, list[tuple[str, str]]] = {}
    for family, template, held in sources:
        by_family.setdefault(family, []).append((template, held))
    per_family = Counter({family: 0 for family in by_family})
    turns = Counter()
    balance, rows, seen = Balance(), [], set()
    stories = 0
    while len(rows) < n_pairs:
        if stories > MAX_STORIES_PER_PAIR * n_pairs:
            raise ToMLabError(f"cannot generate {n_pairs} balanced {split} pairs (got {len(rows)})")
        family = min(per_family, key=lambda f: (per_family[f], turns[f]))  # the family with the fewest pairs
        template, held = by_family[family][turns[family] % len(by_family[family])]
        turns[family] += 1
        stories += 1
        story = FAMILIES[family][0](Draw(rng), template)
        if story.text in seen or leakage.shares_a_sentence(story.text):
            continue
        seen.add(story.text)
        story_id = f"{split}-{len(seen):05d}"
        questions = rng.sample(story.questions, min(QUESTIONS_PER_STORY, len(story.questions)))
        for q in questions:
            if len(rows) < n_pairs and not leakage.shares_a_sentence(q.text, q.chosen, q.rejected) \
                    and balance.admit(q.chosen, q.rejected):
                rows.append(_row(story, q, held, story_id))
                per_family[family] += 1
    rng.shuffle(rows)
    return rows


def generate(n_train: int, n_eval: int, seed: int) -> tuple[list[dict], list[dict]]:
    """The train and eval rows of the default dataset (seeded: the same arguments give the same rows)."""
    _check_names()
    rng = random.Random(seed)
    return generate_split("train", n_train, rng), generate_split("eval", n_eval, rng)


# ------------------------------------------------------------------------------------------------ writing
def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def read_jsonl(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise ToMLabError(f"{path}: no such file")
    rows = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ToMLabError(f"{path} line {i}: not JSON ({exc.msg})") from None
    return rows


def describe(train: list[dict], evals: list[dict]) -> dict:
    """Counts for the dataset card: per family/template/kind, words per story, balance."""
    def story_words(rows):
        counts = [len(r["prompt"].split(" Question: ")[0].split()) - 1 for r in rows]
        return min(counts), round(sum(counts) / len(counts)), max(counts)

    def worst(rows):
        balance = Balance()
        for r in rows:
            balance.count.update(differing_words(r["chosen"], r["rejected"]))
        return balance.worst()

    return {
        "train": len(train), "eval": len(evals),
        "train_stories": len({r["story_id"] for r in train}), "eval_stories": len({r["story_id"] for r in evals}),
        "train_families": Counter(r["family"] for r in train), "eval_families": Counter(r["family"] for r in evals),
        "eval_held_out": Counter(r["held_out"] for r in evals),
        "train_templates": sorted({f"{r['family']}/{r['template']}" for r in train}),
        "eval_templates": sorted({f"{r['family']}/{r['template']}" for r in evals}),
        "kinds_by_family": {f: sorted({r["kind"] for r in train + evals if r["family"] == f}) for f in FAMILIES},
        "answer_types": Counter(r["answer_type"] for r in train + evals),
        "story_words": story_words(train + evals), "worst_imbalance": max(worst(train), worst(evals)),
    }


# --------------------------------------------------------------------------------------------- the folder
DEFAULT_TRAIN, DEFAULT_EVAL, DEFAULT_SEED = 2000, 300, 1234
#: Fresh training-template pairs for the card's in-distribution separability figure (seed: the dataset's + 1).
FRESH_PAIRS = 500


def fresh_pairs(seed: int, n: int = FRESH_PAIRS) -> list[dict]:
    """Newly generated pairs of the training templates, independent of the dataset's own (for separability)."""
    return generate_split("train", n, random.Random(seed + 1))


def write_dataset(out: str | Path, n_train: int = DEFAULT_TRAIN, n_eval: int = DEFAULT_EVAL,
                  seed: int = DEFAULT_SEED) -> dict:
    """Generate the default dataset into ``out`` (train.jsonl, eval.jsonl, README.md); return its description."""
    from .separability import format_report, report

    if n_train < 10 or n_eval < 10:
        raise ToMLabError("--train and --eval must each be at least 10")
    train, evals = generate(n_train, n_eval, seed)
    info = describe(train, evals)
    info["separability"] = format_report(report(train, evals, fresh_pairs(seed)))
    out = Path(out)
    atomic_write_text(out / "train.jsonl", jsonl(train))
    atomic_write_text(out / "eval.jsonl", jsonl(evals))
    atomic_write_text(out / "README.md", card(info, seed, train[0]))
    return info


def _command(seed: int, n_train: int, n_eval: int, out: str = "") -> str:
    args = [f"--seed {seed}" if seed != DEFAULT_SEED else "", f"--train {n_train}" if n_train != DEFAULT_TRAIN else "",
            f"--eval {n_eval}" if n_eval != DEFAULT_EVAL else "", out]
    return " ".join(["python scripts/make_preference_data.py", *[a for a in args if a]])


def card(info: dict, seed: int, example: dict) -> str:
    families = []
    for family, (_, templates) in FAMILIES.items():
        eval_only = (", ".join(templates) if family in HELD_OUT_FAMILIES else HELD_OUT_TEMPLATES.get(family, ""))
        train_t = "" if family in HELD_OUT_FAMILIES else ", ".join(t for t in templates if t != eval_only)
        kinds = ", ".join(info["kinds_by_family"].get(family, []))
        families.append([family, train_t or "(none: eval only)", eval_only, kinds])
    families_table = markdown_table(["family", "train templates", "eval-only templates", "question kinds"], "llll",
                                    families)
    lo, mean, hi = info["story_words"]
    shown = {k: example[k] for k in ("prompt", "chosen", "rejected", "family", "template", "kind", "gold", "wrong")}
    return f"""# context_qa_pairs: in-context question answering preference pairs (generated)

The default preference data of every finetuning stage. Written by `{_command(seed, info['train'], info['eval'])}`
(seeded; rerunning it reproduces these files byte for byte; `tests/data/test_generator.py` checks that).

It stands in for the original study's general preference data (`Dahoas/synthetic-instruct-gptj-pairwise`) with
in-context question answering that needs the context: where things are after moves, what happened first or last,
who did what, how many, why something happened, who won. **No question asks about a mental state** (what a character
believes, knows, expects, wants or perceived), so a change in ToM accuracy after finetuning on it cannot come from
training on the ToM task. (The previous default, belief questions with style-contrast rejected answers, is kept as
an ablation: `python scripts/make_preference_data.py --kind belief --out data/belief_qa_pairs`.)

## Files
* `train.jsonl`: {info['train']} pairs ({info['train_stories']} stories).
* `eval.jsonl`: {info['eval']} pairs ({info['eval_stories']} stories).
* Stories of {lo}-{hi} words (mean {mean}), at most {QUESTIONS_PER_STORY} questions each.
* Columns: `prompt` (`Context: <story> Question: <question>`; the stages wrap it in the original training prompt
  `Answer the following question in context:\\n\\nQuestion: {{prompt}}\\n\\nAnswer: `), `chosen`, `rejected`, and
  metadata: `source` (`minimal`; `on_policy` for pairs sampled from a model), `family`, `template`, `held_out`
  (`family`, `template` or `no`), `story_id`, `kind` (what is asked), `answer_type` (`entity`, `number`,
  `yes_no`), `gold` and `wrong` (the keys the two answers name), `options` (every key an answer may name; what
  `tomlab.data.gold.judge` reads).
* Answer types: {_counts(info['answer_types'])}.

## Pairs: minimal, balanced
`chosen` and `rejected` are one answer template filled with two keys the story names; only the context decides
which is right (`The teapot is on the counter now.` / `The teapot is in the sink now.`; yes/no questions:
`Yes, <sentence>.` / `No, <negated sentence>.`). The pairs of each split are selected so that every word that
differs between the two sides of a pair (a place, a name, a number, yes/no/not), "chosen is the longer one" and
"chosen names the larger number" are on the chosen side as often as on the rejected side: the largest imbalance of
any of them is {info['worst_imbalance']}.

## Families and held-out splits
The eval split uses only stories that training never saw in kind: two whole families and one template of every
other family ({_counts(info['eval_held_out'], 'held out by ')}).

{families_table}
Pairs per family: train {_counts(info['train_families'])}; eval {_counts(info['eval_families'])}.

## Separability without the context
`python scripts/check_separability.py` (trains on `train.jsonl`, tests on `eval.jsonl`; add `--fresh 500` for
the second column):

{info['separability']}

## On-policy pairs
The finetuning chain adds pairs in the SFT model's own words: `python scripts/make_on_policy_pairs.py --model
<merged SFT model> --out <folder>` samples answers to training prompts, judges each against `gold`, pairs a
correct with an incorrect answer of the same prompt (`source: on_policy`), and writes `<folder>` with the minimal
pairs plus those in `train.jsonl` and the minimal eval pairs in `eval.jsonl`.

## Example
```json
{json.dumps(shown, indent=1, ensure_ascii=False)}
```
"""


def _counts(counter: Counter, prefix: str = "") -> str:
    return ", ".join(f"{prefix}{k}: {v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))))
