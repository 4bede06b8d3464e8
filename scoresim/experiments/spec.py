"""What one run is, independently of where it executes."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from scoresim.scenario import Scenario

__all__ = ["RunSpec", "derive_seed", "make_run_id"]


def derive_seed(seed: int, replicate: int) -> int:
    """Seed of replicate ``replicate`` of an experiment with seed ``seed``.

    Replicate 0 uses the seed itself, so a single replicate equals a plain run; the others
    hash (seed, replicate), so experiments with nearby seeds do not share replicates.
    """
    if replicate == 0:
        return seed
    digest = hashlib.blake2b(f"{seed}:{replicate}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1  # stays below 2**63


def make_run_id(label: str, scenario: Scenario, replicate: int) -> str:
    """A stable, file-safe id: label, scenario hash and replicate."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")[:60] or "run"
    return f"{safe}-{scenario.digest()[:8]}-r{replicate}"


@dataclass(frozen=True)
class RunSpec:
    """One run: a validated scenario (as plain data, so it pickles anywhere) and its labels.

    Attributes:
        run_id: Unique within a results directory; stable across restarts.
        scenario: ``Scenario.model_dump(mode="json")``.
        experiment: Name of the experiment (compare, sweep) it belongs to.
        replicate: Replicate number.
        params: Swept parameter values (dotted key -> value).
        plugins: Python modules to import before running (user-defined modules).
    """

    run_id: str
    scenario: dict[str, Any]
    experiment: str = ""
    replicate: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    plugins: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        experiment: str,
        replicate: int = 0,
        label: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> RunSpec:
        """Build a spec from a validated scenario."""
        return cls(
            run_id=make_run_id(label or scenario.name, scenario, replicate),
            scenario=scenario.model_dump(mode="json"),
            experiment=experiment,
            replicate=replicate,
            params=dict(params or {}),
            plugins=tuple(scenario.plugins),
        )
