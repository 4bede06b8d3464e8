"""The target library: published figures, and what a comparison's runs give for them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from scoresim import Simulation, load_scenario
from scoresim.calibration import DEFAULT_TARGETS, check, load_targets
from scoresim.cli import app
from scoresim.core.errors import InputError
from scoresim.experiments import compare
from scoresim.store import load_results

runner = CliRunner()
SMALL = {"society.agents": 800, "steps": 24, "burn_in": 0, "modules.enrolment.mandate_step": 6}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("targets")
    compare(["social-credit", "no-score", "ability-to-pay"], SMALL, replicates=2, out=root)
    return root


def test_the_shipped_library_names_measures_the_model_has() -> None:
    library = load_targets()
    assert len(library.target) >= 8
    for t in library.target:
        sim = Simulation(load_scenario(t.scenario, {"society.agents": 100}))
        measures = sim.metadata()["measures"]
        assert t.measure in measures, t.name
        assert not t.denominator or t.denominator in measures, t.name
        assert t.source and t.uncertainty > 0


def test_each_kind_is_computed_from_the_runs_as_it_says(results: Path) -> None:
    runs = load_results(results)
    checks = {c.target.name: c for c in check(load_targets(), runs)}
    sc = runs.scenarios["social-credit"].runs
    ctl = runs.scenarios["no-score"].runs

    def last(series: np.ndarray, window: int, end: int = -1, total: bool = False) -> float:
        stop = end % series.size + 1
        part = series[max(0, stop - window) : stop]
        part = part[~np.isnan(part)]
        return float(part.sum() if total else part.mean())

    ratio = [
        last(a.measures["expression_rate"], 12) / last(b.measures["expression_rate"], 12)
        for a, b in zip(sc, ctl, strict=True)
    ]
    assert checks["penney_chilling"].model.mean == pytest.approx(np.mean(ratio))
    adoption = [r.measures["enrolled_share"][23] for r in sc]
    assert checks["alipay_adoption"].model.mean == pytest.approx(np.mean(adoption))
    growth = [
        r.measures["debtor_list_size"][-1] / r.measures["debtor_list_size"][-11]
        for r in sc
        if r.measures["debtor_list_size"][-11]
    ]
    got = checks["court_list_growth"].model.mean
    assert (math.isnan(got) and not growth) or got == pytest.approx(np.mean(growth))
    share = [r.measures["debtor_list_size"][-1] / r.measures["population"][-1] for r in sc]
    assert checks["credit_china_share"].model.mean == pytest.approx(np.mean(share))
    atp = [last(r.measures["mean_score"], 12) for r in runs.scenarios["ability-to-pay"].runs]
    fico = checks["fico_mean"]
    assert fico.model.mean == pytest.approx(np.mean(atp))
    # Met exactly when within two standard deviations of the difference.
    half = (fico.model.ci_high - fico.model.ci_low) / 2
    sd = math.hypot(fico.target.uncertainty, half / 1.96)
    assert fico.met == (abs(fico.model.mean - fico.target.value) <= 2 * sd)


def test_a_bad_library_is_one_line_naming_the_problem(tmp_path: Path) -> None:
    good = DEFAULT_TARGETS.read_text(encoding="utf-8")
    twice = tmp_path / "twice.toml"
    twice.write_text(good + good.split("[[target]]", 2)[1].join(["[[target]]", ""]))
    with pytest.raises(InputError, match="repeated"):
        load_targets(twice)
    flow = tmp_path / "flow.toml"
    flow.write_text(
        '[[target]]\nname = "x"\ndescription = "d"\nsource = "s"\nvalue = 1\n'
        'uncertainty = 1\nkind = "flow_ratio"\nmeasure = "debtor_exits"\n'
    )
    with pytest.raises(InputError, match="denominator"):
        load_targets(flow)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[target]\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_targets(broken)
    with pytest.raises(InputError, match="cannot read"):
        load_targets(tmp_path / "missing.toml")


def test_the_command_lists_and_checks(results: Path) -> None:
    listed = runner.invoke(app, ["targets", "--json"])
    assert listed.exit_code == 0
    names = [t["name"] for t in json.loads(listed.stdout)]
    assert "penney_chilling" in names and len(names) == len(set(names))
    checked = runner.invoke(app, ["targets", str(results), "--json"])
    assert checked.exit_code == 0, checked.output
    out = json.loads(checked.stdout)
    assert set(out) <= set(names) and "fico_mean" in out
    assert all(isinstance(v["met"], bool) for v in out.values())
    missing = runner.invoke(app, ["targets", str(results / "nowhere")])
    assert missing.exit_code == 2
