"""Means, Student-t intervals and paired effects (analysis.stats)."""

from __future__ import annotations

import numpy as np
import pytest

from scoresim.analysis.stats import mean_ci


def test_mean_ci_matches_the_t_interval() -> None:
    iv = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert iv.mean == 2.5
    half = 3.182446305284263 * np.std([1, 2, 3, 4], ddof=1) / 2  # t(0.975, 3)
    assert iv.ci_low == pytest.approx(2.5 - half) and iv.ci_high == pytest.approx(2.5 + half)
    assert np.isnan(mean_ci([5.0]).ci_low)
