"""The HTML report and the figures: present, not blank, and true to the results database."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from typer.testing import CliRunner

from scoresim.cli import app
from scoresim.experiments import compare
from scoresim.report import plots
from scoresim.report.html import FIGURES, write_report
from scoresim.store import connect, load_results

runner = CliRunner()


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cmp")
    compare(
        ["social-credit", "ability-to-pay", "no-score"],
        # The mandate at month 12 (default 60), so that three years show the score's effects.
        {"society.agents": 1500, "steps": 36, "modules.enrolment.mandate_step": 12},
        replicates=2,
        out=root,
    )
    return root


@pytest.fixture(scope="module")
def page(results: Path) -> str:
    path = write_report(results)
    return path.read_text()


def figure_pixels(page: str, key: str) -> np.ndarray:
    m = re.search(
        rf"<figure data-figure='{key}'><img alt='[^']*' src='data:image/png;base64,"
        r"([A-Za-z0-9+/=]+)'",
        page,
    )
    assert m is not None, f"figure {key} missing"
    return mpimg.imread(io.BytesIO(base64.b64decode(m.group(1))), format="png")


@pytest.mark.parametrize("key", [k for k, _, _ in FIGURES])
def test_every_figure_is_present_and_not_blank(page: str, key: str) -> None:
    img = figure_pixels(page, key)
    rgb = img[..., :3]
    inked = np.mean(rgb.min(axis=2) < 0.9)  # share of pixels that are not (near) white
    assert img.shape[0] > 200 and img.shape[1] > 400
    assert inked > 0.01, f"{key} looks blank ({inked:.3%} inked)"
    colourful = np.mean(np.ptp(rgb, axis=2) > 0.2)  # data drawn in colour, not just axes
    assert colourful > 0.001, f"{key} has no coloured marks"


def test_tables_equal_the_results_database(results: Path, page: str) -> None:
    with connect(results, read_only=True) as con:
        rows = con.execute(
            "SELECT scenario, avg(expression_rate), avg(blacklist_size), avg(population) "
            "FROM final_measures GROUP BY scenario"
        ).fetchall()
    db = {r[0]: r[1:] for r in rows}
    table = re.search(r"<table id='final-values'>(.*?)</table>", page, re.S).group(1)
    header = re.findall(r"<th>([^<]+)</th>", table)[1:]
    assert header == ["social-credit", "ability-to-pay", "no-score"]

    def cells(measure: str) -> list[str]:
        row = re.search(rf"<tr data-measure='{measure}'>(.*?)</tr>", table, re.S).group(1)
        return re.findall(r"data-value='([^']*)'", row)

    for k, measure in enumerate(("expression_rate", "blacklist_size", "population")):
        for name, value in zip(header, cells(measure), strict=True):
            expected = db[name][k]
            if expected is None:
                assert value == ""
            else:
                assert float(value) == pytest.approx(expected, rel=1e-12), (measure, name)


def test_every_measure_is_in_the_report_headline_or_not(results: Path, page: str) -> None:
    data = load_results(results)
    table = re.search(r"<table id='all-values'>(.*?)</table>", page, re.S).group(1)
    shown = re.findall(r"<tr data-measure='([^']+)'>", table)
    reported = [m for m in data.measure_names() if any(s.has(m) for s in data.scenarios.values())]
    assert shown == reported
    assert "mean_income" in shown and "mean_income" not in data.headline()
    headline = re.search(r"<table id='final-values'>(.*?)</table>", page, re.S).group(1)
    assert "data-measure='mean_income'" not in headline


def test_effects_are_paired_differences_from_the_control(results: Path, page: str) -> None:
    data = load_results(results)
    assert data.baseline == "no-score"
    sc = data.scenarios["social-credit"].finals("expression_rate")
    ns = data.scenarios["no-score"].finals("expression_rate")
    expected = np.mean(np.array(sc) - np.array(ns))
    table = re.search(r"<table id='effects'>(.*?)</table>", page, re.S).group(1)
    row = re.search(r"<tr data-measure='expression_rate'>(.*?)</tr>", table, re.S).group(1)
    first = re.findall(r"data-value='([^']*)'", row)[0]
    assert float(first) == pytest.approx(expected, rel=1e-12)
    assert expected < 0  # the score chills expression


def test_report_is_self_contained_with_provenance(results: Path, page: str) -> None:
    assert not re.search(r"(src|href)=['\"]https?://", page)
    assert "as described in the articles" in page
    data = load_results(results)
    for runs in data.scenarios.values():
        for r in runs.runs:
            assert r.scenario_hash in page and r.code_version in page
            assert f"<td>{r.seed}</td>" in page


def test_plots_work_on_a_directory_path(results: Path) -> None:
    fig = plots.expression(str(results))
    assert fig.axes[0].get_title(loc="left").startswith("Chilling")
    assert len(fig.axes[0].lines) >= 3


def test_report_cli(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(results), "--out", str(out)])
    assert res.exit_code == 0 and out.is_file() and str(out) in res.stdout
    res = runner.invoke(app, ["report", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "no such results directory" in res.stderr


def test_report_of_a_single_run(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "social-credit", "-n", "800", "-t", "12", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    path = write_report(tmp_path)
    html = path.read_text()
    assert "<figure data-figure='expression'>" in html
    # The minute's summary gives the scenario's own levels, and says they are not effects.
    lead = html.split("<h2>In one minute</h2>")[1].split("<h2>")[0]
    assert "<b>social-credit</b> alone: dissenters spoke up in" in lead
    assert "not effects" in lead
    effects = html.split("<h2>Effects</h2>")[1].split("<h2>")[0]
    assert "nothing to measure an effect against" in effects and "<table" not in effects


def test_effects_say_when_their_interval_holds_zero(results: Path, page: str) -> None:
    data = load_results(results)
    effects = data.effects(data.headline())
    table = page[page.index("<table id='effects'>") :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr data-measure='([^']+)'>(.*?)</tr>", table)
    assert rows
    for measure, cells in rows:
        cell_texts = re.findall(r"<td data-value=[^>]*>(.*?)</td>", cells)
        for name, text in zip(list(effects), cell_texts, strict=True):
            iv = effects[name][measure]
            holds = not np.isnan(iv.ci_low) and iv.ci_low <= 0 <= iv.ci_high
            assert ("not distinguishable from 0" in text) == holds, (measure, name, text)
    lead = page[page.index("<ul class='lead'>") :]
    assert "those born under the policy have mean independence" in lead


def test_the_score_axis_shows_the_blacklist_and_every_perk_threshold(results: Path) -> None:
    data = load_results(results)
    fig = plots.score_distribution(data)
    assert len(fig.axes) == len(data.scored())
    for ax, name in zip(fig.axes, data.scored(), strict=True):
        kinds = data.marks("score", "perk", name) + data.marks("score", "sanction", name)
        marks = {m["value"] for m in kinds}
        if name == "social-credit":  # the blacklist's threshold and the last perk's
            assert {450, 750} <= marks
        low, high = ax.get_ylim()
        assert low < min(marks) and high > max(marks)
        flat = [line.get_ydata() for line in ax.lines if len(set(line.get_ydata())) == 1]
        assert marks <= {round(y[0]) for y in flat}


def test_selection_is_drawn_as_differences_against_zero(results: Path) -> None:
    data = load_results(results)
    fig = plots.independence_by_generation(data)
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    # Symmetric about zero and at least +-0.02 of the 0-1 scale: a thousandth looks small.
    assert low == -high and high >= 0.02
    assert any(list(line.get_ydata()) == [0, 0] for line in ax.lines)
    effects = data.effects(["run_born_independence"])
    drawn = [c.get_offsets() for c in ax.collections] + [
        np.column_stack(line.get_data()) for line in ax.lines if line.get_marker() == "o"
    ]
    means = {round(float(p[1]), 9) for arr in drawn for p in np.asarray(arr)}
    for name, iv in effects.items():
        assert round(iv["run_born_independence"].mean, 9) in means, name


def test_a_single_run_claims_no_band(tmp_path: Path) -> None:
    compare(["social-credit", "no-score"], {"society.agents": 500, "steps": 12}, out=tmp_path)
    page = write_report(tmp_path).read_text()
    assert "One run per scenario, so no confidence band" in page
    assert "Shaded: 95%" not in page


def test_a_sweep_report_lists_every_point_and_its_sensitivity(tmp_path: Path) -> None:
    design = tmp_path / "d.toml"
    design.write_text(
        'name = "two-knobs"\nscenario = "social-credit"\nmethod = "factorial"\nlevels = 2\n'
        'replicates = 2\noverrides = { "society.agents" = 400, steps = 12, '
        '"modules.enrolment.mandate_step" = 0 }\n'
        '[parameters."modules.expression.fear"]\nlow = 0.5\nhigh = 3\n'
        '[parameters."modules.tie_cutting.vetting"]\nlow = 0\nhigh = 40\n',
        encoding="utf-8",
    )
    out = tmp_path / "sweep"
    done = runner.invoke(app, ["sweep", str(design), "--out", str(out), "--executor", "inprocess"])
    assert done.exit_code == 0, done.output
    page = write_report(out).read_text()
    # All four design points, each with its parameters and 2 of 2 runs: none dropped.
    points = re.findall(r"<tr data-point='(\d+)'><td>\d+</td><td>(\d)/(\d)</td>", page)
    assert [p[0] for p in points] == ["0", "1", "2", "3"]
    assert all(p[1] == p[2] == "2" for p in points)
    assert (
        "<code>modules.expression.fear</code>" in page
        and "<code>modules.tie_cutting.vetting</code>" in page
    )
    assert "data-figure='sweep'" in page
    assert "Spearman rank correlations" in page and "data-output='expression_rate'" in page
    assert "social-credit-" not in page.split("<h1>")[1].split("</h1>")[0]  # titled by the sweep


@pytest.mark.parametrize("content", [b"{cut", b"\xff\xfe", b"[1, 2]", b"[" * 5000])
def test_a_damaged_experiment_json_is_one_line(
    results: Path, tmp_path: Path, content: bytes
) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(results, copy)
    (copy / "experiment.json").write_bytes(content)
    for args in (["report", str(copy)], ["sensitivity", str(copy)]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2 and "experiment.json" in res.output, (args, res.output)
        assert res.exception is None or isinstance(res.exception, SystemExit)
