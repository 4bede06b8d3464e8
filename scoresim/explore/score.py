"""A citizen's score taken apart: the lowest score, each component, each penalty, the clamp.

The scoring module computes ``score = score_min + components - penalties``, kept between
``score_min`` and ``score_max``. The parts here add up to the score: where the sum leaves
that range, a ``clamp`` part brings it back, so that base + parts = score always.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["band_of", "perks_held", "score_parts"]

#: Distance from the floor or the ceiling within which a score counts as held there.
_AT_LIMIT = 1e-3


def _group(states: dict[str, Any], group: str) -> list[str]:
    """Names of the declared states in ``group``, in declared order."""
    return [k for k, v in states.items() if v.get("group") == group]


def _part_label(state: dict[str, Any]) -> str:
    """A score part's label: its state's description, without the leading "points ..."."""
    desc = str(state.get("description", ""))
    return desc.removeprefix("points from ").removeprefix("points lost to ")


def band_of(score: float, bands: list[dict[str, Any]]) -> str | None:
    """The band a score falls in, from the bands the scoring module declared (as marks)."""
    below = [b for b in bands if score >= float(b["value"])]
    return str(max(below, key=lambda b: float(b["value"]))["label"]) if below else None


def perks_held(bits: int, marks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each perk (threshold ascending) and whether bit k of ``bits`` says it is held."""
    perks = sorted((k for k in marks if k["kind"] == "perk"), key=lambda k: float(k["value"]))
    return [
        {"threshold": p["value"], "perk": p["label"], "held": bool(bits >> k & 1)}
        for k, p in enumerate(perks)
    ]


def score_parts(
    me: dict[str, Any], states: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """The score of citizen ``me`` as base + components + penalties (negative) + clamp.

    Args:
        me: The citizen's snapshot row.
        states: The declared states (their groups say which are components, penalties).
        params: The scoring module's parameters (``score_min``, ``score_max``, weights).
    """
    base = float(params.get("score_min", 0.0))
    top = float(params.get("score_max", math.inf))
    comps: list[dict[str, Any]] = [
        {"state": k, "label": _part_label(states[k]), "points": float(me[k])}
        for k in _group(states, "score component")
        if k in me
    ]
    pens: list[dict[str, Any]] = [
        {"state": k, "label": _part_label(states[k]), "points": -float(me[k])}
        for k in _group(states, "score penalty")
        if k in me
    ]
    score = float(me["score"])
    raw = base + sum(float(p["points"]) for p in comps + pens)
    clamp = 0.0
    if raw < base and score <= base + _AT_LIMIT:
        clamp = base - raw  # held at the floor
    elif raw > top and score >= top - _AT_LIMIT:
        clamp = top - raw  # held at the ceiling
    return {
        "base": base,
        "max": top,
        "components": comps,
        "penalties": pens,
        "clamp": clamp,
        "score": score,
        "arithmetic": _arithmetic(base, top, comps, pens, clamp, score, params),
    }


def _arithmetic(
    base: float,
    top: float,
    comps: list[dict[str, Any]],
    pens: list[dict[str, Any]],
    clamp: float,
    score: float,
    p: dict[str, Any],
) -> list[str]:
    """The score's arithmetic in a few sentences, from the scenario's parameters."""
    lines = [
        f"Every score starts at {base:g}, the lowest score, adds points from "
        f"{len(comps)} components and loses points to violations; it is kept between "
        f"{base:g} and {top:g}."
    ]
    weights = {c["label"]: p.get("w_" + c["state"].removeprefix("score_")) for c in comps}
    total = sum(float(w) for w in weights.values() if isinstance(w, int | float))
    if total > 0 and math.isfinite(top):
        each = ", ".join(
            f"{label} up to {(top - base) * float(w) / total:.0f}"
            for label, w in weights.items()
            if isinstance(w, int | float)
        )
        lines.append(
            f"Each component gives up to its weight's share of the {top - base:g} points "
            f"between the lowest and the highest score: {each}."
        )
    if "violation_penalty" in p:
        fade = 1 - float(p.get("violation_decay", 1.0))
        lines.append(
            f"Each violation (a post judged unpermitted) adds to a memory that fades by "
            f"{fade:.0%} a month; each unit of it costs {float(p['violation_penalty']):g} "
            f"points. Friends' violations cost up to {float(p.get('spillover_cap', 0)):g} "
            "points more."
        )
    gained = sum(c["points"] for c in comps)
    lost = -sum(c["points"] for c in pens)
    held = ""
    if clamp > 0:
        held = f" + {clamp:.1f} (a score cannot fall below {base:g})"
    elif clamp < 0:
        held = f" - {-clamp:.1f} (a score cannot rise above {top:g})"
    lines.append(
        f"This citizen: {base:g} + {gained:.1f} from the components - {lost:.1f} lost to "
        f"violations{held} = {score:.1f}."
    )
    return lines
