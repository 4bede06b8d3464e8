"""Which assumptions decide a claim: first-order and delta indices on any sample.

The robustness study samples by Latin hypercube, so Saltelli's Sobol estimator does not
apply; SALib's delta method (Borgonovo 2007; Plischke et al. 2013) estimates first-order
indices and the moment-independent delta from any sample, with bootstrap intervals. Forty
columns of noise give the estimator's own noise level, below which no parameter is named.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "WIDE",
    "index_warnings",
    "sensitivity_indices",
]

#: A 95% half-width over this cannot rank the assumptions (as in ``scoresim sensitivity``).
WIDE = 0.25
#: Bootstrap resamples of the first-order indices (cheap) and of the delta indices (not).
S1_RESAMPLES = 200
DELTA_RESAMPLES = 50
#: Delta indices are computed for this many parameters, the first by S1.
DELTA_TOP = 5
#: Fewer points than this cannot fill the delta estimator's classes (10 points each).
DELTA_MIN_POINTS = 20
#: Columns of noise whose S1 gives the estimator's noise level (their 95th percentile).
DUMMIES = 40


@contextmanager
def _salib(seed: int) -> Iterator[None]:
    """Run SALib seeded, silent, and without its changes to global state outliving the call.

    SALib's delta analysis seeds NumPy's global generator, switches warnings to "once" and
    replaces their format; all three are restored.
    """
    state = np.random.get_state()
    fmt = warnings.formatwarning
    np.random.seed(seed % 2**32)
    try:
        with warnings.catch_warnings(record=True):
            yield
    finally:
        warnings.formatwarning = fmt
        np.random.set_state(state)


def _clean(v: Any) -> float | None:
    f = float(v)
    return f if math.isfinite(f) else None


def _first_order(
    estimator: Callable[..., float], y: NDArray[np.float64], col: NDArray[np.float64]
) -> float:
    """SALib's given-data first-order index of one input, on the whole sample.

    The sample is split into classes of equal size by the input's rank (as many as SALib's
    delta analysis uses for this sample size), and S1 is the variance of the classes' means
    over the output's variance.
    """
    n = y.size
    exponent = 2.0 / (7.0 + math.tanh((1500.0 - n) / 500.0))
    classes = min(math.ceil(math.pow(n, exponent)), 48)
    try:
        return float(estimator(y, col, np.linspace(0, n, classes + 1)))
    except (ValueError, FloatingPointError, ZeroDivisionError):
        return math.nan


def sensitivity_indices(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    names: Sequence[str],
    bounds: Sequence[tuple[float, float]],
    seed: int,
) -> tuple[list[dict[str, Any]], float | None]:
    """First-order indices of every parameter, delta indices of the first few, by S1.

    Given-data estimators on the sample itself (SALib's delta analysis): S1, the share of the
    output's variance explained by the parameter alone, for every parameter, and Borgonovo's
    moment-independent delta for the :data:`DELTA_TOP` first by S1 (it costs much more), each
    with its bootstrap 95% half-width. Entries are sorted by S1, largest first.

    With few points a parameter that does not matter still gets an S1 well above 0, so
    :data:`DUMMIES` columns of noise go through the same estimator: the 95th percentile of
    their S1 is returned as the noise level (an S1 not clearly above it says nothing).
    """
    from SALib.analyze import delta  # imported here: SALib pulls in pandas

    noise = np.random.default_rng(seed).random((x.shape[0], DUMMIES))
    dummies = [f"noise{i}" for i in range(DUMMIES)]
    # SALib refuses names ending in _step (enrolment's mandate_step): it sees plain ids.
    ids = [f"p{i}" for i in range(len(names))]
    problem = {
        "num_vars": len(names) + DUMMIES,
        "names": [*ids, *dummies],
        "bounds": [*(list(b) for b in bounds), *([0.0, 1.0] for _ in dummies)],
    }
    out: dict[str, dict[str, Any]] = {
        n: {"parameter": n, "S1": None, "S1_conf": None, "delta": None, "delta_conf": None}
        for n in names
    }
    with _salib(seed):
        try:
            res = delta.analyze(
                problem, np.hstack([x, noise]), y, num_resamples=S1_RESAMPLES, method="sobol"
            )
        except (ValueError, RuntimeError, np.linalg.LinAlgError):
            res = None
    floor = None
    if res is not None:
        # SALib's own S1 is computed on one bootstrap resample, so it moves with the seed;
        # the same estimator on the whole sample does not. Its half-width stays SALib's.
        full = np.hstack([x, noise])
        s1_all = [_first_order(delta.sobol_first, y, full[:, c]) for c in range(full.shape[1])]
        for k, n in enumerate(names):
            out[n]["S1"] = _clean(s1_all[k])
            out[n]["S1_conf"] = _clean(res["S1_conf"][k])
        floor = _clean(np.nanpercentile(s1_all[len(names) :], 95))
    s1 = {n: -1.0 if out[n]["S1"] is None else float(out[n]["S1"]) for n in names}
    ranked = sorted(names, key=lambda n: -s1[n])
    if len(y) >= DELTA_MIN_POINTS:
        for k, name in enumerate(ranked[:DELTA_TOP]):
            c = list(names).index(name)
            one = {"num_vars": 1, "names": [ids[c]], "bounds": [list(bounds[c])]}
            with _salib(seed + 1 + k):
                try:
                    res = delta.analyze(
                        one,
                        x[:, [c]],
                        y,
                        num_resamples=DELTA_RESAMPLES,
                        method="delta",
                        bins_specs={ids[c]: max(2, len(y) // 10)},
                    )
                except (ValueError, RuntimeError, np.linalg.LinAlgError):
                    continue
            out[name]["delta"] = _clean(res["delta_raw"][0])
            out[name]["delta_conf"] = _clean(res["delta_raw_conf"][0])
    return [out[n] for n in ranked], floor


def index_warnings(claim: str, indices: list[dict[str, Any]], n: int) -> list[str]:
    """Say where the sample is too small for the indices printed (one line per claim)."""
    wide = [e for e in indices if e["S1_conf"] is not None and e["S1_conf"] > WIDE]
    bad = [
        e
        for e in indices
        if e["S1"] is not None
        and e["S1_conf"] is not None
        and (e["S1"] - e["S1_conf"] > 1 or e["S1"] + e["S1_conf"] < 0)
    ]
    out = []
    if bad:
        e = bad[0]
        out.append(
            f"{claim}: S1 of {e['parameter']} is {e['S1']:.3f} +- {e['S1_conf']:.3f}, outside "
            "[0, 1], which a share of variance cannot be: too few points (raise the points)"
        )
    if wide:
        e = max(wide, key=lambda v: v["S1_conf"])
        out.append(
            f"{claim}: S1 of {len(wide)} of {len(indices)} parameters has a 95% half-width over "
            f"{WIDE} (widest: {e['parameter']}, {e['S1']:.3f} +- {e['S1_conf']:.3f}): too few "
            f"points ({n}) to rank the assumptions (raise the points)"
        )
    if indices and n < DELTA_MIN_POINTS:
        out.append(
            f"{claim}: {n} points are too few for delta indices (they need "
            f"{DELTA_MIN_POINTS}); S1 only"
        )
    return out
