"""Economy: earnings, saving, asset returns, unemployment, a job market and look-ups.

Each month workers lose jobs, job seekers find them, everyone's wage grows and savings earn a
noisy return. Once a year (the last month of each year) working-age workers may move to a
new job, whose occupation is drawn from the society's occupation shares; job seekers who
find work likewise draw an occupation. Pay follows the occupation's income multiplier
relative to the old one.

Where the score can be looked up (the articles: "anybody can check anyone else's score
online"), employers and landlords look: a visible score shifts the log-odds of being hired
and of entering an occupation paying above the median, and a visible score under the
reference costs a rent surcharge. Citizens on the blacklist cannot enter the occupations the
articles bar them from, and any found in one is moved out (the blacklist module moves them
out when it lists them; this keeps the economy from undoing it). Without scoring, or with
private scores, nobody's score is visible and the job market is score-blind.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.core.rng import normal_at, uniform_at
from scoresim.modules.common import ADULT_AGE
from scoresim.society.people import BARRABLE_OCCUPATIONS, OCCUPATIONS, occupation_code
from scoresim.society.population import OCCUPATION_INCOME, OCCUPATION_SHARE

#: Occupations a job is drawn from, with the society's shares (the "unemployed" share of the
#: founding population is not a job).
JOBS: tuple[str, ...] = tuple(o for o in OCCUPATION_SHARE if o != "unemployed")
#: Occupations paying above the median (income multiplier over 1): those an employer's
#: look-up decides on.
GOOD_JOBS: tuple[str, ...] = tuple(o for o in JOBS if OCCUPATION_INCOME[o] > 1.0)
PLAIN_JOBS: tuple[str, ...] = tuple(o for o in JOBS if OCCUPATION_INCOME[o] <= 1.0)
#: Share of good jobs among all jobs drawn (0.265 with the society's shares).
GOOD_SHARE = sum(OCCUPATION_SHARE[o] for o in GOOD_JOBS) / sum(OCCUPATION_SHARE[o] for o in JOBS)


def _table(names: tuple[str, ...]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Occupation codes and their cumulative shares (ending at 1), for a draw by inversion."""
    share = np.array([OCCUPATION_SHARE[o] for o in names])
    cum = np.cumsum(share / share.sum())
    cum[-1] = 1.0
    return np.array([occupation_code(o) for o in names], dtype=np.int64), cum


_GOOD_CODES, _GOOD_CUM = _table(GOOD_JOBS)
_PLAIN_CODES, _PLAIN_CUM = _table(PLAIN_JOBS)
#: Whether each occupation code is barred to the listed (as in the blacklist module).
_BARRABLE = np.isin(np.arange(len(OCCUPATIONS)), [occupation_code(o) for o in BARRABLE_OCCUPATIONS])
#: Income multiplier of each occupation code.
_MULTIPLIER = np.array([OCCUPATION_INCOME[o] for o in OCCUPATIONS], dtype=np.float64)


class EconomyConstants(NamedTuple):
    """What :func:`_earn` takes of the parameters (:meth:`EconomyParams.constants`).

    Attributes:
        growth: Monthly wage growth factor.
        job_loss_rate: Monthly chance a worker loses a job.
        job_find_rate: Monthly chance a job seeker finds one, unseen.
        benefit_ratio: Income kept while unemployed.
        return_sigma: Standard deviation of the monthly asset return.
        saving: Share of income saved each month (a twelfth of the yearly share).
        student: Occupation code of students (never lose a job).
        retired: Occupation code of the retired (never lose a job).
        unemployed: Occupation code of founders without a job occupation (not movers).
        worker: Occupation code the listed are moved to from a barred occupation.
        mobility: Yearly chance a worker moves to a new job.
        lookup: Log-odds of hiring and of a good job per 100 points of visible score.
        landlord: Rent surcharge per 100 visible points under the reference, as a share of
            monthly income.
        reference: Score an employer or landlord treats as neutral.
        adult_age: Age from which a citizen deals with landlords.
        good_share: Share of good jobs among jobs drawn, unseen.
        good_codes: Codes of the good jobs.
        good_cum: Their cumulative shares within the good jobs.
        plain_codes: Codes of the other jobs.
        plain_cum: Their cumulative shares within the other jobs.
        barrable: Whether each occupation code is barred to the listed.
        multiplier: Income multiplier of each occupation code.
    """

    growth: float
    job_loss_rate: float
    job_find_rate: float
    benefit_ratio: float
    return_sigma: float
    saving: float
    student: int
    retired: int
    unemployed: int
    worker: int
    mobility: float
    lookup: float
    landlord: float
    reference: float
    adult_age: float
    good_share: float
    good_codes: NDArray[np.int64]
    good_cum: NDArray[np.float64]
    plain_codes: NDArray[np.int64]
    plain_cum: NDArray[np.float64]
    barrable: NDArray[np.bool_]
    multiplier: NDArray[np.float64]


class Earnings(NamedTuple):
    """What a month of earning reads and changes, in place.

    ``alive``, ``age``, ``listed``, ``score`` and ``public`` are only read; ``occupation``
    changes for movers, the hired and the listed found in a barred occupation.
    """

    alive: NDArray[np.uint8]
    age: NDArray[Any]
    occupation: NDArray[Any]
    wage: NDArray[np.float32]
    employed: NDArray[np.uint8]
    income: NDArray[np.float32]
    assets: NDArray[np.float32]
    listed: NDArray[Any]
    score: NDArray[Any]
    public: NDArray[Any]


class EconomyDraws(NamedTuple):
    """Starts of this month's blocks of draws (``Stream.base``), one per decision."""

    job: np.uint64
    asset_return: np.uint64
    move: np.uint64
    tier: np.uint64
    pick: np.uint64


#: Columns of the per-chunk counts :func:`_earn` returns, in order.
COUNTS = (
    "living",
    "unemployed",
    "movers_eligible",
    "job_changes",
    "hires",
    "barred_refusals",
    "barred_moved",
    "listed_working_age",
    "listed_unemployed",
    "lookup_hires_lost",
    "lookup_hires_gained",
    "lookup_good_jobs_lost",
    "lookup_good_jobs_gained",
    "rent_surcharge_payers",
)
_SUMS = ("income", "assets", "rent_surcharge")


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
        "monthly chance a job seeker finds one (score unseen)",
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
    job_mobility: float = param(
        0.08,
        "yearly chance a working-age worker moves to a new job (occupation drawn anew)",
        ge=0,
        le=1,
        plausible=(0.03, 0.2),
        why="assumption: about half the US yearly rate of changing 3-digit occupation "
        "(16-19%, Kambourov and Manovskii 2009) for eleven coarse occupations",
    )
    employer_lookup: float = param(
        0.3,
        "log-odds of being hired, and of a job paying above the median, per 100 points of "
        "visible score above the reference (0: employers do not look)",
        ge=0,
        le=5,
        plausible=(0.0, 1.0),
        why="the articles: anybody can check anyone's score; of the order of US credit "
        "checks in hiring, whose bans raised employment of those scoring under 620 by 2-3% "
        "(Clifford and Shoag 2016); 0.3 hires a quarter fewer 100 points down",
    )
    landlord_lookup: float = param(
        0.02,
        "rent surcharge per 100 points of visible score under the reference, as a share of "
        "monthly income (0: landlords do not look)",
        ge=0,
        le=1,
        plausible=(0.0, 0.08),
        why="assumption: a visibly poor score costs about one more month's rent a year (an "
        "extra deposit or a higher rent; rent is about a quarter of income) per 100 points",
    )
    lookup_reference: float = param(
        600,
        "score an employer or landlord treats as neutral",
        ge=0,
        le=2000,
        plausible=(550, 650),
        why="the articles: the first perk (the instant loan) at 600, where the 'good' band starts",
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
            unemployed=occupation_code("unemployed"),
            worker=occupation_code("worker"),
            mobility=float(self.job_mobility),
            lookup=float(self.employer_lookup),
            landlord=float(self.landlord_lookup),
            reference=float(self.lookup_reference),
            adult_age=float(ADULT_AGE),
            good_share=float(GOOD_SHARE),
            good_codes=_GOOD_CODES,
            good_cum=_GOOD_CUM,
            plain_codes=_PLAIN_CODES,
            plain_cum=_PLAIN_CUM,
            barrable=_BARRABLE,
            multiplier=_MULTIPLIER,
        )


@njit(cache=True)
def shifted(p: float, shift: float) -> float:
    """``p`` with its log-odds moved by ``shift``; ``p`` itself when ``shift`` is 0.

    0 and 1 stay where they are (a certain event stays certain).
    """
    if shift == 0.0 or p <= 0.0 or p >= 1.0:
        return p
    odds = p / (1.0 - p) * np.exp(shift)
    return float(odds / (1.0 + odds))


@njit(cache=True)
def _pick(u: float, codes: NDArray[np.int64], cum: NDArray[np.float64]) -> int:
    """The code whose cumulative share first exceeds ``u``."""
    k = 0
    while k < cum.size - 1 and u >= cum[k]:
        k += 1
    return int(codes[k])


_CHUNK = 1 << 16


@twin
def _earn(
    e: Earnings, c: EconomyConstants, draws: EconomyDraws, year_end: bool
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """One month for everyone; counts and sums per fixed chunk, then over chunks in order.

    A new job's occupation: with chance ``shifted(good_share, lookup z)`` one paying above
    the median, else another, each drawn by its share within its tier; ``z`` is the visible
    score's distance from the reference in hundreds of points (0 when not visible). A listed
    citizen drawing a barred occupation is refused: a mover keeps the old job, a hired seeker
    becomes a worker. Pay moves by the ratio of the occupations' multipliers.

    Summed per fixed chunk, not by prange's own reduction, so that the measures do not depend
    on the number of threads (they did: at 200,000 citizens, one thread and two gave mean
    assets differing in the last digit), and the serial twin gives the parallel one's sums.

    Returns:
        The counts of :data:`COUNTS` and the sums of income, assets and rent surcharges.
    """
    alive = e.alive
    age = e.age
    occupation = e.occupation
    wage = e.wage
    employed = e.employed
    income = e.income
    assets = e.assets
    listed_state = e.listed
    score = e.score
    public = e.public
    growth = c.growth
    lose = c.job_loss_rate
    find = c.job_find_rate
    benefit = c.benefit_ratio
    sigma = c.return_sigma
    save = c.saving
    student = c.student
    retired = c.retired
    jobless = c.unemployed
    worker = c.worker
    mobility = c.mobility
    lookup = c.lookup
    landlord = c.landlord
    rent_rate = landlord / 1200.0  # a twelfth of yearly income, per 100 points
    reference = c.reference
    adult_age = c.adult_age
    good_share = c.good_share
    good_codes = c.good_codes
    good_cum = c.good_cum
    plain_codes = c.plain_codes
    plain_cum = c.plain_cum
    barrable = c.barrable
    multiplier = c.multiplier
    base_job = draws.job
    base_return = draws.asset_return
    base_move = draws.move
    base_tier = draws.tier
    base_pick = draws.pick
    n = wage.size
    chunks = (n + _CHUNK - 1) // _CHUNK
    counts = np.zeros((chunks, 14), dtype=np.int64)
    sums = np.zeros((chunks, 3))
    for k in prange(chunks):
        # Scalars, not an array of counts: the loop keeps them in registers.
        living_n = out_of_work_n = eligible_n = changes_n = hires_n = refused_n = 0
        moved_n = listed_n = listed_out_n = hires_lost_n = hires_gained_n = 0
        good_lost_n = good_gained_n = payers_n = 0
        income_sum = 0.0
        assets_sum = 0.0
        rent_sum = 0.0
        for i in range(k * _CHUNK, min(n, (k + 1) * _CHUNK)):
            wage[i] *= growth
            living = alive[i] == 1
            occ = occupation[i]
            listed = living and listed_state[i] == 1
            if listed and barrable[occ]:  # moved out: the listed cannot keep a barred job
                wage[i] *= multiplier[worker] / multiplier[occ]
                occupation[i] = worker
                occ = worker
                moved_n += 1
            visible = living and public[i] == 1
            u = uniform_at(base_job, i)
            working_age = occ != student and occ != retired
            moving = False  # a worker drawn to move this year
            hired = False  # a job seeker hired this month
            if not working_age:
                employed[i] = 1  # students and the retired are never out of work
            elif employed[i] == 1:
                if u < lose:
                    employed[i] = 0
                elif year_end and living and occ != jobless:
                    eligible_n += 1
                    moving = uniform_at(base_move, i) < mobility
            else:
                shift = lookup * (score[i] - reference) / 100.0 if visible else 0.0
                hired = u < shifted(find, shift)
                if hired:
                    employed[i] = 1
                if living:
                    unseen = u < find
                    if unseen and not hired:
                        hires_lost_n += 1
                    if hired and not unseen:
                        hires_gained_n += 1
                    if hired:
                        hires_n += 1
                hired = hired and living
            if moving or hired:  # a new job: its occupation, seen by the employer
                shift = lookup * (score[i] - reference) / 100.0 if visible else 0.0
                u_tier = uniform_at(base_tier, i)
                good = u_tier < shifted(good_share, shift)
                good_unseen = u_tier < good_share
                if good_unseen and not good:
                    good_lost_n += 1
                if good and not good_unseen:
                    good_gained_n += 1
                u_pick = uniform_at(base_pick, i)
                if good:
                    new = _pick(u_pick, good_codes, good_cum)
                else:
                    new = _pick(u_pick, plain_codes, plain_cum)
                if listed and barrable[new]:
                    refused_n += 1
                    new = worker if hired else occ  # a refused mover keeps the old job
                elif moving:
                    changes_n += 1
                if new != occ:
                    wage[i] *= multiplier[new] / multiplier[occ]
                    occupation[i] = new
            income[i] = wage[i] * (1.0 if employed[i] == 1 else benefit)
            if living:
                shock = sigma * normal_at(base_return, i)
                assets[i] = assets[i] * np.exp(shock - sigma * sigma / 2) + income[i] * save
                if landlord > 0.0:  # branch-free: who pays is hard to predict
                    under = max(reference - score[i], 0.0) if visible else 0.0
                    rent = rent_rate * income[i] * under if age[i] >= adult_age else 0.0
                    assets[i] -= rent
                    rent_sum += rent
                    payers_n += rent > 0.0
                out_of_work = employed[i] == 0
                if listed and occupation[i] != student and occupation[i] != retired:
                    listed_n += 1
                    if out_of_work:
                        listed_out_n += 1
                living_n += 1
                if out_of_work:
                    out_of_work_n += 1
                income_sum += income[i]
                assets_sum += assets[i]
        counts[k, 0] = living_n
        counts[k, 1] = out_of_work_n
        counts[k, 2] = eligible_n
        counts[k, 3] = changes_n
        counts[k, 4] = hires_n
        counts[k, 5] = refused_n
        counts[k, 6] = moved_n
        counts[k, 7] = listed_n
        counts[k, 8] = listed_out_n
        counts[k, 9] = hires_lost_n
        counts[k, 10] = hires_gained_n
        counts[k, 11] = good_lost_n
        counts[k, 12] = good_gained_n
        counts[k, 13] = payers_n
        sums[k, 0] = income_sum
        sums[k, 1] = assets_sum
        sums[k, 2] = rent_sum
    total = np.zeros(14, dtype=np.int64)
    total_sums = np.zeros(3)
    for k in range(chunks):  # in order: the sums do not depend on the threads
        total += counts[k]
        total_sums += sums[k]
    return total, total_sums


@register
class Economy(Module):
    """Citizens earn, save, lose, find and change jobs; employers and landlords look scores up."""

    name = "economy"
    phase = Phase.ECONOMY
    Params = EconomyParams
    pars: EconomyParams
    states = (
        State("wage", np.float32, 0.0, "yearly income when employed, USD"),
        State("employed", np.uint8, 1, "1 unless out of work (students, retirees: always 1)"),
    )
    reads = (
        Read("blacklisted", 0),  # without a blacklist, nobody is barred from an occupation
        Read("score_public", 0),  # without scoring (or with private scores), nobody's is seen
        Read("score", 0),  # only where score_public is 1
    )
    streams = ("job", "asset_return", "move", "tier", "pick")
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
        Measure(
            "job_changes",
            "working-age workers who moved to a new job this year (refused moves excluded)",
            label="job changes this year",
            kind="count",
            unit="workers",
        ),
        Measure(
            "job_change_rate",
            "share of working-age workers (not out of work) who moved to a new job this year",
            label="workers who changed job this year",
            kind="share",
        ),
        Measure(
            "hires",
            "job seekers who found a job this month",
            label="job seekers hired",
            kind="count",
            unit="citizens",
        ),
        Measure(
            "barred_refusals",
            "listed citizens refused a job in a barred occupation this month",
            label="listed citizens refused a barred job",
            kind="count",
            unit="citizens",
            better="lower",
        ),
        Measure(
            "barred_moved",
            "listed citizens found in a barred occupation and moved out this month",
            label="listed citizens moved out of a barred job",
            kind="count",
            unit="citizens",
        ),
        Measure(
            "listed_unemployment_rate",
            "share of listed working-age citizens out of work",
            label="unemployment rate of the listed",
            kind="share",
            better="lower",
        ),
        Measure(
            "lookup_hires_lost",
            "job seekers not hired this month who would have been without the employer's look-up",
            label="hires lost to employers' look-ups",
            kind="count",
            unit="citizens",
            better="lower",
        ),
        Measure(
            "lookup_hires_gained",
            "job seekers hired this month who would not have been without the employer's look-up",
            label="hires gained from employers' look-ups",
            kind="count",
            unit="citizens",
        ),
        Measure(
            "lookup_good_jobs_lost",
            "new jobs this month not paying above the median that would have without the "
            "employer's look-up",
            label="good jobs lost to employers' look-ups",
            kind="count",
            unit="jobs",
            better="lower",
        ),
        Measure(
            "lookup_good_jobs_gained",
            "new jobs this month paying above the median that would not have without the "
            "employer's look-up",
            label="good jobs gained from employers' look-ups",
            kind="count",
            unit="jobs",
        ),
        Measure(
            "rent_surcharge_paid",
            "rent surcharges landlords charged visible low scores this month, USD",
            label="rent surcharges for low scores",
            kind="currency",
            better="lower",
        ),
        Measure(
            "rent_surcharge_payers",
            "adults charged a rent surcharge for a visible low score this month",
            label="adults charged a rent surcharge",
            kind="count",
            unit="citizens",
            better="lower",
        ),
    )

    def init(self, ctx: Context) -> None:
        """Start everyone employed at their drawn income."""
        ctx.people["wage"][...] = ctx.people["income"]

    def step(self, ctx: Context) -> None:
        """One month of earning, saving and job changes (moves only in a year's last month)."""
        p, people, t = self.pars, ctx.people, ctx.t
        e = Earnings(
            alive=people["alive"],
            age=people["age"],
            occupation=people["occupation"],
            wage=people["wage"],
            employed=people["employed"],
            income=people["income"],
            assets=people["assets"],
            listed=ctx.read("blacklisted"),
            score=ctx.read("score"),
            public=ctx.read("score_public"),
        )
        draws = EconomyDraws(
            job=ctx.stream("job").base(t),
            asset_return=ctx.stream("asset_return").base(t),
            move=ctx.stream("move").base(t),
            tier=ctx.stream("tier").base(t),
            pick=ctx.stream("pick").base(t),
        )
        year_end = t % 12 == 11
        counts, sums = _earn(ctx.n, e, p.constants(), draws, year_end)
        got = dict(zip(COUNTS, counts.tolist(), strict=True))
        living = max(1, got["living"])
        ctx.record("mean_income", float(sums[0]) / living)
        ctx.record("mean_assets", float(sums[1]) / living)
        ctx.record("unemployment_rate", got["unemployed"] / living)
        if year_end:
            eligible = got["movers_eligible"]
            ctx.record("job_changes", float(got["job_changes"]))
            ctx.record("job_change_rate", got["job_changes"] / eligible if eligible else np.nan)
        for name in (
            "hires",
            "barred_refusals",
            "barred_moved",
            "lookup_hires_lost",
            "lookup_hires_gained",
            "lookup_good_jobs_lost",
            "lookup_good_jobs_gained",
            "rent_surcharge_payers",
        ):
            ctx.record(name, float(got[name]))
        ctx.record("rent_surcharge_paid", float(sums[2]))
        listed = got["listed_working_age"]
        ctx.record(
            "listed_unemployment_rate", got["listed_unemployed"] / listed if listed else np.nan
        )
