"""Helpers of the mechanism tests: a small run of chosen modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoresim import Simulation, parse_scenario
from scoresim.core.rng import uniforms_at

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


def spy(
    sim: Simulation, name: str, before: tuple[str, ...], after: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Wrap module ``name``'s step: each call appends what it saw before and left after.

    Each record holds the month ``t``, the states ``before`` and the module's reads as the
    step saw them, and the states ``after`` as it left them.
    """
    module = next(m for m in sim.modules if m.name == name)
    calls: list[dict[str, Any]] = []
    original = module.step

    def step(ctx: Any) -> None:
        seen = {k: ctx.people[k].copy() for k in before}
        for r in module.reads:
            seen[r.name] = np.array(ctx.read(r.name), copy=True)
        original(ctx)
        calls.append(
            {"t": ctx.t, "before": seen, "after": {k: ctx.people[k].copy() for k in after}}
        )

    module.step = step  # type: ignore[method-assign]
    return calls


def month_draws(sim: Simulation, name: str, t: int, n: int) -> Callable[[str], NDArray[np.float64]]:
    """The in-kernel draws module ``name`` made in month ``t``: ``u(decision)[i]`` is i's."""
    ids = np.arange(n)

    def u(decision: str) -> NDArray[np.float64]:
        return np.asarray(uniforms_at(sim.streams.stream(name, decision).base(t), ids))

    return u
