"""The robustness study: claims, their arithmetic, PRIM boxes, and a tiny study end to end."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from scoresim.calibration import robustness as rb
from scoresim.calibration.claims import (
    DEFAULT_CLAIMS,
    Claim,
    claim_holds,
    load_claims,
    point_value,
    replicate_value,
)
from scoresim.calibration.prim import prim_box
from scoresim.calibration.robustness import held_parameters, robustness, wilson
from scoresim.core.errors import InputError
from scoresim.experiments.executors import InProcessExecutor
from scoresim.experiments.space import plausible_space
from scoresim.scenario import load_scenario


def run(*values: float) -> SimpleNamespace:
    """A run-like object whose measure ``m`` takes these monthly values."""
    return SimpleNamespace(measures={"m": np.array(values, dtype=np.float64)})


def claim(**kw: Any) -> Claim:
    base: dict[str, Any] = {
        "name": "c",
        "statement": "s",
        "measure": "m",
        "scenario": "a",
        "control": "b",
        "kind": "change",
        "op": "<",
        "threshold": 0.0,
    }
    return Claim.model_validate({**base, **kw})


# --- claim arithmetic -----------------------------------------------------------------------


def test_change_is_relative_to_the_control_over_the_window() -> None:
    c = claim(window=2)
    # The last two months: 3 and 5 (mean 4) against 8 and 8.
    assert replicate_value(c, run(100, 3, 5), run(1, 8, 8)) == -0.5
    assert math.isnan(replicate_value(c, run(1, 2), run(0, 0)))  # relative to zero: undefined
    assert math.isnan(replicate_value(c, None, run(1, 2)))  # a failed run


def test_difference_against_a_control_or_zero() -> None:
    assert replicate_value(claim(kind="difference"), run(0.75), run(0.25)) == 0.5
    assert replicate_value(claim(kind="difference", control=""), run(0.75)) == 0.75


def test_removed_is_the_share_of_the_policys_effect_a_safeguard_removes() -> None:
    c = claim(kind="removed", policy="p", op=">=", threshold=0.5)
    # Policy moves the measure from 1 to 5; the safeguard only to 3: half removed.
    value = replicate_value(c, run(3), run(1), run(5))
    assert value == 0.5
    assert replicate_value(c, run(1), run(1), run(5)) == 1.0
    assert replicate_value(c, run(5), run(1), run(5)) == 0.0
    assert math.isnan(replicate_value(c, run(3), run(1), run(1)))  # the policy does nothing
    against_zero = claim(kind="removed", policy="p", control="")
    assert replicate_value(against_zero, run(0), None, run(20)) == 1.0


def test_the_threshold_itself_holds_with_or_equal_only() -> None:
    assert claim_holds(claim(op=">=", threshold=0.5), 0.5)
    assert not claim_holds(claim(op=">", threshold=0.5), 0.5)
    assert claim_holds(claim(op="<=", threshold=-0.5), -0.5)
    assert not claim_holds(claim(op="<", threshold=-0.5), -0.5)
    assert not claim_holds(claim(op="<", threshold=1.0), math.nan)


def test_a_point_averages_its_replicates_paired_and_skips_failed_ones() -> None:
    c = claim(kind="difference")
    runs = {"a": [run(3), run(5), None], "b": [run(1), run(1), run(1)]}
    assert point_value(c, runs) == 3.0  # (2 + 4) / 2; the failed third replicate is left out
    assert math.isnan(point_value(c, {"a": [None], "b": [run(1)]}))


# --- PRIM and the interval ------------------------------------------------------------------


def test_prim_finds_where_failures_lie_and_leaves_other_dimensions_open() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((400, 3))
    fails = x[:, 0] < 0.3
    box = prim_box(x, fails, ["x0", "x1", "x2"])
    assert box is not None
    assert set(box.restrictions) == {"x0"}
    low, high = box.restrictions["x0"]
    assert low is None and high is not None and abs(high - 0.3) < 0.05
    assert box.coverage > 0.8 and box.density > 0.9


def test_prim_reports_two_conditions_and_nothing_when_all_points_agree() -> None:
    rng = np.random.default_rng(4)
    x = rng.random((500, 4))
    fails = (x[:, 1] > 0.5) & (x[:, 3] < 0.6)
    box = prim_box(x, fails, ["a", "b", "c", "d"])
    assert box is not None and set(box.restrictions) == {"b", "d"}
    assert box.restrictions["b"][0] == pytest.approx(0.5, abs=0.05)
    assert box.restrictions["d"][1] == pytest.approx(0.6, abs=0.05)
    assert prim_box(x, np.zeros(500, dtype=bool), ["a", "b", "c", "d"]) is None
    assert prim_box(x, np.ones(500, dtype=bool), ["a", "b", "c", "d"]) is None


def test_prim_keeps_at_most_three_restrictions() -> None:
    rng = np.random.default_rng(5)
    x = rng.random((2000, 5))
    fails = np.all(x < 0.7, axis=1)
    box = prim_box(x, fails, list("abcde"))
    assert box is not None and 1 <= len(box.restrictions) <= 3


@pytest.mark.parametrize("k, n", [(0, 5), (5, 5), (0, 1), (1, 1), (3, 7)])
def test_wilson_interval_stays_within_zero_and_one(k: int, n: int) -> None:
    low, high = wilson(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0
    if k == 0:
        assert low == 0.0
    if k == n:
        assert high == 1.0
    assert all(math.isnan(v) for v in wilson(0, 0))


# --- the claims file ------------------------------------------------------------------------


def test_the_shipped_claims_load_and_their_scenarios_report_their_measures() -> None:
    library = load_claims()
    assert 5 <= len(library.claim) <= 7
    # The runs last past the mandate, where the score's effects grow (docs/model.md).
    mandate = load_scenario("social-credit").modules["enrolment"]["mandate_step"]
    assert 12 * library.study.years > mandate
    kinds = {c.kind for c in library.claim}
    assert kinds == {"change", "difference", "removed"}


def test_policies_keep_what_defines_them() -> None:
    space = plausible_space(list(load_scenario("social-credit").modules))
    no_network = held_parameters(load_scenario("social-credit-no-network"), space)
    assert {
        "modules.scoring.spillover_penalty",
        "modules.scoring.spillover_friend_penalty",
        "modules.scoring.w_relationships",
    } <= set(no_network)
    # The score as described has no expiry (term 0, outside the range): not switched on.
    assert held_parameters(load_scenario("social-credit"), space) == ["modules.blacklist.term"]
    assert "modules.scoring.w_behaviour" in held_parameters(load_scenario("ability-to-pay"), space)
    assert "modules.blacklist.term" in held_parameters(
        load_scenario("social-credit-expungement"), space
    )


CLAIM = """
[[claim]]
name = "silences"
statement = "s"
measure = "expression_rate"
scenario = "social-credit"
kind = "change"
op = "<"
threshold = -0.1
"""


@pytest.mark.parametrize(
    "change, named",
    [
        ('kind = "change"', None),
        ('kind = "ratio"', "claim.0.kind"),
        ('op = "<"', None),
        ('op = "=="', "claim.0.op"),
        ('measure = "expression_rate"', None),
        ('measure = "happiness"', "claim.0.measure"),
        ('scenario = "social-credit"', None),
        ('scenario = "utopia"', "claim.0.scenario"),
        ('kind = "change"\npolicy = "social-credit"', "policy"),
        ('measure = "spillover_loss"', "claim.0.measure"),
        ('name = "Silences!"', "claim.0.name"),
        ("window = 0", "claim.0.window"),
        ('name = "silences"\n' + CLAIM.strip(), "repeated: silences"),
    ],
)
def test_a_bad_claim_is_one_line_naming_its_key(
    tmp_path: Path, change: str, named: str | None
) -> None:
    key = change.split(" =")[0]
    lines = [ln for ln in CLAIM.strip().splitlines() if not ln.startswith(f"{key} =")]
    path = tmp_path / "claims.toml"
    path.write_text("\n".join([*lines, change]) + "\n", encoding="utf-8")
    if named is None:
        assert load_claims(path).claim[0].name == "silences"
        return
    with pytest.raises(InputError) as err:
        load_claims(path)
    assert named in str(err.value)
    assert str(path) in str(err.value)


def test_removed_without_policy_names_the_policy(tmp_path: Path) -> None:
    path = tmp_path / "claims.toml"
    text = CLAIM.replace('kind = "change"', 'kind = "removed"').replace("-0.1", "0.5")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"claim\.0\.policy = \"\": kind .removed. needs policy"):
        load_claims(path)


def test_a_measure_the_control_lacks_suggests_comparing_with_zero(tmp_path: Path) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(CLAIM.replace("expression_rate", "spillover_loss"), encoding="utf-8")
    with pytest.raises(InputError, match=r'no-score \(control\) does not report it.*control = ""'):
        load_claims(path)


def test_bad_study_options_and_windows_are_refused_before_any_run(tmp_path: Path) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(CLAIM, encoding="utf-8")
    with pytest.raises(InputError, match="points = 1"):
        robustness(path, tmp_path / "out", points=1)
    long = tmp_path / "long.toml"
    long.write_text(CLAIM + "window = 24\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"claim\.0\.window = 24: longer than the study's 12"):
        robustness(long, tmp_path / "out", years=1, points=2)
    bad = tmp_path / "bad.toml"
    bad.write_text('[study]\nparameters = ["modules.expression.nerve"]\n' + CLAIM, "utf-8")
    with pytest.raises(InputError, match=r"study.parameters.0: .*nerve"):
        robustness(bad, tmp_path / "out")
    assert not (tmp_path / "out" / "runs").exists()


def test_the_shipped_file_is_the_default() -> None:
    assert DEFAULT_CLAIMS.name == "claims.toml" and DEFAULT_CLAIMS.is_file()


# --- a tiny study end to end ----------------------------------------------------------------

TINY = """
[study]
points = 6
agents = 1500
years = 5
seed = 3

[[claim]]
name = "silences"
statement = "The score lowers dissenters' expression by more than 10%."
measure = "expression_rate"
scenario = "social-credit"
kind = "change"
op = "<"
threshold = -0.1

[[claim]]
name = "spillover_removed"
statement = "No network factor removes at least 90% of spillover."
measure = "spillover_loss"
scenario = "social-credit-no-network"
policy = "social-credit"
control = ""
kind = "removed"
op = ">="
threshold = 0.9

[[claim]]
name = "perk_gap"
statement = "The perk gap exceeds ability-to-pay's."
measure = "perk_gap_700"
scenario = "social-credit"
control = "ability-to-pay"
kind = "difference"
op = ">"
threshold = 0.0
"""


@pytest.mark.slow
def test_a_tiny_study_writes_its_verdicts_and_resumes_without_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(TINY, encoding="utf-8")
    out = tmp_path / "study"
    original = rb.point_specs
    fear = "modules.expression.fear"

    def picky(*args: Any, **kwargs: Any) -> Any:
        point = args[2]
        if point.get(fear, 0.0) > 3.4:  # the top sixth of fear's range: one point of six
            raise InputError(f"point {point}: fear too high for this test")
        return original(*args, **kwargs)

    monkeypatch.setattr(rb, "point_specs", picky)
    first = robustness(path, out, InProcessExecutor())
    assert first["points"] == {"drawn": 6, "dropped": 1, "used": 5}
    assert first["dropped"][0]["reason"].endswith("fear too high for this test")
    assert any("1 of 6 points dropped" in w for w in first["warnings"])
    assert first["batch"]["failed"] == 0 and first["batch"]["ran"] > 0
    assert list(first["claims"]) == ["silences", "spillover_removed", "perk_gap"]
    for c in first["claims"].values():
        assert c["n"] == 5, c["name"]
        assert 0 <= c["holds"] <= c["n"]
        assert 0.0 <= c["share_low"] <= c["share"] <= c["share_high"] <= 1.0
        assert c["sentence"]
    by_name = first["claims"]
    # The safeguard sets spillover to zero: removed exactly, everywhere.
    assert by_name["spillover_removed"]["holds"] == 5
    assert by_name["spillover_removed"]["box"] is None
    assert "holds in all 5 points" in by_name["spillover_removed"]["sentence"]
    silences = by_name["silences"]
    assert len(silences["indices"]) == len(first["study"]["parameters"]) == len(first["ranges"])
    s1 = [e["S1"] for e in silences["indices"] if e["S1"] is not None]
    assert s1 == sorted(s1, reverse=True)
    # The no-network safeguard's spillover stays off at every point.
    held = first["held"]["social-credit-no-network"]
    assert "modules.scoring.spillover_penalty" in held
    stored = json.loads((out / "robustness.json").read_text(encoding="utf-8"))
    assert "batch" not in stored
    assert stored == {k: v for k, v in first.items() if k != "batch"}
    table = pq.read_table(out / "robustness.parquet").to_pydict()
    assert len(table["point"]) == 5
    assert "silences.value" in table and "perk_gap.holds" in table
    assert sum(bool(v) for v in table["silences.holds"]) == silences["holds"]

    text = (out / "robustness.json").read_text(encoding="utf-8")
    again = robustness(path, out, InProcessExecutor(), resume=True)
    assert again["batch"] == {"ran": 0, "skipped": first["batch"]["ran"], "failed": 0}
    assert (out / "robustness.json").read_text(encoding="utf-8") == text
    with pytest.raises(InputError, match="already holds an experiment"):
        robustness(path, out, InProcessExecutor())
    with pytest.raises(InputError, match="different experiment"):
        robustness(path, out, InProcessExecutor(), points=7, resume=True)

    # The report's "How sure are we?" gives each claim's sentence and the figure of shares.
    from scoresim.report.validation import how_sure
    from scoresim.store import load_results

    section = how_sure(load_results(out), None, out)
    for name, claim in first["claims"].items():
        assert f"data-claim='{name}'" in section and html.escape(claim["sentence"]) in section
    assert "data-figure='robustness'" in section and "no calibration" in section
    # Reported on its own, the study's directory gives the same claims.
    from scoresim.report.html import write_report

    alone = write_report(out).read_text(encoding="utf-8")
    assert all(f"data-claim='{name}'" in alone for name in first["claims"])
