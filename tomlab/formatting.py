"""How numbers are written in reports, tables and stage summaries: one place, so every table says "n/a" alike.

This module imports nothing of the project.
"""

from __future__ import annotations

import math


def fmt(x, digits: int = 3) -> str:
    """A number with ``digits`` decimals; "n/a" for None or NaN."""
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def fmt_p(p) -> str:
    """A p-value with 3 decimals, "<0.001" below that; "n/a" for None or NaN."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"
