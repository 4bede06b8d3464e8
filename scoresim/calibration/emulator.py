"""Gaussian-process emulators of the model's outputs, and the implausibility of a point.

History matching (Craig et al. 1997; Vernon et al. 2010; Andrianakis et al. 2015 for
stochastic agent-based models) rules out the parameter values at which the model cannot
give the observed figures. A run costs seconds here, so each output is emulated by a
Gaussian process fitted to a few dozen runs (scikit-learn), and the emulator, not the model,
is evaluated at tens of thousands of candidate points. A point is implausible for a target
when the emulator's mean is more than ``cutoff`` standard deviations from the figure, counting
the figure's uncertainty, the emulator's own uncertainty and the run-to-run variance of the
model (one realisation of a stochastic society is all the world gives us).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Emulator", "fit_emulator", "implausibility"]


@dataclass
class Emulator:
    """One output's emulator over the unit cube of the calibrated parameters.

    Attributes:
        gp: The fitted scikit-learn regressor (on standardised outputs).
        mean: Training outputs' mean (to undo the standardisation).
        scale: Training outputs' standard deviation.
        run_variance: Variance of one run's output around the model's expectation.
        n: Training points.
    """

    gp: object
    mean: float
    scale: float
    run_variance: float
    n: int

    def predict(self, u: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The emulated expectation at points ``u`` (rows in [0, 1]^d) and its variance.

        The variance is the emulator's uncertainty about the expectation, without the run
        noise (which the fitted white-noise term carries).
        """
        mu, sd = self.gp.predict(u, return_std=True)  # type: ignore[attr-defined]
        noise = float(self.gp.kernel_.k2.noise_level)  # type: ignore[attr-defined]
        var = np.maximum(np.asarray(sd, dtype=np.float64) ** 2 - noise, 0.0)
        return self.mean + self.scale * np.asarray(mu, dtype=np.float64), var * self.scale**2


def fit_emulator(
    u: NDArray[np.float64],
    y: NDArray[np.float64],
    run_variance: float,
    seed: int,
) -> Emulator:
    """Fit a Gaussian process (constant x anisotropic RBF + white noise) to ``y`` at ``u``.

    Args:
        u: Training points, one row per point, in the unit cube.
        y: The output at each point (mean over its replicates).
        run_variance: Variance of one run's output (from the replicates).
        seed: Seeds the optimiser's restarts, so a resumed calibration refits identically.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    mean = float(np.mean(y))
    scale = float(np.std(y)) or 1.0
    d = u.shape[1]
    kernel = ConstantKernel(1.0, (1e-3, 1e2)) * RBF(
        length_scale=np.full(d, 0.5), length_scale_bounds=(0.05, 20.0)
    ) + WhiteKernel(0.01, (1e-8, 1.0))
    gp = GaussianProcessRegressor(kernel=kernel, n_restarts_optimizer=3, random_state=seed % 2**32)
    with warnings.catch_warnings():
        # A bound reached (e.g. an output that does not depend on a parameter, whose length
        # scale runs to its maximum) is an answer, not a failure.
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(u, (y - mean) / scale)
    return Emulator(gp, mean, scale, run_variance, int(u.shape[0]))


def implausibility(
    emulators: list[Emulator],
    values: NDArray[np.float64],
    sds: NDArray[np.float64],
    u: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Each target's implausibility at points ``u``, and the emulators' means and variances.

    Returns:
        ``(I, mu, var)``: arrays of shape (points, targets); ``var`` is the whole variance
        of the difference (figure, emulator and run).
    """
    mus, variances = [], []
    for em, sd in zip(emulators, sds, strict=True):
        mu, v = em.predict(u)
        mus.append(mu)
        variances.append(v + sd**2 + em.run_variance)
    mu_all = np.column_stack(mus)
    var_all = np.column_stack(variances)
    return np.abs(mu_all - values) / np.sqrt(var_all), mu_all, var_all
