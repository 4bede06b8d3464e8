"""Economy: monthly earnings, saving, asset returns and spells of unemployment."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, State, param
from scoresim.core.registry import register
from scoresim.core.rng import normal_at, uniform_at
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


@njit(cache=True, parallel=True)
def _earn(
    alive: Any,
    occupation: Any,
    wage: Any,
    employed: Any,
    income: Any,
    assets: Any,
    student: int,
    retired: int,
    pars: Any,
    base_job: Any,
    base_return: Any,
) -> Any:
    """One month for everyone in one parallel pass; returns the sums the measures need."""
    growth, lose, find, benefit, sigma, save = pars[0], pars[1], pars[2], pars[3], pars[4], pars[5]
    living = 0
    unemployed = 0
    income_sum = 0.0
    assets_sum = 0.0
    for i in prange(wage.size):
        wage[i] *= growth
        u = uniform_at(base_job, i)
        working_age = occupation[i] != student and occupation[i] != retired
        if employed[i] == 1 and working_age and u < lose:
            employed[i] = 0
        elif employed[i] == 0 and u < find:
            employed[i] = 1
        income[i] = wage[i] * (1.0 if employed[i] == 1 else benefit)
        if alive[i]:
            shock = sigma * normal_at(base_return, i)
            # mean-preserving lognormal return, then this month's saving
            assets[i] = assets[i] * np.exp(shock - sigma * sigma / 2) + income[i] * save
            living += 1
            unemployed += employed[i] == 0
            income_sum += income[i]
            assets_sum += assets[i]
    return living, unemployed, income_sum, assets_sum


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
    streams = ("job", "asset_return")
    measures = (
        Measure(
            "mean_income",
            "mean yearly income of the living, USD",
            label="mean yearly income",
            kind="currency",
        ),
        Measure(
            "mean_assets", "mean assets of the living, USD", label="mean assets", kind="currency"
        ),
        Measure(
            "unemployment_rate",
            "share of the living out of work",
            label="unemployment rate",
            kind="share",
            better="lower",
        ),
    )

    _student = occupation_code("student")
    _retired = occupation_code("retired")

    def init(self, ctx: Context) -> None:
        """Start everyone employed at their drawn income."""
        ctx.people["wage"][...] = ctx.people["income"]

    def step(self, ctx: Context) -> None:
        """One month of earning, saving and job changes."""
        p, people, t = self.pars, ctx.people, ctx.t
        alive = people["alive"]
        income, assets = people["income"], people["assets"]
        pars = np.array(
            [
                (1.0 + p.income_growth) ** (1 / 12),
                p.job_loss_rate,
                p.job_find_rate,
                p.benefit_ratio,
                p.return_sigma,
                p.saving_rate / 12,
            ]
        )
        living, unemployed, income_sum, assets_sum = _earn(
            alive,
            people["occupation"],
            people["wage"],
            people["employed"],
            income,
            assets,
            self._student,
            self._retired,
            pars,
            ctx.stream("job").base(t),
            ctx.stream("asset_return").base(t),
        )
        living = max(1, living)
        ctx.record("mean_income", income_sum / living)
        ctx.record("mean_assets", assets_sum / living)
        ctx.record("unemployment_rate", unemployed / living)
