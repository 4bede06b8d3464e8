"""Examples are tests: each script in examples/ runs and says something checkable."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_custom_module_example_runs_as_a_script() -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "custom_module.py")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "heard the rumour" in proc.stdout


def test_custom_module_spreads_and_is_reproducible() -> None:
    mod = runpy.run_path(str(EXAMPLES / "custom_module.py"))
    first = mod["main"]()
    again = mod["main"]()
    assert first == again
    assert 10 / 5000 < first <= 1.0  # it spread beyond the seeds


def test_coevolving_voter_reproduces_holme_newman_and_stops_when_absorbed() -> None:
    mod = runpy.run_path(str(EXAMPLES / "coevolving_voter.py"))
    low, high = mod["run"](0.05), mod["run"](0.95)
    for result in (low, high):
        assert result.stopped_early and result.steps.size < 2000
        assert result.final()["discordant_ties"] == 0
        # Ties are only moved, never lost, and the engine counted the committed moves (a
        # move undone within the same step is no change).
        m = result.measures
        assert np.all(m["ties"] == m["ties"][0])
        np.testing.assert_array_equal(m["ties_cut_total"], m["ties_added_total"])
        assert np.all(m["ties_cut_total"] <= m["rewirings"])
        assert m["ties_cut_total"].sum() > 0
    # Holme and Newman's two regimes: consensus spreads when rewiring is rare, the network
    # splits into small like-minded groups when it is frequent.
    assert low.final()["largest_opinion_share"] > 0.5
    assert high.final()["largest_opinion_share"] < 0.15
    assert high.steps.size < low.steps.size
    again = mod["run"](0.95)
    np.testing.assert_array_equal(again.measures["opinion_groups"], high.measures["opinion_groups"])


def test_bounded_confidence_example_is_the_textbook_model() -> None:
    """Deffuant et al. 2000: about 1 / (2 confidence) clusters; consensus for a wide bound."""
    mod = runpy.run_path(str(EXAMPLES / "bounded_confidence.py"))
    counts = mod["main"]()
    assert counts[0.5] == 1
    assert 4 <= counts[0.1] <= 6
    assert counts[0.1] > counts[0.2] > counts[0.5] or counts[0.2] == 2
    wide = mod["run"](0.5)
    assert wide.std() < 0.01  # everyone agrees
    assert abs(wide.mean() - 0.5) < 0.05  # on about the mean of the uniform start
