"""The plausible parameter space: every module parameter's documented range.

Each parameter declares, beside its default, the range its value could plausibly take
(``param(..., plausible=(low, high))``, with the reason in ``why``). Calibration draws its
prior from these ranges and the robustness study samples its assumptions over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scoresim.core.errors import InputError
from scoresim.core.registry import known

__all__ = ["Range", "plausible_range", "plausible_space"]


@dataclass(frozen=True)
class Range:
    """A parameter's range: ``low`` to ``high``, whole numbers when ``integer``."""

    low: float
    high: float
    integer: bool = False

    def at(self, u: float) -> float | int:
        """The value at ``u`` in [0, 1] along the range."""
        value = self.low + u * (self.high - self.low)
        return round(value) if self.integer else value


def _declared(module: str, name: str) -> Range | None:
    cls = known().get(module)
    if cls is None or name not in cls.Params.model_fields:
        return None
    field = cls.Params.model_fields[name]
    if field.annotation not in (float, int):  # a tuple's range is a multiplier: not sampled
        return None
    extra: Any = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    rng = extra.get("plausible")
    if not (isinstance(rng, list) and len(rng) == 2) or rng[0] == rng[1]:
        return None
    return Range(float(rng[0]), float(rng[1]), field.annotation is int)


def plausible_range(key: str, given: tuple[float, float] | None = None) -> Range:
    """The range of ``modules.NAME.PARAM``: ``given``, or else its documented one.

    Raises:
        InputError: If the key names no module parameter, or one without a documented
            range when none is given.
    """
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != "modules":
        raise InputError(f"{key}: a parameter is named modules.MODULE.PARAM")
    if parts[1] not in known():
        raise InputError(f"{key}: no module {parts[1]!r}; modules: {', '.join(sorted(known()))}")
    fields = known()[parts[1]].Params.model_fields
    if parts[2] not in fields:
        raise InputError(
            f"{key}: module {parts[1]} has no parameter {parts[2]!r}; "
            f"parameters: {', '.join(fields)}"
        )
    if fields[parts[2]].annotation not in (float, int):
        raise InputError(f"{key}: is not a number, so it cannot be given a range")
    if given is not None:
        return Range(float(given[0]), float(given[1]), fields[parts[2]].annotation is int)
    rng = _declared(parts[1], parts[2])
    if rng is None:
        raise InputError(f"{key}: has no documented plausible range; give one in ranges")
    return rng


def plausible_space(modules: list[str]) -> dict[str, Range]:
    """Every parameter of these modules that has a documented range, by dotted key."""
    out = {}
    for module in sorted(set(modules)):
        cls = known().get(module)
        if cls is None:
            continue
        for name in cls.Params.model_fields:
            rng = _declared(module, name)
            if rng is not None:
                out[f"modules.{module}.{name}"] = rng
    return out
