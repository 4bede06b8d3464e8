"""Economy: monthly earnings, saving, asset returns and spells of unemployment."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from scoresim.engine.module import Measure, Module, Params, Phase, State
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
from scoresim.society.people import occupation_code


class EconomyParams(Params):
    """Parameters of the economy (rates are monthly unless said otherwise)."""

    saving_rate: float = Field(0.10, ge=0, le=1, description="share of income saved")
    income_growth: float = Field(0.03, ge=-0.5, le=0.5, description="yearly wage growth")
    return_sigma: float = Field(0.02, ge=0, le=0.5, description="sd of monthly asset return")
    job_loss_rate: float = Field(0.004, ge=0, le=1, description="chance a worker loses a job")
    job_find_rate: float = Field(0.15, ge=0, le=1, description="chance a job seeker finds one")
    benefit_ratio: float = Field(0.3, ge=0, le=1, description="income kept while unemployed")


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
