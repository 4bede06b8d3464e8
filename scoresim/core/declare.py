"""What a module declares: parameters, the states it owns and reads, its streams, its measures.

These declarations are the single source of truth about a mechanism: the engine checks them at
start, writes them into each run's ``run.json``, and the command line, the report and the
explorer render labels, units, headline measures and score marks from them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import DTypeLike, NDArray
from pydantic import BaseModel, ConfigDict, Field

from scoresim.core.context import Context

__all__ = [
    "Better",
    "Kind",
    "Mark",
    "Measure",
    "Module",
    "Params",
    "Phase",
    "Read",
    "State",
    "param",
]


class Phase(IntEnum):
    """The fixed order in which the engine runs modules within one step (one month).

    DEMOGRAPHY runs only on the last month of each year; every other phase runs each month.
    Network edits queued in a phase are applied at its end, so later phases see them.
    """

    ECONOMY = 1
    EXPRESSION = 2
    SCORING = 3
    SOCIAL_RESPONSE = 4
    OUTCOMES = 5
    DEMOGRAPHY = 6
    MEASURES = 7


#: Phases that run once a year (on steps 11, 23, 35, ...), not every month.
YEARLY_PHASES: frozenset[Phase] = frozenset({Phase.DEMOGRAPHY})


class Params(BaseModel):
    """Base class of module parameters: typed, validated, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def param(
    default: Any,
    description: str,
    *,
    plausible: tuple[float, float] | None = None,
    why: str = "",
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
) -> Any:
    """Declare a module parameter with its documentation.

    Args:
        default: Default value.
        description: What it is, with units.
        plausible: The range the sensitivity analysis should cover (within the bounds).
        why: One sentence on where the default comes from (for docs/model.md).
        ge: Hard lower bound, inclusive.
        gt: Hard lower bound, exclusive.
        le: Hard upper bound, inclusive.
        lt: Hard upper bound, exclusive.
    """
    extra: dict[str, Any] = {"why": why}
    if plausible is not None:
        extra["plausible"] = list(plausible)
    return Field(
        default, description=description, json_schema_extra=extra, ge=ge, gt=gt, le=le, lt=lt
    )


_BaseParams = Params  # the base class, for annotations inside Module (whose Params shadows it)

#: What a measure counts: a share in [0, 1], a count of citizens or events, score points, an
#: amount of money, a ratio, or another number (with a unit).
Kind = Literal["share", "count", "points", "currency", "ratio", "number"]
#: Which way of a measure is better for citizens, if either.
Better = Literal["higher", "lower"] | None

_UNITS: dict[str, str] = {"share": "share", "points": "points", "currency": "USD"}


@dataclass(frozen=True)
class State:
    """A per-citizen array a module owns.

    Attributes:
        name: Attribute name in ``ctx.people`` (one namespace for all modules).
        dtype: numpy dtype; keep it small (uint8 flags, float32 values).
        fill: Initial value, also given to citizens born later.
        description: What it holds, with units.
        group: States shown together by the faces (e.g. ``"score component"``), if any.
    """

    name: str
    dtype: DTypeLike
    fill: float = 0
    description: str = ""
    group: str = ""

    def metadata(self) -> dict[str, Any]:
        """JSON-ready declaration."""
        return {
            "dtype": np.dtype(self.dtype).name,
            "fill": self.fill,
            "description": self.description,
            "group": self.group,
        }


@dataclass(frozen=True)
class Read:
    """Another module's state that a module reads, with the value it assumes without it.

    Attributes:
        name: The state's name; some registered module must declare it (checked at start).
        default: Every citizen's value when the declaring module is not in the run; None if
            the module cannot work without it (then a run without its owner is an error).
        writes: Whether the module also changes it (``ctx.read`` hands out a read-only view
            otherwise, so that a module cannot change another's state undeclared).
    """

    name: str
    default: float | None = None
    writes: bool = False


@dataclass(frozen=True)
class Measure:
    """A per-step number a module reports.

    Attributes:
        name: Column name in the results.
        description: What it measures, with units, in a sentence.
        label: Short label for tables and axes (the description when empty). It may name the
            module's parameters in ``str.format`` fields, e.g. ``"adults over {thresholds[2]:g}"``.
        kind: What it counts (see :data:`Kind`).
        unit: Unit shown with values; defaults from ``kind`` (share, points, USD).
        better: ``"higher"`` or ``"lower"`` if one way is better for citizens, else None.
        headline: Whether summaries show it without ``--all``.
        bounds: The range its values cannot leave, where its kind does not say it (e.g. an
            index from 0 to 1; ``None``: open on that side); intervals are kept within it.
    """

    name: str
    description: str
    label: str = ""
    kind: Kind = "number"
    unit: str = ""
    better: Better = None
    headline: bool = False
    bounds: tuple[float | None, float | None] | None = None

    def metadata(self, pars: BaseModel | None = None) -> dict[str, Any]:
        """JSON-ready declaration, the label filled in with the module's parameters."""
        out = asdict(self)
        label = self.label or self.description
        out["label"] = label.format(**dict(pars)) if pars is not None else label
        out["unit"] = self.unit or _UNITS.get(self.kind, "")
        return out


@dataclass(frozen=True)
class Mark:
    """A value on another quantity's scale that matters to a module (e.g. a perk threshold).

    Attributes:
        on: The state or measure whose scale it marks (e.g. ``"score"``).
        value: Where the mark sits.
        label: What happens there.
        kind: A group of marks drawn alike (``"perk"``, ``"band"``).
        key: What names the mark in the module's measure names (e.g. ``"700"`` in
            ``perk_share_700``), if anything.
    """

    on: str
    value: float
    label: str
    kind: str = "mark"
    key: str = ""


class Module:
    """Base class of every mechanism.

    Subclasses set the class attributes and implement :meth:`step`; they read and write their
    own states through ``ctx.people``, other modules' states through ``ctx.read``, ties
    through ``ctx.network``, draw randomness only from ``ctx.stream(decision)`` and report
    numbers with ``ctx.record``. Modules never call each other: they communicate through
    per-citizen state, and the engine checks at start that every state read is declared.

    Attributes:
        name: Key of the module in scenario files (``[modules.NAME]``).
        phase: When in the step it runs.
        order: Position within the phase (lower first; ties broken by name).
        policy: Part of the scoring system rather than of every society: dormant during the
            burn-in (its states read as absent), started when the policy starts.
        Params: Its parameter model.
        states: Per-citizen arrays it owns (allocated by the engine).
        reads: Other modules' states it reads, with the value assumed in their absence.
        streams: Names of the random decisions it draws for.
        measures: Numbers it reports each time it runs.

    Args:
        pars: Validated parameters; defaults when omitted.
    """

    name: ClassVar[str]
    phase: ClassVar[Phase]
    order: ClassVar[int] = 100
    policy: ClassVar[bool] = False
    Params: ClassVar[type[_BaseParams]] = _BaseParams
    states: ClassVar[tuple[State, ...]] = ()
    reads: ClassVar[tuple[Read, ...]] = ()
    streams: ClassVar[tuple[str, ...]] = ()
    measures: ClassVar[tuple[Measure, ...]] = ()

    def __init__(self, pars: _BaseParams | None = None):
        self.pars = pars if pars is not None else self.Params()
        if not isinstance(self.pars, self.Params):
            raise TypeError(f"{self.name}: expected {self.Params.__name__}, got {type(pars)}")

    def init(self, ctx: Context) -> None:
        """Set up after the society exists and states are allocated (optional)."""

    def step(self, ctx: Context) -> None:
        """Advance the mechanism by one step."""
        raise NotImplementedError

    def marks(self) -> tuple[Mark, ...]:
        """Values on other quantities' scales that this module's parameters set (none)."""
        return ()

    def get_state(self) -> dict[str, NDArray[Any]]:
        """Return state held outside ``ctx.people`` (for checkpoints); none by default."""
        return {}

    def set_state(self, state: dict[str, NDArray[Any]]) -> None:
        """Restore what :meth:`get_state` returned."""

    def metadata(self) -> dict[str, Any]:
        """Everything the module declares, JSON-ready, labels filled in from its parameters."""
        doc = (type(self).__doc__ or "").strip()
        return {
            "phase": self.phase.name.lower(),
            "order": self.order,
            "policy": self.policy,
            "doc": doc.splitlines()[0] if doc else "",
            "params": self.pars.model_dump(mode="json"),
            "states": {s.name: s.metadata() for s in self.states},
            "reads": {r.name: {"default": r.default, "writes": r.writes} for r in self.reads},
            "streams": list(self.streams),
            "measures": {m.name: m.metadata(self.pars) for m in self.measures},
            "marks": [asdict(k) for k in self.marks()],
        }
