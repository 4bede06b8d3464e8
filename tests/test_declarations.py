"""A module declares everything once: the engine checks it, records it, and every face uses it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import scoresim
from scoresim import InputError, Measure, Module, Phase, Read, State, parse_scenario
from scoresim.cli import app
from scoresim.core.declare import Mark, Params, param
from scoresim.explore import create_app, open_results

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


@pytest.fixture
def rumour_scenarios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Two scenarios using the example module as a plugin, differing in one parameter."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    files = []
    for name, chance in (("rumour-slow", 0.02), ("rumour-fast", 0.08)):
        path = tmp_path / f"{name}.toml"
        path.write_text(
            f'name = "{name}"\nplugins = ["custom_module"]\nsteps = 6\n'
            "[society]\nagents = 600\n[record]\nsnapshot_every = 6\n"
            f"[modules.rumour]\npass_chance = {chance}\n",
            encoding="utf-8",
        )
        files.append(path)
    return files


def test_a_measure_declared_in_one_module_appears_labelled_in_every_face(
    rumour_scenarios: list[Path], tmp_path: Path
) -> None:
    # run: the headline table shows the label, the unit and the column.
    res = runner.invoke(app, ["run", str(rumour_scenarios[0]), "-o", str(tmp_path / "one")])
    assert res.exit_code == 0, res.output
    assert "heard the rumour" in res.stdout and "heard_share" in res.stdout
    # compare: both tables label it.
    out = tmp_path / "cmp"
    args = ["compare", *map(str, rumour_scenarios), "--executor", "inprocess", "-o", str(out)]
    res = runner.invoke(app, [*args, "-r", "2"])
    assert res.exit_code == 0, res.output
    assert res.stdout.count("heard the rumour") == 2  # values and effects
    # the run's metadata holds the declaration
    run_json = next((out / "runs").glob("*/run.json"))
    meta = json.loads(run_json.read_text())["metadata"]
    assert meta["measures"]["heard_share"] == {
        "name": "heard_share",
        "description": "share of citizens who heard the rumour",
        "label": "heard the rumour",
        "kind": "share",
        "unit": "share",
        "better": None,
        "headline": True,
        "bounds": None,
        "module": "rumour",
    }
    assert meta["modules"]["rumour"]["streams"] == ["seeds", "pass"]
    # report: a row of the values table and of the effects table, labelled.
    res = runner.invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    page = (out / "report.html").read_text()
    # values, every measure, effects
    assert page.count("<tr data-measure='heard_share'><td>heard the rumour") == 3
    # explorer: overview, labels and the dashboard's comparison.
    client = TestClient(create_app(open_results(out)))
    overview = client.get("/api/overview").json()
    assert "heard_share" in overview["headline"]
    assert overview["measure_info"]["heard_share"]["label"] == "heard the rumour"
    assert "heard_share" in client.get("/api/compare?step=5").json()["measures"]


class _Reader(Module):
    """Reads another module's state, with a default."""

    name = "test_reader"
    phase = Phase.MEASURES
    reads = (Read("enrolled", 1), Read("speech_cost", 0.5))
    streams = ("coin",)
    measures = (Measure("reader_mean", "mean of what was read"),)

    def __init__(self, pars: Params | None = None):
        super().__init__(pars)
        self.seen: dict[str, Any] = {}

    def step(self, ctx: scoresim.Context) -> None:
        self.seen["enrolled"] = ctx.read("enrolled")
        self.seen["speech_cost"] = ctx.read("speech_cost")
        ctx.record("reader_mean", float(ctx.read("speech_cost").mean()))


def _sim(*modules: Module, **scenario: Any) -> scoresim.Simulation:
    sc = parse_scenario({"steps": 1, "society": {"agents": 300}, **scenario})
    return scoresim.Simulation(sc, modules=modules)


def test_reads_give_the_owner_state_or_the_declared_default_in_its_dtype() -> None:
    reader = _Reader()
    _sim(reader).run()
    assert reader.seen["enrolled"].dtype == np.uint8 and np.all(reader.seen["enrolled"] == 1)
    assert reader.seen["speech_cost"].dtype == np.float32
    assert np.all(reader.seen["speech_cost"] == np.float32(0.5))
    with_owner = _Reader()
    _sim(with_owner, modules={"enrolment": {"initial_share": 0.5}}).run()
    owned = with_owner.seen["enrolled"]
    assert 0 < owned.mean() < 1  # the enrolment module's own state, not the default
    assert not owned.flags.writeable  # read, not written: another module's state is read-only
    with pytest.raises(ValueError, match="read-only"):
        owned[0] = 1


def test_a_misspelt_read_is_an_error_at_start() -> None:
    class Typo(_Reader):
        name = "test_typo"
        reads = (Read("enroled", 1),)

    with pytest.raises(InputError, match=r"modules.test_typo: reads 'enroled'.*known states"):
        _sim(Typo())


def test_a_needed_state_without_its_module_is_an_error_at_start() -> None:
    class Needs(_Reader):
        name = "test_needs"
        reads = (Read("score"),)

    with pytest.raises(InputError, match=r"needs the state 'score' of module 'scoring'"):
        _sim(Needs())
    _sim(Needs(), modules={"scoring": {}})  # with its owner, it starts


def test_undeclared_reads_and_streams_are_errors_when_used() -> None:
    class Sloppy(_Reader):
        name = "test_sloppy"
        reads = ()
        streams = ()

        def step(self, ctx: scoresim.Context) -> None:
            try:
                ctx.read("enrolled")
            except KeyError as exc:
                self.seen["read"] = str(exc)
            try:
                ctx.stream("coin")
            except KeyError as exc:
                self.seen["stream"] = str(exc)

    m = Sloppy()
    _sim(m).run()
    assert "did not declare it reads 'enrolled'" in m.seen["read"]
    assert "did not declare stream 'coin'" in m.seen["stream"]


def test_labels_and_marks_follow_the_scenario_parameters() -> None:
    sim = _sim(
        modules={
            "scoring": {},
            "perks": {"thresholds": [610, 660, 720, 790], "loan_amount": 1500},
        }
    )
    meta = sim.metadata()
    assert meta["measures"]["perk_share_700"]["label"] == "adults over 720 (Singapore permit)"
    perks = [m for m in meta["marks"] if m["kind"] == "perk"]
    assert [m["value"] for m in perks] == [610, 660, 720, 790]
    assert [m["key"] for m in perks] == ["600", "650", "700", "750"]
    assert perks[0]["label"] == "instant loan ($1,500)"


def test_every_builtin_declaration_is_complete() -> None:
    kinds = {"share", "count", "points", "currency", "ratio", "number"}
    builtin = [
        c for c in scoresim.core.registry.known().values() if c.__module__.startswith("scoresim.")
    ]
    assert {c.__name__ for c in builtin} == set(scoresim.modules.__all__)  # all registered
    for cls in builtin:
        for st in cls.states:
            assert st.description.strip(), (cls.name, st.name)
        for m in cls.measures:
            assert m.kind in kinds, (cls.name, m.name)
            assert m.better in (None, "higher", "lower"), (cls.name, m.name)
            assert (m.label or m.description).strip(), (cls.name, m.name)


def test_mark_and_param_declarations_are_plain_data() -> None:
    class P(Params):
        x: float = param(1.0, "a value", ge=0)

    class Marked(_Reader):
        name = "test_marked"
        Params = P
        states = (State("marked", np.uint8, 0, "a flag"),)
        measures = (Measure("m_x", "x", label="x is {x:g}", kind="points"),)

        def marks(self) -> tuple[Mark, ...]:
            return (Mark("score", self.pars.x, "here"),)

    meta = Marked(P(x=2.5)).metadata()
    assert meta["measures"]["m_x"]["label"] == "x is 2.5"
    assert meta["measures"]["m_x"]["unit"] == "points"
    assert meta["marks"] == [
        {"on": "score", "value": 2.5, "label": "here", "kind": "mark", "key": ""}
    ]
    assert meta["states"]["marked"] == {
        "dtype": "uint8",
        "fill": 0,
        "description": "a flag",
        "group": "",
    }
    json.dumps(meta)  # JSON-ready


def test_runs_written_before_the_record_get_their_declarations_back(tmp_path: Path) -> None:
    from scoresim.experiments import compare
    from scoresim.report.html import render_report
    from scoresim.store import load_results

    out = tmp_path / "old"
    compare(["social-credit", "no-score"], {"society.agents": 400, "steps": 2}, out=out)
    for run_json in out.glob("runs/*/run.json"):  # as written before run.json held metadata
        info = json.loads(run_json.read_text())
        del info["metadata"]
        run_json.write_text(json.dumps(info))
    data = load_results(out)
    assert "perk_share_700" in data.headline() and "expression_rate" in data.headline()
    assert data.measure_info("perk_share_700")["label"] == "adults over 700 (Singapore permit)"
    assert [m["value"] for m in data.marks("score", "perk")] == [600, 650, 700, 750]
    assert "<tr data-measure='perk_share_700'><td>adults over 700" in render_report(data)


def test_marks_and_labels_are_each_scenario_s_own() -> None:
    from scoresim.analysis.compare import RunSet

    def run_with(thresholds: list[int], name: str) -> scoresim.RunResult:
        sc = parse_scenario(
            {
                "name": name,
                "steps": 1,
                "society": {"agents": 300},
                "modules": {"scoring": {}, "perks": {"thresholds": thresholds}},
            }
        )
        return scoresim.Simulation(sc).run()

    runs = RunSet.of(
        {"a": [run_with([600, 650, 700, 750], "a")], "b": [run_with([500, 550, 720, 800], "b")]}
    )
    assert [m["value"] for m in runs.marks("score", "perk", "b")] == [500, 550, 720, 800]
    assert [m["value"] for m in runs.marks("score", "perk", "a")] == [600, 650, 700, 750]
    # One label per row of a table: where the scenarios' labels differ, the description.
    assert runs.measure_info("perk_share_700")["label"].startswith("share of living adults")
    assert runs.measure_info("mean_score")["label"] == "mean score"  # same in both


def test_a_label_that_does_not_format_or_a_taken_name_is_an_input_error() -> None:
    class BadLabel(_Reader):
        name = "test_bad_label"
        measures = (Measure("bad_label", "x", label="over {treshold:g}"),)

    with pytest.raises(InputError, match="test_bad_label: a measure label does not format"):
        _sim(BadLabel())

    class Taken(_Reader):
        name = "test_taken"
        measures = (Measure("population", "a second population"),)

    with pytest.raises(InputError, match=r"\['population'\] are already reported by engine"):
        _sim(Taken())


@pytest.mark.parametrize(
    "crafted",
    [
        [1, 2],
        "metadata",
        {"measures": {"population": 3}, "marks": [], "modules": {}},
        {"measures": {}, "marks": [{"on": "score"}], "modules": {}},
        {"measures": {}, "marks": "x", "modules": {}},
    ],
)
def test_a_run_json_with_crafted_declarations_gets_them_rebuilt(
    tmp_path: Path, crafted: Any
) -> None:
    from scoresim.report.html import render_report
    from scoresim.store import load_results

    sc = parse_scenario(
        {"steps": 2, "society": {"agents": 300}, "modules": {"scoring": {}, "perks": {}}}
    )
    scoresim.Simulation(sc).run().write(tmp_path / "run")
    run_json = tmp_path / "run" / "run.json"
    info = json.loads(run_json.read_text())
    info["metadata"] = crafted
    run_json.write_text(json.dumps(info))
    data = load_results(tmp_path / "run")
    assert data.measure_info("perk_share_700")["label"] == "adults over 700 (Singapore permit)"
    assert [m["value"] for m in data.marks("score", "perk")] == [600, 650, 700, 750]
    assert "data-measure='mean_score'" in render_report(data)
