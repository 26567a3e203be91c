"""The routes' own held-out measurement: each route's ``metrics.json`` from a ToM chain run folder, as a before /
after table.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import ToMLabError
from ...formatting import markdown_table
from ...stats import wilson_interval
from .loading import read_json_or_none
from .results import ROUTES


def chain_metrics(chain_dir) -> dict[str, dict]:
    """{route: its metrics} from a ToM chain run folder (``train/tom-<route>/metrics.json``, else
    ``metrics/tom-<route>.json``)."""
    run = Path(chain_dir)
    if not run.is_dir():
        raise ToMLabError(f"--chain {run}: no such folder")
    found = {}
    for route in ROUTES:
        for path in (run / "train" / f"tom-{route}" / "metrics.json", run / "metrics" / f"tom-{route}.json"):
            if path.is_file():
                data = read_json_or_none(path)
                if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
                    raise ToMLabError(f"{path}: not a stage's metrics.json (no 'metrics' object)")
                found[route] = data["metrics"]
                break
    if not found:
        raise ToMLabError(f"--chain {run}: no route's metrics.json (train/tom-<route>/metrics.json)")
    return found


def route_markdown(route: str, metrics: dict) -> str:
    """Every measurement the route recorded before and after training (and first -> last along training)."""
    rows = []
    n = metrics.get("heldout_prompts")
    for before_suffix, after_suffix in (("_before", "_after"), ("_first", "_last")):
        for key in sorted(k for k in metrics if k.endswith(before_suffix)):
            name = key.removesuffix(before_suffix)
            a, b = metrics.get(key), metrics.get(name + after_suffix)
            if not isinstance(a, int | float) or not isinstance(b, int | float):
                continue
            a_ci = b_ci = ""
            if name == "heldout_gold_accuracy" and n:
                a_ci, b_ci = (" [{:.2f}, {:.2f}]".format(*wilson_interval(round(v * n), n)) for v in (a, b))
            label = name if before_suffix == "_before" else f"{name} (first -> last quarter of training)"
            rows.append([label, f"{a:.3f}{a_ci}", f"{b:.3f}{b_ci}", f"{b - a:+.3f}"])
    steps = metrics.get("train_steps")
    return (f"Held-out prompts: {n or 'n/a'} (validation split, greedy); training steps: {steps or 'n/a'}.\n\n"
            + markdown_table(["measurement", "before", "after", "change"], "lrrr", rows))
