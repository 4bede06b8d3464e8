"""A run's declarations, JSON-ready: what ``run.json`` records and every face renders.

One function builds it for a running simulation and for a run read back from disk whose
``run.json`` predates the record (rebuilt from its scenario's modules), so faces always find
labels, units, headline flags and marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scoresim.core import registry
from scoresim.core.declare import Measure, Module

__all__ = ["ENGINE_MEASURES", "build_modules", "run_metadata"]

#: Measures the engine itself reports at the end of every step.
ENGINE_MEASURES: tuple[Measure, ...] = (
    Measure("population", "citizens alive", kind="count", unit="citizens", headline=True),
    Measure("ties", "undirected ties in the network", kind="count", unit="ties"),
    Measure(
        "ties_cut_total",
        "ties removed this step, all modules and deaths together (net of re-additions)",
        label="ties cut",
        kind="count",
        unit="ties",
    ),
    Measure(
        "ties_added_total",
        "ties created this step, all modules together (net of cuts)",
        label="ties added",
        kind="count",
        unit="ties",
    ),
)


def build_modules(
    specs: Mapping[str, Mapping[str, Any]], extra: Iterable[Module] = ()
) -> list[Module]:
    """The modules a scenario names (validated parameters by name), plus ``extra``, in run order.

    Run order is the fixed phase order, then ``order``, then name.
    """
    built = [registry.get(n)(registry.get(n).Params(**p)) for n, p in specs.items()]
    return sorted([*built, *extra], key=lambda m: (m.phase, m.order, m.name))


def run_metadata(modules: Iterable[Module]) -> dict[str, Any]:
    """What a run's modules declare, labels filled in from their parameters.

    ``measures`` holds every measure, the engine's first, with label, kind, unit, which way is
    better, whether it is a headline and its module; ``marks`` the values on other quantities'
    scales that the modules' parameters set (perk thresholds and bands on the score);
    ``modules`` each module's full declaration.

    Raises:
        ValueError: A label names a parameter the module does not have, or two modules (or a
            module and the engine) declare one measure name.
    """
    measures = {m.name: {**m.metadata(), "module": "engine"} for m in ENGINE_MEASURES}
    modules_meta: dict[str, Any] = {}
    marks: list[dict[str, Any]] = []
    for m in modules:
        try:
            meta = m.metadata()
        except (KeyError, IndexError, AttributeError, ValueError) as exc:
            raise ValueError(
                f"modules.{m.name}: a measure label does not format: {exc!r}"
            ) from None
        taken = sorted(set(meta["measures"]) & set(measures))
        if taken:
            owners = sorted({measures[k]["module"] for k in taken})
            raise ValueError(
                f"modules.{m.name}: measures {taken} are already reported by {', '.join(owners)}"
            )
        modules_meta[m.name] = meta
        measures.update({k: {**v, "module": m.name} for k, v in meta["measures"].items()})
        marks += [{**k, "module": m.name} for k in meta["marks"]]
    return {"measures": measures, "marks": marks, "modules": modules_meta}
