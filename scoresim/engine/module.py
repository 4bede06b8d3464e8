"""What a module is: typed parameters, the per-citizen state it owns, its measures, a step."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar

from numpy.typing import DTypeLike, NDArray
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from scoresim.engine.simulation import Simulation

__all__ = ["Measure", "Module", "Params", "Phase", "State", "param"]


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


@dataclass(frozen=True)
class State:
    """A per-citizen array a module owns.

    Attributes:
        name: Attribute name in ``sim.people`` (one namespace for all modules).
        dtype: numpy dtype; keep it small (uint8 flags, float32 values).
        fill: Initial value, also given to citizens born later.
        description: What it holds, with units.
    """

    name: str
    dtype: DTypeLike
    fill: float = 0
    description: str = ""


@dataclass(frozen=True)
class Measure:
    """A per-step number a module reports.

    Attributes:
        name: Column name in the results.
        description: What it measures, with units.
    """

    name: str
    description: str


class Module:
    """Base class of every mechanism.

    Subclasses set the class attributes and implement :meth:`step`; they read and write
    citizens' state through ``sim.people``, ties through ``sim.network``, draw randomness only
    from ``sim.stream(self, decision)`` and report numbers with ``sim.record``. Modules never
    call each other: they communicate through per-citizen state.

    Attributes:
        name: Key of the module in scenario files (``[modules.NAME]``).
        phase: When in the step it runs.
        order: Position within the phase (lower first; ties broken by name).
        Params: Its parameter model.
        states: Per-citizen arrays it owns (allocated by the engine).
        measures: Numbers it reports each time it runs.

    Args:
        pars: Validated parameters; defaults when omitted.
    """

    name: ClassVar[str]
    phase: ClassVar[Phase]
    order: ClassVar[int] = 100
    Params: ClassVar[type[_BaseParams]] = _BaseParams
    states: ClassVar[tuple[State, ...]] = ()
    measures: ClassVar[tuple[Measure, ...]] = ()

    def __init__(self, pars: _BaseParams | None = None):
        self.pars = pars if pars is not None else self.Params()
        if not isinstance(self.pars, self.Params):
            raise TypeError(f"{self.name}: expected {self.Params.__name__}, got {type(pars)}")

    def init(self, sim: Simulation) -> None:
        """Set up after the society exists and states are allocated (optional)."""

    def step(self, sim: Simulation) -> None:
        """Advance the mechanism by one step."""
        raise NotImplementedError

    def get_state(self) -> dict[str, NDArray[Any]]:
        """Return state held outside ``sim.people`` (for checkpoints); none by default."""
        return {}

    def set_state(self, state: dict[str, NDArray[Any]]) -> None:
        """Restore what :meth:`get_state` returned."""

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Return a plain description: phase, parameters with defaults, states, measures."""
        return {
            "name": cls.name,
            "phase": cls.phase.name.lower(),
            "doc": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
            "params": {
                k: {"default": f.default, "description": f.description or ""}
                for k, f in cls.Params.model_fields.items()
            },
            "states": [s.name for s in cls.states],
            "measures": [m.name for m in cls.measures],
        }
