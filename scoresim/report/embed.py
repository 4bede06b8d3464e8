"""What every part of a report shares: numbers for people, figures embedded as PNG."""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from matplotlib.figure import Figure

from scoresim.core.version import code_version

__all__ = ["CSS", "figure_html", "fmt", "measure_formatter", "page", "png"]


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


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
.note{color:#555;font-size:.92em}.lead li{margin:.3em 0}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
th,td{border-bottom:1px solid #e3e3e3;padding:.35em .7em;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}thead th{background:#f4f4f4}
td.ci{color:#666;font-size:.85em}figure{margin:1.2em 0}img{max-width:100%}
figcaption{color:#444;font-size:.9em}details{margin:.6em 0}code{font-size:.9em}
.neg{color:#b03030}.pos{color:#1c6e2b}
"""

SCOPE = (
    "The citizen score is simulated <b>as described in the articles</b>; their claims are "
    "disputed (the company denies using posts). No real person is scored."
)


def page(title: str, intro: str, body: str) -> str:
    """A whole self-contained report page: head, title, intro note, body, scope footer."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scoresim report: {html.escape(title)}</title><style>{CSS}</style></head>
<body>
<h1>scoresim report: {html.escape(title)}</h1>
<p class="note">{intro} {SCOPE} Generated {generated} by scoresim {code_version()}.</p>
{body}
<p class="note">scoresim is a simulator: it never ingests records of real people, classifies
real speech, or scores real persons.</p>
</body></html>
"""
