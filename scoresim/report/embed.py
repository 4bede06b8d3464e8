"""What every part of a report shares: numbers for people, figures embedded as PNG."""

from __future__ import annotations

import base64
import html
import io
import math

from matplotlib.figure import Figure

__all__ = ["fmt", "png", "figure_html"]


def fmt(v: float | None, digits: int = 3) -> str:
    """A number for people: thousands separators, ``digits`` significant digits."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if float(v).is_integer() and abs(v) >= 1:
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    return f"{v:.{digits}g}"


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
