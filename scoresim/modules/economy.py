"""Economy: monthly earnings, saving, asset returns and spells of unemployment."""

from __future__ import annotations

import numpy as np

from scoresim.engine.module import Measure, Module, Params, Phase, State, param
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
from scoresim.society.people import occupation_code


class EconomyParams(Params):
    """Parameters of the economy (rates are monthly unless said otherwise)."""

    saving_rate: float = param(
        0.10,
        "share of income saved",
        ge=0,
        le=1,
        plausible=(0.0, 0.4),
        why="household saving is high in China",
    )
    income_growth: float = param(
        0.03,
        "yearly wage growth",
        ge=-0.5,
        le=0.5,
        plausible=(0.0, 0.08),
        why="assumption: modest real growth",
    )
    return_sigma: float = param(
        0.02,
        "sd of monthly asset return",
        ge=0,
        le=0.5,
        plausible=(0.0, 0.05),
        why="assumption: mixed savings",
    )
    job_loss_rate: float = param(
        0.004,
        "monthly chance a worker loses a job",
        ge=0,
        le=1,
        plausible=(0.001, 0.01),
        why="about 5% a year",
    )
    job_find_rate: float = param(
        0.15,
        "monthly chance a job seeker finds one",
        ge=0,
        le=1,
        plausible=(0.05, 0.3),
        why="spells of about half a year",
    )
    benefit_ratio: float = param(
        0.3,
        "income kept while unemployed",
        ge=0,
        le=1,
        plausible=(0.1, 0.6),
        why="assumption: thin benefits",
    )


@register
class Economy(Module):
    """Citizens earn, save and lose or find work; assets follow noisy returns."""

    name = "economy"
    phase = Phase.ECONOMY
    Params = EconomyParams
    pars: EconomyParams
    states = (
        State("wage", np.float32, 0.0, "yearly income when employed, USD"),
        State("employed", np.uint8, 1, "1 unless out of work (students, retirees: always 1)"),
    )
    measures = (
        Measure("mean_income", "mean yearly income of the living, USD"),
        Measure("mean_assets", "mean assets of the living, USD"),
        Measure("unemployment_rate", "share of the living out of work"),
    )

    _student = occupation_code("student")
    _retired = occupation_code("retired")

    def init(self, sim: Simulation) -> None:
        """Start everyone employed at their drawn income."""
        sim.people["wage"] = sim.people["income"]

    def step(self, sim: Simulation) -> None:
        """One month of earning, saving and job changes."""
        p = self.pars
        n, t = sim.n, sim.t
        alive = sim.people["alive"].astype(bool)
        wage = sim.people["wage"]
        employed = sim.people["employed"]
        income = sim.people["income"]
        assets = sim.people["assets"]
        wage *= np.float32((1.0 + p.income_growth) ** (1 / 12))
        u_job = sim.stream(self, "job").uniform(t, n)
        occ = sim.people["occupation"]
        in_labour_force = (occ != self._student) & (occ != self._retired)
        lose = in_labour_force & (employed == 1) & (u_job < p.job_loss_rate)
        find = (employed == 0) & (u_job < p.job_find_rate)
        employed[lose] = 0
        employed[find] = 1
        income[...] = wage * np.where(employed == 1, 1.0, p.benefit_ratio)
        shock = sim.stream(self, "asset_return").normal(t, n) * p.return_sigma
        growth = np.exp(shock - p.return_sigma**2 / 2)  # mean-preserving
        new_assets = assets * growth + income * (p.saving_rate / 12.0)
        assets[alive] = new_assets[alive]
        living = max(1, int(alive.sum()))
        sim.record("mean_income", float(income[alive].sum() / living))
        sim.record("mean_assets", float(assets[alive].sum() / living))
        sim.record("unemployment_rate", float(np.count_nonzero(employed[alive] == 0) / living))
