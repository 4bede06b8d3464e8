"""The control society stands still: population, ages and network stay put without a policy."""

from __future__ import annotations

import numpy as np

from scoresim import Simulation, load_scenario
from scoresim.society.lifetable import LifeTable


def test_the_unscored_society_keeps_its_size_and_ties_for_forty_years() -> None:
    """no-score, 50,000 citizens, 40 years after a 3-year burn-in.

    Measured (seeds 0-2): population -0.35%, -0.78%, +0.29%; mean degree of adults -0.2%,
    +1.0%, -0.8% over the 40 years (opinions and homophily included); both within 2% at every
    year's end. Demographic noise
    alone gives a standard deviation of about 0.6% at this size.
    """
    sc = load_scenario(
        "no-score",
        {"society.agents": 50_000, "steps": 480, "seed": 0, "record.snapshot_every": 0},
    )
    result = Simulation(sc).run()
    m = result.measures
    year_end = np.arange(11, 480, 12)
    for name in ("population", "mean_degree"):
        start, series = m[name][0], m[name][year_end]
        drift = np.abs(series / start - 1.0)
        assert drift.max() < 0.02, (name, start, series)
    # Ages stay those of the life table's pyramid (its mean: 38.6 years).
    survival = LifeTable(sc.society.life_table).survival
    stationary = float((np.arange(survival.size) * survival).sum() / survival.sum())
    assert np.abs(m["mean_age"][year_end] / stationary - 1.0).max() < 0.02
    # The configured mean degree (20) is where formation and dissolution settle.
    assert abs(m["mean_degree"][0] / 20.0 - 1.0) < 0.03
    # Births balance deaths: each is about 1.3% a year.
    births, deaths = np.nansum(m["births"]), np.nansum(m["deaths"])
    assert abs(births - deaths) < 0.02 * m["population"][0]
