"""The report's summary in words, generated from the numbers: did the positive control (held-out ToMi-style items)
move, and did anything transfer to the human-written tests above chance?
"""

from __future__ import annotations

import math

from ...formatting import fmt_p
from ...scores import scenario_test
from .comparisons import ALPHA
from .results import IN_DISTRIBUTION, TRANSFER


def summary_lines(models: dict, rows: list[dict], yes_no: list[dict], heuristics: dict) -> list[str]:
    """The answers in words: the positive control (held-out ToMi) and transfer (human-written tests)."""
    lines = []
    family = rows[0]["family"] if rows else 0
    where = f"Holm-corrected over {family} tests, p_holm < {ALPHA}"
    control = [r for r in rows if r["group"] == IN_DISTRIBUTION]
    gains = [r for r in control if r["significant"] and r["test_result"].diff > 0]
    if not control:
        lines.append("- **Positive control (held-out ToMi-style items)**: no compared model has ToMi answers.")
    elif gains:
        parts = []
        for r in gains:
            matched = [f"{h['group']} ({h['models'][r['model']]:.2f} <= {h['best']} {h['best_accuracy']:.2f})"
                       for h in heuristics.get(r["test"], []) if r["model"] in h["models"] and h["group"] != "all"
                       and "/" not in h["group"] and h["models"][r["model"]] <= h["best_accuracy"]]
            parts.append(f"{r['model']} on {r['test']}: {r['reference_accuracy']:.2f} -> {r['accuracy']:.2f} "
                         f"(p_holm {fmt_p(r['p_holm'])})"
                         + (f"; a shortcut heuristic that tracks no belief scores as much on {', '.join(matched)}"
                            if matched else ""))
        lines.append(f"- **Positive control (held-out ToMi-style items): yes** ({where}): " + "; ".join(parts) + ".")
    else:
        bounds = [r["detectable_holm"] for r in control if math.isfinite(r["detectable_holm"])]
        lines.append(f"- **Positive control (held-out ToMi-style items): no** compared model raised ToMi accuracy "
                     f"significantly ({where})" + (f"; no effect larger than {min(bounds):.2f} to {max(bounds):.2f} "
                                                   "(per test, at Holm's strictest step)." if bounds else "."))
    transfer = [r for r in rows if r["group"] == TRANSFER]
    up = [r for r in transfer if r["significant"] and r["test_result"].diff > 0]
    real = [r for r in up if r["low"] > r["chance_bar"]]
    bias = {(row["model"], scenario_test(row["prompting"])): row for row in yes_no}
    if not transfer:
        lines.append("- **Transfer (human-written tests)**: no compared model has answers to them.")
    elif real:
        parts = []
        for r in real:
            split = bias.get((r["model"], r["test"]))
            ref = bias.get((r["reference"], r["test"]))
            note = ""
            if split and ref:
                both = split["acc_yes"] >= ref["acc_yes"] and split["acc_no"] >= ref["acc_no"]
                note = (f"; yes-scenarios {ref['acc_yes']:.2f} -> {split['acc_yes']:.2f}, no-scenarios "
                        f"{ref['acc_no']:.2f} -> {split['acc_no']:.2f}"
                        + ("" if both else ": a shift of yes/no bias, not a gain on both"))
            parts.append(f"{r['model']} on {r['test']}: {r['reference_accuracy']:.2f} -> {r['accuracy']:.2f} "
                         f"(p_holm {fmt_p(r['p_holm'])}, 95% lower bound {r['low']:.2f} > chance "
                         f"{r['chance_bar']:.2f}){note}")
        lines.append(f"- **Transfer (human-written tests): yes** ({where}, and above chance): " + "; ".join(parts)
                     + ".")
    else:
        bounds = [r["detectable_holm"] for r in transfer if math.isfinite(r["detectable_holm"])]
        at_chance = "; ".join(f"{r['model']} on {r['test']} rose {r['reference_accuracy']:.2f} -> "
                              f"{r['accuracy']:.2f} but stays within chance ({r['chance_bar']:.2f})" for r in up)
        lines.append(f"- **Transfer (human-written tests): no** compared model lifted a human-written test above its "
                     f"reference ({where}) and above chance"
                     + (f" ({at_chance})" if at_chance else "")
                     + (f"; the smallest gains these tests could detect at Holm's strictest step range from "
                        f"{min(bounds):.2f} to {max(bounds):.2f} (no gain larger than that on the test concerned)."
                        if bounds else "."))
    return lines
