"""The engine: builds the society and modules, runs the fixed phase order, records measures."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoresim.engine import registry
from scoresim.engine.ego import capture, choose_egos
from scoresim.engine.measures import MeasureTable
from scoresim.engine.module import YEARLY_PHASES, Measure, Module, Phase
from scoresim.errors import InputError
from scoresim.results import RunResult
from scoresim.rng import DrawLog, Stream, Streams
from scoresim.scenario import Scenario
from scoresim.society import Network, People, Society, build_society
from scoresim.version import code_version

__all__ = ["ENGINE_MEASURES", "Simulation"]

#: Measures the engine itself reports at the end of every step.
ENGINE_MEASURES: tuple[Measure, ...] = (
    Measure("population", "citizens alive"),
    Measure("ties", "undirected ties in the network"),
    Measure("ties_cut_total", "ties removed this step, all modules together"),
    Measure("ties_added_total", "ties created this step, all modules together"),
)

Progress = Callable[[int, int], None]


class Simulation:
    """One run of one scenario.

    Args:
        scenario: What to simulate.
        modules: Extra module instances, beyond those the scenario names (Python API).
        society: A prebuilt society (for instance shared by several runs); built from the
            scenario when omitted.
        draw_log: Callback told of every block of random draws (audits and tests).

    Raises:
        InputError: If the recording section names unknown measures or states.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        modules: Sequence[Module] = (),
        society: Society | None = None,
        draw_log: DrawLog | None = None,
        _resume: bool = False,
    ):
        self.scenario = scenario
        self.streams = Streams(scenario.seed, draw_log)
        built = [registry.get(n)(registry.get(n).Params(**p)) for n, p in scenario.modules.items()]
        self.modules: list[Module] = sorted(
            [*built, *modules], key=lambda m: (m.phase, m.order, m.name)
        )
        names = [m.name for m in self.modules]
        if len(set(names)) != len(names):
            raise InputError(f"modules: each module may appear once, got {names}")
        self.society = (
            society if society is not None else build_society(scenario.society, self.streams)
        )
        self.t = 0
        self.snapshots: dict[int, dict[str, NDArray[Any]]] = {}
        self.tie_snapshots: dict[int, dict[str, NDArray[Any]]] = {}
        self._snapshot_at = scenario.snapshot_steps()
        for m in self.modules:
            for st in m.states:
                self.people.declare(st.name, st.dtype, st.fill)
        declared = [*ENGINE_MEASURES, *(x for m in self.modules for x in m.measures)]
        self.measures = MeasureTable([x.name for x in declared])
        self._check_record()
        self._current: Module | None = None
        self._measure_owner = {x.name: m.name for m in self.modules for x in m.measures}
        self._started = time.time()
        self.egos = np.empty(0, dtype=np.int64)
        self.ego_start: dict[str, dict[str, NDArray[Any]]] = {}
        if not _resume:
            for m in self.modules:
                m.init(self)
            self.egos = choose_egos(
                self.people, self.network, self.streams, scenario.record.ego_networks
            )
            self.ego_start = capture(self.network, self.people, self.egos, 0)

    # -- what modules use -------------------------------------------------------------------

    @property
    def people(self) -> People:
        """Per-citizen arrays (``sim.people["income"]``)."""
        return self.society.people

    @property
    def network(self) -> Network:
        """The social network (CSR, with queued edits)."""
        return self.society.network

    @property
    def n(self) -> int:
        """Citizens ever born (ids ``0..n-1``)."""
        return self.society.n

    @property
    def year(self) -> int:
        """Current year of the run (0-based)."""
        return self.t // 12

    def stream(self, module: Module, decision: str) -> Stream:
        """The random stream of ``decision`` in ``module``; draw from it with ``sim.t``."""
        return self.streams.stream(module.name, decision)

    def record(self, name: str, value: float) -> None:
        """Report measure ``name`` for the current step (only from the module declaring it)."""
        owner = self._measure_owner.get(name)
        if self._current is not None and owner != self._current.name:
            raise KeyError(f"module {self._current.name!r} did not declare measure {name!r}")
        self.measures.set(name, value)

    # -- running --------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one month through every phase in order."""
        t = self.t
        year_end = t % 12 == 11
        self.measures.begin()
        cut = added = 0
        for phase in Phase:
            if phase in YEARLY_PHASES and not year_end:
                continue
            for m in self.modules:
                if m.phase is phase:
                    self._current = m
                    m.step(self)
            self._current = None
            c, a = self.network.commit()
            cut += c
            added += a
        alive = self.people["alive"]
        self.measures.set("population", float(np.count_nonzero(alive)))
        self.measures.set("ties", float(self.network.n_ties))
        self.measures.set("ties_cut_total", float(cut))
        self.measures.set("ties_added_total", float(added))
        self.measures.end()
        if t in self._snapshot_at:
            self.snapshots[t] = self._snapshot()
            if t in (self._snapshot_at[0], self._snapshot_at[-1]):
                self.tie_snapshots[t] = {
                    "u": self.network.sources().astype(np.int32),
                    "v": self.network.indices.copy(),
                }
        self.t += 1

    def run(self, until: int | None = None, progress: Progress | None = None) -> RunResult:
        """Step until step ``until`` (default: the scenario's ``steps``) and return the result.

        Args:
            until: Stop before this step (lets a run be checkpointed half-way).
            progress: Called after each step with (steps done, steps in all).
        """
        end = self.scenario.steps if until is None else min(until, self.scenario.steps)
        while self.t < end:
            self.step()
            if progress is not None:
                progress(self.t, self.scenario.steps)
        return self.result()

    def ego_networks(self) -> dict[str, dict[str, NDArray[Any]]]:
        """Ego networks at the start and now, stacked (``nodes`` and ``ties`` tables).

        Former friends stay in the drawing now, so that cut ties show.
        """
        if self.egos.size == 0:
            return {}
        start = self.ego_start
        former = {int(e): start["nodes"]["node"][start["nodes"]["ego"] == e] for e in self.egos}
        now = capture(self.network, self.people, self.egos, self.t, former)
        return {
            part: {k: np.concatenate([start[part][k], now[part][k]]) for k in start[part]}
            for part in ("nodes", "ties")
        }

    def result(self) -> RunResult:
        """The run so far: measures by step, snapshots and provenance."""
        cols = self.measures.columns()
        keep = self.scenario.record.measures
        if keep != "all":
            cols = {k: v for k, v in cols.items() if k in keep}
        return RunResult(
            scenario=self.scenario,
            steps=np.arange(len(self.measures), dtype=np.int32),
            measures=cols,
            snapshots=dict(self.snapshots),
            tie_snapshots=dict(self.tie_snapshots),
            egos=self.ego_networks(),
            code_version=code_version(),
            scenario_hash=self.scenario.digest(),
            started=self._started,
            finished=time.time(),
        )

    # -- helpers --------------------------------------------------------------------------

    def _check_record(self) -> None:
        rec = self.scenario.record
        if rec.measures != "all":
            unknown = sorted(set(rec.measures) - set(self.measures.names))
            if unknown:
                raise InputError(
                    f"record.measures: unknown {unknown}; available: "
                    f"{', '.join(self.measures.names)}"
                )
        unknown_states = sorted(set(rec.snapshot_states) - set(self.people))
        if unknown_states:
            raise InputError(
                f"record.snapshot_states: unknown {unknown_states}; available: "
                f"{', '.join(sorted(self.people))}"
            )

    def _snapshot(self) -> dict[str, NDArray[Any]]:
        names = self.scenario.record.snapshot_states or list(self.people)
        snap = {"id": np.arange(self.n, dtype=np.int32)}
        snap.update({k: self.people[k].copy() for k in names})
        return snap
