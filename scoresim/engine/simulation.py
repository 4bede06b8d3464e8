"""The engine: builds the society and modules, runs the fixed phase order, records measures."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoresim.core import registry
from scoresim.core.declare import YEARLY_PHASES, Module, Phase
from scoresim.core.errors import InputError
from scoresim.core.metadata import ENGINE_MEASURES, build_modules, run_metadata
from scoresim.core.rng import DrawLog, Stream, Streams
from scoresim.core.version import code_version
from scoresim.engine.ego import capture, choose_egos
from scoresim.engine.measures import MeasureTable
from scoresim.results import RunResult
from scoresim.scenario import Scenario
from scoresim.society import Network, People, Society, build_society
from scoresim.society.lifetable import LifeTable

__all__ = ["SOCIETY_STATES", "Simulation", "Stop"]

#: Per-citizen states every society has before any module runs (see ``society.population``).
SOCIETY_STATES = (
    "alive",
    "age",
    "income",
    "assets",
    "occupation",
    "independence",
    "dissenter",
    "community",
    "generation",
    "parent",
)
#: Namespace of the burn-in's random streams (independent of the run's own).
BURN_IN_STREAMS = "@burn-in"

Progress = Callable[[int, int], None]
#: Asked after each step whether the run may stop early (an absorbing state, say).
Stop = Callable[["Simulation"], bool]


class Simulation:
    """One run of one scenario.

    A run starts with the burn-in: ``scenario.burn_in`` months of the society's own
    mechanisms (the modules not marked ``policy``), with their own random streams and the
    policy modules' states read as absent, so that every scenario of one society and seed
    starts its policy from the same settled society. The policy modules are then started
    and the clock set back to month 0. The burn-in's measures are kept apart
    (``burn_in_measures``).

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
        self._run_streams = self.streams
        self._burn_streams = Streams(scenario.seed, draw_log, BURN_IN_STREAMS)
        self.life_table = LifeTable(scenario.society.life_table)
        self.modules: list[Module] = build_modules(scenario.modules, modules)
        names = [m.name for m in self.modules]
        if len(set(names)) != len(names):
            raise InputError(f"modules: each module may appear once, got {names}")
        try:  # labels that do not format, or a measure name taken twice: before any work
            self._metadata = run_metadata(self.modules)
        except ValueError as exc:
            raise InputError(str(exc)) from None
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
        self.burn_in_measures = MeasureTable([x.name for x in declared])
        self._active = self.modules
        self.burn_in = False
        self.policy_started = _resume
        self._dormant_states = {s.name: s.fill for m in self.modules if m.policy for s in m.states}
        self._check_record()
        self._reads = self._resolve_reads()
        self._current: Module | None = None
        self.stopped_early = False
        self._measure_owner = {x.name: m.name for m in self.modules for x in m.measures}
        self._started = time.time()
        self.egos = np.empty(0, dtype=np.int64)
        self.ego_start: dict[str, dict[str, NDArray[Any]]] = {}
        if not _resume:
            self._init([m for m in self.modules if not m.policy])
            if scenario.burn_in == 0:
                self.start()

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

    def stream(self, decision: str) -> Stream:
        """The current module's random stream of ``decision``; draw from it with ``sim.t``.

        Raises:
            KeyError: If the module did not declare ``decision`` in its ``streams``.
        """
        m = self._running("stream")
        if decision not in m.streams:
            raise KeyError(
                f"module {m.name!r} did not declare stream {decision!r}; declared: {m.streams}"
            )
        return self.streams.stream(m.name, decision)

    def read(self, name: str) -> NDArray[Any]:
        """Another module's state that the current module declared in ``reads``.

        Its array when the module owning it runs; otherwise a new array of the declared
        default, with the owner's dtype.

        Raises:
            KeyError: If the current module did not declare ``name`` in its ``reads``.
        """
        m = self._running("read")
        read = self._reads.get((m.name, name))
        if read is None:
            declared = [r.name for r in m.reads]
            raise KeyError(
                f"module {m.name!r} did not declare it reads {name!r}; reads: {declared}"
            )
        default, dtype, writes = read
        if self.burn_in and name in self._dormant_states:  # no policy yet: as if absent
            fill = self._dormant_states[name] if default is None else default
            return np.full(self.n, fill, dtype=dtype)
        if name in self.people:
            view = self.people[name]
            if not writes:  # another module's state: read-only unless declared otherwise
                view = view.view()
                view.flags.writeable = False
            return view
        if default is None:  # unreachable: a needed state's module is checked at start
            raise KeyError(f"module {m.name!r} needs {name!r}, which no module in the run has")
        return np.full(self.n, default, dtype=dtype)

    def record(self, name: str, value: float) -> None:
        """Report measure ``name`` for the current step (only from the module declaring it)."""
        owner = self._measure_owner.get(name)
        if self._current is not None and owner != self._current.name:
            raise KeyError(f"module {self._current.name!r} did not declare measure {name!r}")
        self.measures.set(name, value)

    def commit(self) -> tuple[int, int]:
        """Apply the tie edits queued so far, now; returns (ties cut, ties added)."""
        return self.network.commit()

    def grow(self, count: int) -> NDArray[np.int64]:
        """Add ``count`` citizens without ties (births); return their ids."""
        if self.network.pending:
            self.network.commit()  # a grown network must have no edits pending
        return self.society.grow(count)

    # -- running --------------------------------------------------------------------------

    def start(self, progress: Progress | None = None) -> None:
        """Run the burn-in, then start the policy modules at month 0 (once; ``run`` calls it).

        Args:
            progress: Told after each burn-in month, with (months done, months in all of the
                burn-in and the run).
        """
        if self.policy_started:
            return
        months = self.scenario.burn_in
        total = months + self.scenario.steps
        self._active = [m for m in self.modules if not m.policy]
        self.streams, self.burn_in = self._burn_streams, True
        run_measures, self.measures = self.measures, self.burn_in_measures
        try:
            for _ in range(months):
                self._step()
                if progress is not None:
                    progress(self.t, total)
        finally:
            self.measures = run_measures
            self.streams, self.burn_in = self._run_streams, False
            self._active = self.modules
        self.t = 0
        self.policy_started = True
        self._init([m for m in self.modules if m.policy])
        self.egos = choose_egos(
            self.people, self.network, self.streams, self.scenario.record.ego_networks
        )
        self.ego_start = capture(self.network, self.people, self.egos, 0)

    def step(self) -> None:
        """Advance one month through every phase in order (after the burn-in)."""
        self.start()
        self._step()

    def _step(self) -> None:
        t = self.t
        year_end = t % 12 == 11
        self.measures.begin()
        # Counted by the network over every commit: the engine's, a module's own, a birth's.
        cut0, added0 = self.network.cut_total, self.network.added_total
        for phase in Phase:
            if phase in YEARLY_PHASES and not year_end:
                continue
            for m in self._active:
                if m.phase is phase:
                    self._current = m
                    m.step(self)
            self._current = None
            self.network.commit()
        alive = self.people["alive"]
        self.measures.set("population", float(np.count_nonzero(alive)))
        self.measures.set("ties", float(self.network.n_ties))
        self.measures.set("ties_cut_total", float(self.network.cut_total - cut0))
        self.measures.set("ties_added_total", float(self.network.added_total - added0))
        self.measures.end()
        if t in self._snapshot_at and not self.burn_in:
            self.snapshots[t] = self._snapshot()
            if t in (self._snapshot_at[0], self._snapshot_at[-1]):
                self.tie_snapshots[t] = {
                    "u": self.network.sources().astype(np.int32),
                    "v": self.network.indices.copy(),
                }
        self.t += 1

    def run(
        self, until: int | None = None, progress: Progress | None = None, stop: Stop | None = None
    ) -> RunResult:
        """Step until step ``until`` (default: the scenario's ``steps``) and return the result.

        Args:
            until: Stop before this step (lets a run be checkpointed half-way).
            progress: Called after each month with (months done, months in all), the
                burn-in's included.
            stop: Asked after each step but the scenario's last; the run ends there when it
                returns True (for instance when the state is absorbing). The result then
                holds the steps run, ``stopped_early`` is set (and kept by checkpoints), and
                later calls of ``run`` add no step.

        Raises:
            InputError: If ``until`` is not a month from the current one to the scenario's
                ``steps``: the run neither goes back nor past its scenario, and clipping it
                would return other months than were asked for.
        """
        end = self.scenario.steps if until is None else self._checked_until(until)
        self.start(progress)
        months = self.scenario.burn_in
        # A run that stopped early is over: running it again (or resuming its checkpoint)
        # adds no step.
        while self.t < end and not self.stopped_early:
            self._step()
            if progress is not None:
                progress(months + self.t, months + self.scenario.steps)
            # Asked after every step but the scenario's last, wherever `until` cuts the run,
            # so that a run split by checkpoints stops where the whole run would.
            if stop is not None and self.t < self.scenario.steps and stop(self):
                self.stopped_early = True
        return self.result()

    def _checked_until(self, until: object) -> int:
        """``until`` as a month this run can stop before (see :meth:`run`)."""
        if isinstance(until, bool) or not isinstance(until, int | np.integer):
            raise InputError(f"until = {until!r}: must be a whole number of months")
        # The current month is the lowest: a run stops early, it never goes back.
        if not self.t <= until <= self.scenario.steps:
            raise InputError(
                f"until = {until}: must be from {self.t} (the months this run has done) to "
                f"{self.scenario.steps} (the scenario's steps)"
            )
        return int(until)

    def metadata(self) -> dict[str, Any]:
        """What the run's modules declare, JSON-ready (written into ``run.json``).

        See :func:`scoresim.core.metadata.run_metadata`.
        """
        return self._metadata

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
        burn = self.burn_in_measures.columns()
        if keep != "all":
            burn = {k: v for k, v in burn.items() if k in keep}
        return RunResult(
            scenario=self.scenario,
            steps=np.arange(len(self.measures), dtype=np.int32),
            measures=cols,
            burn_in=burn if len(self.burn_in_measures) else {},
            snapshots=dict(self.snapshots),
            tie_snapshots=dict(self.tie_snapshots),
            egos=self.ego_networks(),
            code_version=code_version(),
            scenario_hash=self.scenario.digest(),
            metadata=self.metadata(),
            stopped_early=self.stopped_early,
            started=self._started,
            finished=time.time(),
        )

    # -- helpers --------------------------------------------------------------------------

    def _init(self, modules: list[Module]) -> None:
        for m in modules:
            self._current = m
            m.init(self)
        self._current = None

    def _running(self, what: str) -> Module:
        if self._current is None:
            raise RuntimeError(f"{what}() is for modules, while they run")
        return self._current

    def _resolve_reads(self) -> dict[tuple[str, str], tuple[float | None, np.dtype[Any], bool]]:
        """Check every declared read names a known state; its default and dtype per module.

        Raises:
            InputError: If a module reads a state that no registered module declares, or
                needs one (no default) whose module is not in the run.
        """
        owners: dict[str, tuple[str, np.dtype[Any]]] = {
            s.name: (cls.name, np.dtype(s.dtype))
            for cls in registry.known().values()
            for s in cls.states
        }
        owners.update({s.name: (m.name, np.dtype(s.dtype)) for m in self.modules for s in m.states})
        out: dict[tuple[str, str], tuple[float | None, np.dtype[Any], bool]] = {}
        for m in self.modules:
            for r in m.reads:
                if r.name in SOCIETY_STATES:
                    dtype = self.people[r.name].dtype
                elif r.name in owners:
                    owner, dtype = owners[r.name]
                    if r.default is None and r.name not in self.people:
                        raise InputError(
                            f"modules.{m.name}: needs the state {r.name!r} of module "
                            f"{owner!r}; add [modules.{owner}] to the scenario"
                        )
                else:
                    raise InputError(
                        f"modules.{m.name}: reads {r.name!r}, a state no module declares; "
                        f"known states: {', '.join(sorted([*SOCIETY_STATES, *owners]))}"
                    )
                out[(m.name, r.name)] = (r.default, dtype, r.writes)
        return out

    def _check_record(self) -> None:
        rec = self.scenario.record
        if rec.measures != "all":
            unknown = sorted(set(rec.measures) - set(self.measures.names))
            if unknown:
                raise InputError(
                    f"record.measures: unknown {_some(unknown)}; available: "
                    f"{', '.join(self.measures.names)}"
                )
        unknown_states = sorted(set(rec.snapshot_states) - set(self.people))
        if unknown_states:
            raise InputError(
                f"record.snapshot_states: unknown {_some(unknown_states)}; available: "
                f"{', '.join(sorted(self.people))}"
            )

    def _snapshot(self) -> dict[str, NDArray[Any]]:
        names = self.scenario.record.snapshot_states or list(self.people)
        snap = {"id": np.arange(self.n, dtype=np.int32)}
        snap.update({k: self.people[k].copy() for k in names})
        return snap


def _some(names: list[str], shown: int = 3) -> str:
    """A few of ``names`` for a one-line message, the others counted (a list may be long)."""
    cut = [n if len(n) <= 40 else n[:37] + "..." for n in names[:shown]]
    more = f" and {len(names) - shown:,} more" if len(names) > shown else ""
    return f"{cut}{more}"
