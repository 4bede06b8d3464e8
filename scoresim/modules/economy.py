"""Economy: monthly earnings, saving, asset returns and spells of unemployment."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import prange
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.core.rng import normal_at, uniform_at
from scoresim.society.people import occupation_code


class EconomyConstants(NamedTuple):
    """What :func:`_earn` takes of the parameters (:meth:`EconomyParams.constants`).

    Attributes:
        growth: Monthly wage growth factor.
        job_loss_rate: Monthly chance a worker loses a job.
        job_find_rate: Monthly chance a job seeker finds one.
        benefit_ratio: Income kept while unemployed.
        return_sigma: Standard deviation of the monthly asset return.
        saving: Share of income saved each month (a twelfth of the yearly share).
        student: Occupation code of students (never lose a job).
        retired: Occupation code of the retired (never lose a job).
    """

    growth: float
    job_loss_rate: float
    job_find_rate: float
    benefit_ratio: float
    return_sigma: float
    saving: float
    student: int
    retired: int


class Earnings(NamedTuple):
    """What a month of earning changes, in place (``alive`` and ``occupation`` only read)."""

    alive: NDArray[np.uint8]
    occupation: NDArray[Any]
    wage: NDArray[np.float32]
    employed: NDArray[np.uint8]
    income: NDArray[np.float32]
    assets: NDArray[np.float32]


class EconomyDraws(NamedTuple):
    """Starts of this month's blocks of draws (``Stream.base``), one per decision."""

    job: np.uint64
    asset_return: np.uint64


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

    def constants(self) -> EconomyConstants:
        """The parameters as :func:`_earn` takes them (monthly)."""
        return EconomyConstants(
            growth=float((1.0 + self.income_growth) ** (1 / 12)),
            job_loss_rate=float(self.job_loss_rate),
            job_find_rate=float(self.job_find_rate),
            benefit_ratio=float(self.benefit_ratio),
            return_sigma=float(self.return_sigma),
            saving=float(self.saving_rate / 12),
            student=occupation_code("student"),
            retired=occupation_code("retired"),
        )


_CHUNK = 1 << 16


@twin
def _earn(e: Earnings, c: EconomyConstants, draws: EconomyDraws) -> tuple[int, int, float, float]:
    """One month for everyone; sums per fixed chunk of citizens, then over chunks in order.

    Summed per fixed chunk, not by prange's own reduction, so that the measures do not depend
    on the number of threads (they did: at 200,000 citizens, one thread and two gave mean
    assets differing in the last digit), and the serial twin gives the parallel one's sums.
    """
    alive = e.alive
    occupation = e.occupation
    wage = e.wage
    employed = e.employed
    income = e.income
    assets = e.assets
    growth = c.growth
    lose = c.job_loss_rate
    find = c.job_find_rate
    benefit = c.benefit_ratio
    sigma = c.return_sigma
    save = c.saving
    student = c.student
    retired = c.retired
    base_job = draws.job
    base_return = draws.asset_return
    n = wage.size
    chunks = (n + _CHUNK - 1) // _CHUNK
    counts = np.zeros((chunks, 2), dtype=np.int64)
    sums = np.zeros((chunks, 2))
    for k in prange(chunks):
        living = 0
        unemployed = 0
        income_sum = 0.0
        assets_sum = 0.0
        for i in range(k * _CHUNK, min(n, (k + 1) * _CHUNK)):
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
                assets[i] = assets[i] * np.exp(shock - sigma * sigma / 2) + income[i] * save
                living += 1
                unemployed += employed[i] == 0
                income_sum += income[i]
                assets_sum += assets[i]
        counts[k, 0] = living
        counts[k, 1] = unemployed
        sums[k, 0] = income_sum
        sums[k, 1] = assets_sum
    living = 0
    unemployed = 0
    income_sum = 0.0
    assets_sum = 0.0
    for k in range(chunks):
        living += counts[k, 0]
        unemployed += counts[k, 1]
        income_sum += sums[k, 0]
        assets_sum += sums[k, 1]
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

    def init(self, ctx: Context) -> None:
        """Start everyone employed at their drawn income."""
        ctx.people["wage"][...] = ctx.people["income"]

    def step(self, ctx: Context) -> None:
        """One month of earning, saving and job changes."""
        p, people, t = self.pars, ctx.people, ctx.t
        e = Earnings(
            alive=people["alive"],
            occupation=people["occupation"],
            wage=people["wage"],
            employed=people["employed"],
            income=people["income"],
            assets=people["assets"],
        )
        draws = EconomyDraws(ctx.stream("job").base(t), ctx.stream("asset_return").base(t))
        living, unemployed, income_sum, assets_sum = _earn(ctx.n, e, p.constants(), draws)
        living = max(1, living)
        ctx.record("mean_income", income_sum / living)
        ctx.record("mean_assets", assets_sum / living)
        ctx.record("unemployment_rate", unemployed / living)
