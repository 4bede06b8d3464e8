from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pytest

from scoresim import Measure, Module, Phase, Simulation, State, parse_scenario, register
from scoresim.results import load_run

CALLS: list[tuple[str, int]] = []


def _probe(phase: Phase) -> type[Module]:
    class Probe(Module):
        name = f"probe_{phase.name.lower()}"

        def step(self, sim: Simulation) -> None:
            CALLS.append((self.name, sim.t))

    Probe.phase = phase
    Probe.__qualname__ = f"Probe{phase.name}"
    return register(Probe)


PROBES = [_probe(p) for p in reversed(Phase)]  # registered out of order on purpose


def scenario(steps: int, modules: dict[str, dict[str, float]], agents: int = 300, burn_in: int = 0):
    return parse_scenario(
        {"steps": steps, "burn_in": burn_in, "society": {"agents": agents}, "modules": modules}
    )


def test_phases_run_in_fixed_order_and_demography_yearly() -> None:
    CALLS.clear()
    Simulation(scenario(24, {p.name: {} for p in PROBES})).run()
    step0 = [name for name, t in CALLS if t == 0]
    assert step0 == [
        "probe_economy",
        "probe_expression",
        "probe_scoring",
        "probe_social_response",
        "probe_outcomes",
        "probe_measures",
    ]
    yearly = [t for name, t in CALLS if name == "probe_demography"]
    assert yearly == [11, 23]
    step11 = [name for name, t in CALLS if t == 11]
    assert step11.index("probe_demography") == step11.index("probe_outcomes") + 1


@register
class Cutter(Module):
    """Cuts every tie of citizen 0 in the social-response phase."""

    name = "test_cutter"
    phase = Phase.SOCIAL_RESPONSE

    def step(self, sim: Simulation) -> None:
        nb = sim.network.neighbours(0)
        sim.network.cut(np.zeros(nb.size, dtype=np.int64), nb)


@register
class Watcher(Module):
    """Records citizen 0's degree as seen in the outcomes phase."""

    name = "test_watcher"
    phase = Phase.OUTCOMES
    measures = (Measure("degree_of_0", "ties of citizen 0 in the outcomes phase"),)

    def step(self, sim: Simulation) -> None:
        sim.record("degree_of_0", float(sim.network.degree()[0]))


def test_edits_apply_at_the_end_of_the_phase_that_queued_them() -> None:
    sim = Simulation(scenario(2, {"test_cutter": {}, "test_watcher": {}}))
    before = int(sim.network.degree()[0])
    assert before > 0
    result = sim.run()
    assert result.measures["degree_of_0"].tolist() == [0.0, 0.0]
    assert result.measures["ties_cut_total"][0] == before


@register
class Liar(Module):
    """Reports a measure it did not declare."""

    name = "test_liar"
    phase = Phase.MEASURES

    def step(self, sim: Simulation) -> None:
        sim.record("population", 1.0)


def test_undeclared_measure_is_an_error() -> None:
    with pytest.raises(KeyError, match="did not declare"):
        Simulation(scenario(1, {"test_liar": {}})).run()


@register
class Clash(Module):
    """Declares a state another module owns."""

    name = "test_clash"
    phase = Phase.ECONOMY
    states: ClassVar[tuple[State, ...]] = (State("expressed", np.float64),)

    def step(self, sim: Simulation) -> None:
        pass


def test_state_declared_with_two_dtypes_is_an_error() -> None:
    with pytest.raises(ValueError, match="expressed"):
        Simulation(scenario(1, {"expression": {}, "test_clash": {}}))


@register
class Births(Module):
    """Adds five citizens a year with a tie to citizen 0."""

    name = "test_births"
    phase = Phase.DEMOGRAPHY

    def step(self, sim: Simulation) -> None:
        new = sim.society.grow(5)
        sim.network.add(new, np.zeros_like(new))


def test_population_can_grow_and_new_citizens_get_states() -> None:
    sim = Simulation(scenario(24, {"test_births": {}, "expression": {}}, agents=100))
    result = sim.run()
    assert sim.n == 110
    assert result.measures["population"][-1] == 110
    assert sim.people["expressions"].shape == (110,)
    assert set(sim.network.neighbours(109).tolist()) == {0}


def test_record_filters_measures_and_takes_snapshots() -> None:
    sc = parse_scenario(
        {
            "steps": 3,
            "society": {"agents": 200},
            "modules": {"expression": {}},
            "record": {
                "measures": ["expression_rate"],
                "snapshot_steps": [1],
                "snapshot_states": ["expressed"],
            },
        }
    )
    result = Simulation(sc).run()
    assert list(result.measures) == ["expression_rate"]
    assert list(result.snapshots) == [1]
    assert list(result.snapshots[1]) == ["id", "expressed"]


def test_unknown_recorded_measure_is_an_input_error() -> None:
    from scoresim import InputError

    sc = parse_scenario({"steps": 1, "society": {"agents": 200}, "record": {"measures": ["x"]}})
    with pytest.raises(InputError, match=r"record\.measures: unknown \['x'\]"):
        Simulation(sc)


def test_run_reports_progress_each_step() -> None:
    seen: list[tuple[int, int]] = []
    Simulation(scenario(5, {})).run(progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


@register
class EarlyCommitter(Module):
    """Cuts citizen 1's ties and commits them at once, then adds one tie for the phase end."""

    name = "test_early_committer"
    phase = Phase.SOCIAL_RESPONSE
    measures = (Measure("degree_of_1_after_commit", "citizen 1's ties right after its commit"),)

    def step(self, sim: Simulation) -> None:
        nb = sim.network.neighbours(1)
        sim.network.cut(np.ones(nb.size, dtype=np.int64), nb)
        sim.commit()
        sim.record("degree_of_1_after_commit", float(sim.network.degree()[1]))
        sim.network.add(np.array([2]), np.array([sim.n - 1]))


def test_counters_count_every_commit_whoever_makes_it() -> None:
    sim = Simulation(scenario(1, {"test_early_committer": {}}))
    before = int(sim.network.degree()[1])
    had = bool(sim.network.has_ties(np.array([2]), np.array([sim.n - 1]))[0])
    result = sim.run()
    assert result.measures["degree_of_1_after_commit"][0] == 0
    assert result.measures["ties_cut_total"][0] == before
    assert result.measures["ties_added_total"][0] == (0 if had else 1)


@register
class Countdown(Module):
    """Counts the steps run."""

    name = "test_countdown"
    phase = Phase.MEASURES
    measures = (Measure("steps_run", "steps run so far", kind="count"),)

    def init(self, sim: Simulation) -> None:
        self.done = 0

    def step(self, sim: Simulation) -> None:
        self.done += 1
        sim.record("steps_run", float(self.done))


def test_run_stops_early_when_told_and_the_result_is_complete(tmp_path) -> None:
    asked: list[int] = []

    def stop(s: Simulation) -> bool:
        asked.append(s.t)
        return s.t == 5

    sim = Simulation(scenario(12, {"test_countdown": {}}))
    result = sim.run(stop=stop)
    assert asked == [1, 2, 3, 4, 5]  # after each step, stopping after the fifth
    assert result.stopped_early and result.steps.tolist() == [0, 1, 2, 3, 4]
    assert result.measures["steps_run"].tolist() == [1, 2, 3, 4, 5]
    result.write(tmp_path / "run")
    back = load_run(tmp_path / "run")
    assert back.stopped_early and back.steps.size == 5
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "complete"
    # Never asked after the last step: a run that reaches its end did not stop early.
    full = Simulation(scenario(3, {"test_countdown": {}})).run(stop=lambda s: s.t == 3)
    assert not full.stopped_early and full.steps.size == 3


def test_a_run_split_by_a_checkpoint_stops_where_the_whole_run_stops(tmp_path) -> None:
    from scoresim import load_checkpoint, save_checkpoint

    def stop(s: Simulation) -> bool:
        return s.t == 4

    whole = Simulation(scenario(12, {"test_countdown": {}})).run(stop=stop)
    half = Simulation(scenario(12, {"test_countdown": {}}))
    half.run(until=4, stop=stop)  # stop is asked at the `until` step too
    assert half.stopped_early
    resumed = load_checkpoint(save_checkpoint(half, tmp_path / "c.npz"))
    assert resumed.stopped_early
    result = resumed.run(stop=stop)  # a stopped run adds no step
    assert result.steps.tolist() == whole.steps.tolist() == [0, 1, 2, 3]
    assert result.stopped_early
