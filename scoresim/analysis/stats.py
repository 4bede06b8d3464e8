"""Means, confidence intervals and paired effects over replicates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Interval", "mean_ci", "paired_effect", "within"]


@dataclass(frozen=True)
class Interval:
    """A mean with its confidence interval (NaN bounds when it cannot be estimated)."""

    mean: float
    ci_low: float
    ci_high: float
    n: int

    def as_dict(self) -> dict[str, float | None]:
        """JSON-ready: NaN becomes None."""
        return {
            k: (None if math.isnan(v) else v)
            for k, v in (("mean", self.mean), ("ci_low", self.ci_low), ("ci_high", self.ci_high))
        }


def mean_ci(values: ArrayLike, level: float = 0.95) -> Interval:
    """Mean and Student-t confidence interval of the finite values.

    With one value the interval is that value's (no spread can be estimated, so both bounds
    are NaN); with none everything is NaN.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1)
    from scipy import stats  # imported here: scipy.stats costs 0.4 s at start-up

    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Interval(mean, mean - half, mean + half, n)


def paired_effect(baseline: ArrayLike, other: ArrayLike, level: float = 0.95) -> Interval:
    """Mean and interval of ``other - baseline``, paired replicate by replicate (same seeds)."""
    a = np.asarray(baseline, dtype=np.float64)
    b = np.asarray(other, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in size: {a.shape} vs {b.shape}")
    return mean_ci(b - a, level)


def within(iv: Interval, low: float, high: float) -> Interval:
    """The interval truncated to the range ``[low, high]`` the measure's mean cannot leave.

    A Student-t interval is symmetric, so on a share near 0 or a rare count it runs below
    zero. Truncating it to the measure's range keeps its coverage: whenever the interval
    holds the true mean, which lies in the range, the truncated one holds it too.
    """
    if math.isnan(iv.ci_low):
        return iv
    return Interval(iv.mean, max(iv.ci_low, low), min(iv.ci_high, high), iv.n)
