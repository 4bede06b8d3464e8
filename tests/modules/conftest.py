"""Helpers of the mechanism tests: a small run of chosen modules."""

from __future__ import annotations

from typing import Any

from scoresim import Simulation, parse_scenario

CALM = {"fear": 0.0}  # expression that ignores the score, so posts are the same in every run


def sim_of(
    modules: dict[str, dict[str, Any]],
    steps: int = 12,
    agents: int = 3000,
    seed: int = 3,
    society: dict[str, Any] | None = None,
) -> Simulation:
    """A simulation of the given modules (not yet run), without a burn-in.

    ``society`` holds extra keys of the society section (``life_table``, say).
    """
    return Simulation(
        parse_scenario(
            {
                "seed": seed,
                "steps": steps,
                "burn_in": 0,
                "society": {"agents": agents, **(society or {})},
                "modules": modules,
            }
        )
    )


def run(modules: dict[str, dict[str, Any]], **kw: Any) -> Simulation:
    """A simulation of the given modules, run to its end."""
    sim = sim_of(modules, **kw)
    sim.run()
    return sim
