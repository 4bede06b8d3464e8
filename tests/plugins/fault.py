"""A module that fails on purpose, for tests of how experiments handle failed runs."""

from __future__ import annotations

from pathlib import Path

import scoresim
from scoresim.core.declare import param


class FaultParams(scoresim.Params):
    """When to fail."""

    fail_at_step: int = param(-1, "step at which to raise (-1: never)", ge=-1, why="tests")
    fail_if_exists: str = param("", "raise at the first step if this file exists", why="tests")
    interrupt: bool = param(False, "raise KeyboardInterrupt instead of an error", why="tests")


@scoresim.register
class Fault(scoresim.Module):
    """Raises at a chosen step."""

    name = "fault"
    phase = scoresim.Phase.MEASURES
    Params = FaultParams
    pars: FaultParams

    def step(self, sim: scoresim.Simulation) -> None:
        if self.pars.fail_if_exists and Path(self.pars.fail_if_exists).exists():
            if self.pars.interrupt:
                raise KeyboardInterrupt
            raise RuntimeError(f"injected fault: {self.pars.fail_if_exists} exists")
        if sim.t == self.pars.fail_at_step:
            raise RuntimeError(f"injected fault at step {sim.t}")
