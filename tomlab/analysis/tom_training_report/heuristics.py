"""ToMi per question kind, belief and kind x belief, beside the best shortcut heuristic that tracks no belief
(:mod:`tomlab.analysis.shortcuts`, scored on the same items the models were asked).
"""

from __future__ import annotations

import statistics
from pathlib import Path

from ...errors import ToMLabError
from ...formatting import markdown_table
from ...paths import REPO_ROOT
from ...tasks import tomi
from ...tasks.items import read_jsonl
from .. import shortcuts
from .loading import read_json_or_none
from .results import TestResult


def _groups(questions: list) -> dict[str, list[int]]:
    """{group name: question positions}: all, each kind, each belief, each kind x belief."""
    out = {"all": list(range(len(questions)))}
    kinds = [k for k in tomi.KINDS if any(q.kind == k for q in questions)]
    beliefs = [b for b in tomi.BELIEFS if any(q.belief == b for q in questions)]
    out |= {k: [i for i, q in enumerate(questions) if q.kind == k] for k in kinds}
    out |= {f"belief {b}": [i for i, q in enumerate(questions) if q.belief == b] for b in beliefs}
    out |= {f"{k} / {b}": [i for i, q in enumerate(questions) if (q.kind, q.belief) == (k, b)]
            for k in kinds for b in beliefs}
    return {name: idx for name, idx in out.items() if idx}


def _items_file(result: TestResult) -> Path:
    run = (read_json_or_none(Path(result.paths[0])) or {}).get("run") or {}
    source = run.get("items_file")
    path = REPO_ROOT / source if isinstance(source, str) and not Path(source).is_absolute() else source
    return Path(path) if path and Path(path).is_file() else tomi.DEFAULT_ITEMS


def heuristic_table(models: dict, test: str) -> list[dict]:
    """ToMi per kind / belief: each model's accuracy and the best shortcut heuristic's on the same items."""
    holders = [m for m in models if test in models[m]]
    first = models[holders[0]][test]
    questions = first.questions
    path = _items_file(first)
    by_id = {i.id: i for i in read_jsonl(path)}
    missing = [q.id for q in questions if q.id not in by_id]
    if missing:
        raise ToMLabError(f"{first.paths[0]}: asks {test} items that are not in {path} ({', '.join(missing[:3])})")
    form = test.split("-")[1]
    per_heuristic = shortcuts.scores(shortcuts.from_eval_items([by_id[q.id] for q in questions]), form)[form]
    rows = []
    for name, idx in _groups(questions).items():
        ids = [questions[i].id for i in idx]
        heuristics = {h: statistics.fmean(v[i] for i in idx) for h, v in per_heuristic.items()}
        best = max(heuristics.items(), key=lambda kv: kv[1])
        accs = {m: statistics.fmean(models[m][test].shares[q] for q in ids) for m in holders
                if all(q in models[m][test].shares for q in ids)}
        rows.append({"group": name, "n": len(idx), "best": best[0], "best_accuracy": best[1], "models": accs})
    return rows


def heuristic_markdown(rows: list[dict]) -> str:
    models = list(dict.fromkeys(m for r in rows for m in r["models"]))
    table = []
    for r in rows:
        cells = [("-" if m not in r["models"] else f"{r['models'][m]:.3f}"
                  + (" (matched)" if r["models"][m] <= r["best_accuracy"] else "")) for m in models]
        table.append([r["group"], r["n"], f"{r['best']} {r['best_accuracy']:.3f}", *cells])
    return markdown_table(["group", "n", "best heuristic", *models], "lrl" + "r" * len(models), table)
