"""What a user may ask of a what-if: a preset, knobs within their ranges, a small society.

Each knob is a parameter bounded by its documented plausible range, or a switch between the
settings of two presets (public or private scores; no exit or expungement).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from scoresim.core.errors import InputError
from scoresim.experiments.space import plausible_range

__all__ = [
    "AGENTS",
    "AS_IS",
    "KNOBS",
    "PRESETS",
    "REPLICATES",
    "SUMMARY_FILE",
    "WHAT_IF",
    "YEARS",
    "JobRequest",
    "Knob",
]

#: Presets a what-if may start from: the score as described and its safeguards.
PRESETS = (
    "social-credit",
    "social-credit-private",
    "social-credit-no-network",
    "social-credit-expungement",
)
#: The names the two worlds carry in the job's comparison.
AS_IS, WHAT_IF = "as-is", "what-if"
SUMMARY_FILE = "whatif.json"
#: Per-request limits: a what-if is a small society, quickly.
AGENTS = (1_000, 20_000)
YEARS = (1, 10)
REPLICATES = 3


@dataclass(frozen=True)
class Knob:
    """A policy knob: a parameter over its plausible range, or a switch between settings.

    Attributes:
        name: Its id in requests and URLs.
        label: What it is, for people.
        key: The dotted scenario key of a range knob.
        off: A switch's settings when off (dotted key -> value).
        on: A switch's settings when on.
    """

    name: str
    label: str
    key: str = ""
    off: dict[str, Any] = field(default_factory=dict)
    on: dict[str, Any] = field(default_factory=dict)

    @property
    def switch(self) -> bool:
        """Whether the knob switches between two settings (else it is a range)."""
        return not self.key

    def describe(self, scenario: dict[str, Any]) -> dict[str, Any]:
        """The knob for the page: its bounds (or states) and its value in ``scenario``."""
        if self.switch:
            return {
                "name": self.name,
                "label": self.label,
                "kind": "switch",
                "value": _get(scenario, next(iter(self.on))) == next(iter(self.on.values())),
            }
        rng = plausible_range(self.key)
        value = _get(scenario, self.key)
        return {
            "name": self.name,
            "label": self.label,
            "kind": "range",
            "key": self.key,
            "low": rng.low,
            "high": rng.high,
            "integer": rng.integer,
            "value": value,
            # A value the preset sets outside the range is its policy (the no-network
            # safeguard's zero spillover): the knob is held there, not moved.
            "held": not (isinstance(value, int | float) and rng.low <= value <= rng.high),
        }

    def settings(self, value: Any) -> dict[str, Any]:
        """The scenario keys this knob sets to ``value``.

        Raises:
            InputError: A value outside the knob's range, or not a switch's true/false.
        """
        if self.switch:
            if not isinstance(value, bool):
                raise InputError(f"knobs.{self.name} = {value!r}: must be true or false")
            return dict(self.on if value else self.off)
        rng = plausible_range(self.key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"knobs.{self.name} = {value!r}: must be a number")
        if not rng.low <= value <= rng.high:
            raise InputError(
                f"knobs.{self.name} = {value!r}: must be within its plausible range "
                f"{rng.low:g} to {rng.high:g}"
            )
        return {self.key: round(value) if rng.integer else float(value)}


KNOBS = (
    Knob(
        "spillover",
        "points a friend's violation costs you (the spillover weight)",
        key="modules.scoring.spillover_penalty",
    ),
    Knob(
        "violation_penalty",
        "points one unpermitted post costs",
        key="modules.scoring.violation_penalty",
    ),
    Knob(
        "mandate_step",
        "month enrolment becomes mandatory",
        key="modules.enrolment.mandate_step",
    ),
    Knob(
        "private",
        "scores and the blacklist private (no public look-up or list)",
        off={"modules.scoring.visibility": "public", "modules.blacklist.public": True},
        on={"modules.scoring.visibility": "private", "modules.blacklist.public": False},
    ),
    Knob(
        "expungement",
        "violations expire and the listed can leave (credit repair, two-year term)",
        off={
            "modules.scoring.expire_after": 0,
            "modules.blacklist.allow_exit": False,
            "modules.blacklist.term": 0,
        },
        on={
            "modules.scoring.expire_after": 12,
            "modules.blacklist.allow_exit": True,
            "modules.blacklist.term": 24,
        },
    ),
)
_BY_NAME = {k.name: k for k in KNOBS}


def _get(scenario: dict[str, Any], dotted: str) -> Any:
    node: Any = scenario
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


@dataclass(frozen=True)
class JobRequest:
    """What a user asked: a preset, knob values, and the society's size and length."""

    preset: str
    knobs: dict[str, Any]
    agents: int = AGENTS[1]
    years: int = YEARS[1]
    seed: int = 20260101

    @classmethod
    def parse(cls, body: Any) -> JobRequest:
        """Validate a request body (a JSON object).

        Raises:
            InputError: One line naming the field, the value and what is allowed.
        """
        if not isinstance(body, dict):
            raise InputError("the request must be a JSON object")
        unknown = sorted(set(body) - {"preset", "knobs", "agents", "years", "seed"})
        if unknown:
            raise InputError(
                f"unknown fields {unknown}; allowed: preset, knobs, agents, years, seed"
            )
        preset = body.get("preset", PRESETS[0])
        if preset not in PRESETS:
            raise InputError(f"preset = {preset!r}: allowed: {', '.join(PRESETS)}")
        knobs = body.get("knobs", {})
        if not isinstance(knobs, dict):
            raise InputError("knobs must be an object of knob names to values")
        stray = sorted(set(knobs) - set(_BY_NAME))
        if stray:
            raise InputError(f"knobs {stray}: no such knob; knobs: {', '.join(_BY_NAME)}")
        for name, value in knobs.items():
            _BY_NAME[name].settings(value)  # validates
        out = {}
        for name, (low, high) in (("agents", AGENTS), ("years", YEARS)):
            value = body.get(name, high)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InputError(f"{name} = {value!r}: a whole number from {low:,} to {high:,}")
            out[name] = value
        seed = body.get("seed", 20260101)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise InputError(f"seed = {seed!r}: a whole number from 0 to 2**63 - 1")
        return cls(str(preset), dict(sorted(knobs.items())), out["agents"], out["years"], seed)

    def job_id(self) -> str:
        """The id of the answer: a hash of what was asked."""
        text = json.dumps(self.__dict__, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def overrides(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The two worlds' scenario keys: as the preset is, and with the knobs moved."""
        common = {"society.agents": self.agents, "steps": 12 * self.years, "seed": self.seed}
        changed = dict(common)
        for name, value in self.knobs.items():
            changed.update(_BY_NAME[name].settings(value))
        return {**common, "name": AS_IS}, {**changed, "name": WHAT_IF}
