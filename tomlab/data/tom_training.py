"""ToM training data: ToMi-style stories with belief questions, in open and yes/no form, seeded.

Every story is a list of events drawn by the eval generator's rules (:func:`tomlab.tasks.tomi.random_events`) from
other vocabulary (:mod:`.tom_vocab`), and every gold label follows from that list alone
(:func:`tomlab.tasks.tomi.questions`, which replays it with :func:`tomlab.tasks.tomi.simulate`). Stories and
questions are told in sentence templates the eval set never uses ("Anne walked into the den." where the eval says
"Anne entered the kitchen."). The validation split draws its names, rooms, objects and containers from pools of its
own, so train and validation never share a story; the eval items (``data/tomi/tomi_items.jsonl``) are the test set
and are used for no choice. :mod:`.leakage` proves the separation on the written files.

Both splits are balanced over question kind (reality, memory, first_order, second_order) x belief (true, false) x
form (open, yes/no), cells in turn and each form's stories spread evenly, so any first ``N`` rows stay about
balanced. A cell of the open form holds
``open`` stories of one row each; a cell of the yes/no form holds ``yesno`` stories of two rows each, one probe per
container of the story (one "yes", one "no": the eval counts an item correct only when both probes are right).

A row (one JSON object per line, :data:`FIELDS` in this order):

* ``id``: ``<split>-<story number>`` (open) or ``<split>-<story number>/<probe 1|2>`` (yes/no);
* ``split``, ``source`` (``tomi_gen``), ``kind``, ``belief``, ``form``, ``story``, ``question`` (the open question or
  the probe);
* ``prompt``: the text the benchmark runner asks for that question with its default prompting (Base, scenario
  format, no chat template): :func:`benchmark_prompt`;
* ``answer``: the gold container (open) or ``yes``/``no``; ``choices``: the story's two containers, in story order;
* ``chosen``: a short correct answer the eval's scorer reads as correct ("The pear is in the grey jar.", "Yes.");
  ``rejected``: the same answer with the other container or the other verdict (a minimal pair);
* ``events``: the story as events (as in the eval item file).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToMLabError
from ..formatting import markdown_table
from ..io import atomic_write_text
from ..paths import DATA_DIR
from ..prompts import Condition, ask_prompt
from ..schema import BASE_PROMPTING
from ..tasks import tomi
from . import leakage
from .tom_vocab import OPEN_ANSWERS, OPEN_QUESTIONS, PROBE_QUESTIONS, STORY_TEMPLATES, VOCABULARIES, YES_NO_ANSWERS

DEFAULT_OUT = DATA_DIR / "tom_training"
DEFAULT_SEED = 15
SOURCE = "tomi_gen"
SPLITS = ("train", "validation")
KINDS = tomi.KINDS
BELIEFS = tomi.BELIEFS
FORMS = ("open", "yesno")
FIELDS = ("id", "split", "source", "kind", "belief", "form", "story", "question", "prompt", "answer", "choices",
          "chosen", "rejected", "events")
#: The prompting the benchmark runner uses by default (no step-by-step instruction, no examples, scenario format).
PROMPTING = Condition.from_name(BASE_PROMPTING)
PROMPT_FORMAT = "scenario"
#: Give up on a cell after this many random stories without a fitting new one (the rules make every cell common).
MAX_DRAWS_PER_STORY = 1000


@dataclass(frozen=True)
class SplitSize:
    """Stories per kind x belief cell of a split."""

    open: int  # open-form stories (one row each)
    yesno: int  # yes/no stories (two rows each: one probe per container)

    def rows(self) -> int:
        return len(KINDS) * len(BELIEFS) * (self.open + 2 * self.yesno)


#: 2,560 train rows (about 20 minutes of CPU training of a 135M model), 384 validation rows.
DEFAULT_SIZES = {"train": SplitSize(open=160, yesno=80), "validation": SplitSize(open=24, yesno=12)}


def benchmark_prompt(story: str, question: str) -> str:
    """The prompt the benchmark runner builds for ``question`` about ``story`` with its default settings."""
    return ask_prompt(story, question, PROMPTING, [], PROMPT_FORMAT)


def story_text(events, style: dict) -> str:
    """The story told in the templates ``style`` picks ({event type: template index})."""
    room = next(e["room"] for e in events if e["type"] == "enter")
    out = []
    for e in events:
        template = STORY_TEMPLATES[e["type"]][style[e["type"]]]
        out.append(template.format(agent=e.get("agent"), room=room, object=e.get("object"),
                                   container=e.get("container"), verb=e.get("verb"), thing=e.get("thing")))
    return " ".join(out)


def _fill(template: str, q: dict, container: str | None = None) -> str:
    agents = (*q["agents"], None, None)
    return template.format(a=agents[0], b=agents[1], object=q["object"], container=container)


def story_rows(split: str, number: int, form: str, events: list, q: dict, style: dict, wording: int) -> list[dict]:
    """The rows of one story and one of its questions (:func:`tomlab.tasks.tomi.questions`) in ``form``."""
    story = story_text(events, style)
    choices = list(dict.fromkeys(e["container"] for e in events if e["type"] in ("place", "move")))
    base = {"id": f"{split}-{number:04d}", "split": split, "source": SOURCE, "kind": q["kind"],
            "belief": q["belief"], "form": form, "story": story}
    if form == "open":
        question = _fill(OPEN_QUESTIONS[q["kind"]][wording], q)
        other = next(c for c in choices if c != q["gold"])
        answer = OPEN_ANSWERS[q["kind"]][wording]
        asked = [(base["id"], question, q["gold"], _fill(answer, q, q["gold"]), _fill(answer, q, other))]
    else:
        asked = []
        for i, c in enumerate(choices, 1):
            gold, wrong = ("yes", "no") if c == q["gold"] else ("no", "yes")
            asked.append((f"{base['id']}/{i}", _fill(PROBE_QUESTIONS[q["kind"]][wording], q, c), gold,
                          YES_NO_ANSWERS[gold], YES_NO_ANSWERS[wrong]))
    return [{**base, "id": row_id, "question": question, "prompt": benchmark_prompt(story, question),
             "answer": gold, "choices": choices, "chosen": chosen, "rejected": rejected, "events": events}
            for row_id, question, gold, chosen, rejected in asked]


def generate_split(split: str, size: SplitSize, rng: random.Random, seen: set) -> list[dict]:
    """The rows of ``split``: cells (kind x belief x form) in turn, each a new story (``seen``: the event lists
    already used, updated)."""
    if split not in VOCABULARIES:
        raise ToMLabError(f"unknown split {split!r} (expected one of {', '.join(SPLITS)})")
    vocab = VOCABULARIES[split]
    wanted = {"open": size.open, "yesno": size.yesno}
    cells = [(kind, belief) for kind in KINDS for belief in BELIEFS]
    # each form's stories spread evenly over the file, cells in turn: any first N rows stay about balanced
    schedule = sorted((k / wanted[form], c, f) for f, form in enumerate(FORMS) for k in range(wanted[form])
                      for c in range(len(cells)))
    rows = []
    for number, (_, c, f) in enumerate(schedule, 1):
        (kind, belief), form = cells[c], FORMS[f]
        for _ in range(MAX_DRAWS_PER_STORY):
            events = tomi.random_events(rng, vocab)
            key = json.dumps(events, sort_keys=True)
            fits = [q for q in tomi.questions(events) if (q["kind"], q["belief"]) == (kind, belief)]
            if fits and key not in seen:
                break
        else:
            raise ToMLabError(f"no new {kind}/{belief} story in {MAX_DRAWS_PER_STORY} draws for {split}")
        seen.add(key)
        style = {t: rng.randrange(len(v)) for t, v in STORY_TEMPLATES.items()}
        wording = rng.randrange(len(OPEN_QUESTIONS[kind]))
        rows += story_rows(split, number, form, events, rng.choice(fits), style, wording)
    return rows


def generate(seed: int = DEFAULT_SEED, sizes: dict | None = None) -> dict[str, list[dict]]:
    """{split: rows} (seeded: the same seed and sizes give the same rows)."""
    sizes = sizes or DEFAULT_SIZES
    for split, size in sizes.items():
        if size.open < 0 or size.yesno < 0 or size.open + size.yesno < 1:
            raise ToMLabError(f"{split}: needs at least one story per cell (got open {size.open}, yesno {size.yesno})")
    seen: set = set()
    return {split: generate_split(split, sizes[split], random.Random(f"tom_training/{seed}/{split}"), seen)
            for split in sizes}


# ---------------------------------------------------------------------------------------------- files
def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps({k: r[k] for k in FIELDS}, ensure_ascii=False) + "\n" for r in rows)


def check_row(row, where: str) -> dict:
    """One row read back: every field present with its type and an allowed value (else one error line)."""
    if not isinstance(row, dict):
        raise ToMLabError(f"{where}: not a JSON object")
    missing = [k for k in FIELDS if k not in row]
    if missing:
        raise ToMLabError(f"{where}: no field {', '.join(missing)}")
    allowed = {"split": SPLITS, "kind": KINDS, "belief": BELIEFS, "form": FORMS}
    for key, values in allowed.items():
        if row[key] not in values:
            raise ToMLabError(f"{where}: unknown {key} {row[key]!r} (expected one of {', '.join(values)})")
    for key in ("id", "source", "story", "question", "prompt", "answer", "chosen", "rejected"):
        if not isinstance(row[key], str) or not row[key].strip():
            raise ToMLabError(f"{where}: no text in '{key}'")
    if not (isinstance(row["choices"], list) and len(row["choices"]) == 2 and all(isinstance(c, str) for c in
                                                                                   row["choices"])):
        raise ToMLabError(f"{where}: 'choices' must be the story's two containers")
    gold_values = row["choices"] if row["form"] == "open" else list(YES_NO_ANSWERS)
    if row["answer"] not in gold_values:
        raise ToMLabError(f"{where}: answer {row['answer']!r} is not one of {gold_values}")
    if not isinstance(row["events"], list) or not row["events"]:
        raise ToMLabError(f"{where}: 'events' must be the story's event list")
    return row


def read_rows(path) -> list[dict]:
    """The rows of one split file, each checked (:func:`check_row`); ids must be unique."""
    path = Path(path)
    if not path.is_file():
        raise ToMLabError(f"{path}: no such file")
    rows, ids = [], set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = check_row(json.loads(line), f"{path}:{n}")
        except json.JSONDecodeError as exc:
            raise ToMLabError(f"{path}:{n}: not valid JSON ({exc})") from None
        if row["id"] in ids:
            raise ToMLabError(f"{path}:{n}: duplicate id {row['id']!r}")
        ids.add(row["id"])
        rows.append(row)
    if not rows:
        raise ToMLabError(f"{path}: no rows")
    return rows


def read_dataset(folder=DEFAULT_OUT) -> dict[str, list[dict]]:
    folder = Path(folder)
    return {split: read_rows(folder / f"{split}.jsonl") for split in SPLITS}


def counts(rows: list[dict]) -> Counter:
    """Rows per (kind, belief, form)."""
    return Counter((r["kind"], r["belief"], r["form"]) for r in rows)


def command(seed: int = DEFAULT_SEED, out: str | None = None) -> str:
    args = [f"--seed {seed}" if seed != DEFAULT_SEED else "", f"--out {out}" if out else ""]
    return " ".join(["python scripts/make_tom_data.py", *[a for a in args if a]])


def card(data: dict[str, list[dict]], seed: int, out: str | None = None) -> str:
    """The folder's README.md: what the files are, the command that made them, the counts."""
    cells = []
    for split, rows in data.items():
        c = counts(rows)
        cells += [[split, k, b, c[(k, b, "open")], c[(k, b, "yesno")]] for k in KINDS for b in BELIEFS]
    table = markdown_table(["split", "kind", "belief", "open rows", "yes/no rows (2 per story)"], "lllrr", cells,
                           padded=True)
    totals = ", ".join(f"{split} {len(rows)} rows ({len({r['id'].split('/')[0] for r in rows})} stories)"
                       for split, rows in data.items())
    example = {k: v for k, v in data["train"][0].items() if k != "events"} if data.get("train") else {}
    return f"""# tom_training: ToMi-style belief questions for ToM training (generated)

Written by `{command(seed, out)}` (seeded; rerunning it rewrites these files byte for byte, which
`tests/data/test_tom_training.py` checks). Module: `tomlab/data/tom_training.py`, vocabulary and templates in
`tomlab/data/tom_vocab.py`.

Stories follow the event rules of the eval generator (`tomlab/tasks/tomi.py`): agents enter and leave one room, an
object is placed in a container and moved to another by someone in the room, distractor sentences; who saw what is
read from the event list, and every gold label follows from it. The words (names, rooms, objects, containers,
distractor verbs), the story sentences and the question wordings are all other than the eval items'
(`data/tomi/tomi_items.jsonl`, the test set: never used for a choice); the validation split has names, rooms, objects
and containers of its own, so no story is in both splits. `tomlab/data/leakage.py: check_tom_training` proves this on
these files (`tests/data/test_tom_training.py`).

{totals}. Kind x belief x form cells, in turn (any first N rows stay about balanced):

{table}
Fields (one JSON object per line): `id` (`<split>-<story>`, yes/no probes `<split>-<story>/<1|2>`), `split`,
`source` (`tomi_gen`), `kind` (reality, memory, first_order, second_order), `belief` (first/second order: the asked
belief equals the object's real location; reality/memory: no agent of the story holds a false belief), `form` (open:
name the container; yesno: one probe per container, one yes and one no), `story`, `question`, `prompt` (exactly what
`ToM_Experiment/benchmark_eval.py` asks with its default prompting: Base, scenario format, no chat template),
`answer` (the gold container, or yes/no), `choices` (the story's two containers in story order), `chosen` (a short
answer the eval's scorer reads as correct), `rejected` (the same answer with the other container or verdict),
`events`.

`load_preference_dataset("data/tom_training")` (`tomlab/data/loader.py`) reads `train.jsonl` and, as its eval split,
`validation.jsonl`.

Example (train, first row, without its events):

```json
{json.dumps(example, indent=1, ensure_ascii=False)}
```
"""


def write_dataset(out=DEFAULT_OUT, seed: int = DEFAULT_SEED, sizes: dict | None = None) -> dict[str, list[dict]]:
    """Generate, check against the eval items (:func:`.leakage.check_tom_training`), then write the folder."""
    data = generate(seed, sizes)
    leakage.check_tom_training(data.get("train", []), data.get("validation", []))
    out = Path(out)
    for split, rows in data.items():
        atomic_write_text(out / f"{split}.jsonl", jsonl(rows))
    atomic_write_text(out / "README.md", card(data, seed, None if out.resolve() == DEFAULT_OUT else out.as_posix()))
    return data
