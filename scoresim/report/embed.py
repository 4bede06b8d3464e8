"""What every part of a report shares: numbers for people, figures embedded as PNG."""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable
from typing import Any

from matplotlib.figure import Figure

__all__ = ["figure_html", "fmt", "measure_formatter", "png"]


def fmt(v: float | None, digits: int = 3) -> str:
    """A number for people: thousands separators, ``digits`` significant digits."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if float(v).is_integer() and abs(v) >= 1:
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    return f"{v:.{digits}g}"


def fmt_share(value: float | None, difference: bool = False) -> str:
    """A share as a percentage; a difference of shares in percentage points."""
    if value is None or math.isnan(value):
        return "n/a"
    pct = 100 * value
    digits = f"{pct:.1f}" if abs(pct) >= 0.1 or pct == 0 else f"{pct:.2g}"
    if difference:
        return ("+" if pct > 0 else "") + digits + " pp"
    return digits + "%"


def measure_formatter(
    info: dict[str, Any], effect: bool = False, base: Callable[[float | None], str] = fmt
) -> Callable[[float | None], str]:
    """How to print a measure declared as ``info`` (or an effect on it).

    Shares as percentages, differences of shares (effects on shares, and measures whose
    unit is a share difference) in percentage points, everything else with ``base``.
    """
    if info.get("kind") == "share" or info.get("unit") == "share difference":
        difference = effect or info.get("kind") != "share"
        return lambda v: fmt_share(v, difference)
    return base


def png(fig: Figure) -> str:
    """The figure as base64 PNG (and closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def figure_html(key: str, fig: Figure, caption: str) -> str:
    """A ``<figure>`` with the image embedded and its caption."""
    text = html.escape(caption)
    return (
        f"<figure data-figure='{key}'><img alt='{text}' "
        f"src='data:image/png;base64,{png(fig)}'><figcaption>{text}</figcaption></figure>"
    )
