"""Demography (yearly): ageing, retirement, deaths and births by the society's life table.

Mortality and fertility by age come from the life table (``society.life_table``), which
keeps a society without policy stationary. Perks change who has the children, not how many:
each fertile citizen's chance is the table's, weighted by ``1 + perk_fertility * perks`` and
divided by that weight's mean over the fertile, so births stay those of the table. Newborns
inherit independence with noise; whether they hold dissenting views follows the same
dependence on independence as in the founding population. Children's prospects (their income
when they start work) rise with their parent's perks. Over generations this is the selection
the articles fear: if perks go to the obedient, so do children and successful children.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoresim.core.context import Citizens, Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.registry import register
from scoresim.modules.common import ADULT_AGE
from scoresim.society.people import occupation_code
from scoresim.society.population import (
    OCCUPATION_SHARE,
    RETIRE_AT,
    STUDENT_UNTIL,
    income_multiplier,
)

#: Generations reported apart (the last one with all later ones).
GENERATIONS = 4

# School leavers' occupations: drawn by the founders' shares, so the mix stays put.
_FIRST_JOBS = np.array([occupation_code(o) for o in OCCUPATION_SHARE], dtype=np.uint8)
_SHARES = np.array(list(OCCUPATION_SHARE.values())) / sum(OCCUPATION_SHARE.values())
_FIRST_JOB_CUM = np.cumsum(_SHARES)[:-1]
_MULTIPLIER = income_multiplier()
_STUDENT_PAY = float(_MULTIPLIER[occupation_code("student")])


def _base_income(people: Citizens, alive: NDArray[np.bool_]) -> float:
    """Median over the living in work of income over their occupation's pay multiplier.

    The founders' incomes are such a base (lognormal) times the multiplier; drawing the
    young's from the same base keeps the income distribution as it was (1 if nobody works).
    """
    occ = people["occupation"]
    workers = alive & (occ != occupation_code("student")) & (occ != occupation_code("retired"))
    if not workers.any():
        return 1.0
    return float(np.median(people["income"][workers] / _MULTIPLIER[occ[workers]]))


class DemographyParams(Params):
    """Parameters of ageing, mortality and births."""

    retire_at: int = param(
        RETIRE_AT, "retirement age, years", ge=40, le=100, why="a common statutory age"
    )
    pension_ratio: float = param(
        0.5, "pension over last income", ge=0, le=2, plausible=(0.3, 0.8), why="assumption"
    )
    perk_fertility: float = param(
        0.5,
        "relative rise in a person's fertility per $1,000 a year of perks (births are "
        "shared out anew, not added)",
        ge=0,
        le=10,
        plausible=(0.0, 2.0),
        why="the articles: only the obedient get to have children",
    )
    heritability: float = param(
        0.5,
        "weight of the parent's independence in the child's",
        ge=0,
        le=1,
        plausible=(0.3, 0.7),
        why="twin studies of personality: about one half",
    )
    independence_noise: float = param(
        0.15, "sd of the child's independence around it", ge=0, le=1, why="assumption"
    )
    prospects_gain: float = param(
        0.5,
        "rise in a child's starting income per $1,000 a year of parent's perks",
        ge=0,
        le=10,
        plausible=(0.0, 1.0),
        why="the articles: successful children",
    )
    income_fertility: float = param(
        0.0,
        "elasticity of a person's fertility to their income (births shared out anew)",
        ge=-2,
        le=2,
        plausible=(-0.3, 0.3),
        why="assumption: small either way in recent Chinese data; 0 keeps it out",
    )
    income_persistence: float = param(
        0.4,
        "elasticity of a child's starting income to the parent's income",
        ge=0,
        le=1,
        plausible=(0.2, 0.6),
        why="intergenerational income elasticity in China, about 0.4-0.6 (Fan, Yi and Zhang 2021)",
    )
    peer_influence: float = param(
        0.2,
        "weight of friends' mean independence in one's own on reaching adulthood",
        ge=0,
        le=1,
        plausible=(0.0, 0.5),
        why="horizontal cultural transmission among peers (Cavalli-Sforza and Feldman 1981; "
        "Harris 1995)",
    )


@register
class Demography(Module):
    """Citizens age, retire and die, and have children, by the life table; perks shift who."""

    name = "demography"
    phase = Phase.DEMOGRAPHY
    Params = DemographyParams
    pars: DemographyParams
    states = (
        State("prospects", np.float32, 1.0, "multiplier of starting income"),
        State("born_in_run", np.uint8, 0, "1 if born after the policy started"),
    )
    reads = (
        Read("perk_value", 0),  # without perks, fertility and prospects are everyone's
        Read("wage", 0, writes=True),  # careers set it; without the economy, the zeros are dropped
    )
    streams = (
        "death",
        "start_income",
        "first_job",
        "birth",
        "child_independence",
        "child_dissent",
    )
    measures = (
        Measure("deaths", "citizens who died this year", kind="count", unit="citizens"),
        Measure("births", "citizens born this year", kind="count", unit="citizens"),
        Measure("mean_age", "mean age of the living, years", label="mean age", unit="years"),
        Measure(
            "mean_independence",
            "mean independence (0-1) of living adults",
            label="mean independence of adults",
            bounds=(0.0, 1.0),
            headline=True,
        ),
        Measure(
            "newborn_independence",
            "mean independence (0-1) of the citizens born this year",
            label="mean independence of last year's newborns",
            bounds=(0.0, 1.0),
        ),
        Measure(
            "run_born_independence",
            "mean independence (0-1) of the living born since the policy started",
            label="mean independence of those born under the policy",
            bounds=(0.0, 1.0),
            headline=True,
        ),
        Measure(
            "cohort_independence",
            "mean independence (0-1) of the citizens who came of age this year, after their "
            "peers' influence",
            label="mean independence of this year's new adults",
            bounds=(0.0, 1.0),
            headline=True,
        ),
        Measure(
            "mean_generation",
            "mean generation of the living (founders: 0)",
            label="mean generation",
            unit="generations",
        ),
        *(
            Measure(
                f"independence_gen{g}",
                f"mean independence (0-1) of living generation {g}",
                label=f"mean independence of generation {g}",
                bounds=(0.0, 1.0),
            )
            for g in range(GENERATIONS - 1)
        ),
        Measure(
            f"independence_gen{GENERATIONS - 1}plus",
            f"mean independence (0-1) of living generations {GENERATIONS - 1} and later",
            label=f"mean independence of generations {GENERATIONS - 1}+",
            bounds=(0.0, 1.0),
        ),
    )

    _dissent_slope = 0.0  # dissenters' share per unit of independence, learnt at the start

    def init(self, ctx: Context) -> None:
        """Learn how dissent depends on independence in the founding population."""
        people = ctx.people
        ind = people["independence"].astype(np.float64)
        self._dissent_slope = float(people["dissenter"].mean() / max(ind.mean(), 1e-9))

    def get_state(self) -> dict[str, NDArray[Any]]:
        """The dissent slope learnt at the start."""
        return {"dissent_slope": np.array([self._dissent_slope])}

    def set_state(self, state: dict[str, NDArray[Any]]) -> None:
        """Restore the dissent slope."""
        self._dissent_slope = float(state["dissent_slope"][0])

    def step(self, ctx: Context) -> None:
        """One year: ageing, school leaving, retirement, deaths, births."""
        people = ctx.people
        alive = people["alive"].astype(bool)
        age = people["age"]
        age[alive] += 1
        coming_of_age = self._peers(ctx, alive & (age == ADULT_AGE))
        self._careers(ctx, alive)
        hazard = ctx.life_table.hazard(age)
        dies = alive & ctx.stream("death").bernoulli(ctx.t, hazard, ctx.n)
        people["alive"][dies] = 0
        ctx.network.cut(*ctx.network.ties_of(np.flatnonzero(dies)))
        ctx.commit()  # the dead lose their ties before the births below add the newborns'
        newborn = self._births(ctx, alive & ~dies)
        # Births may reallocate every array: fetch fresh views.
        age = people["age"]
        living = people["alive"].astype(bool)
        adult = living & (age >= ADULT_AGE)
        ind = people["independence"]
        ctx.record("deaths", float(np.count_nonzero(dies)))
        ctx.record("births", float(newborn.size))
        ctx.record("mean_age", float(age[living].mean()) if living.any() else np.nan)
        ctx.record("mean_independence", float(ind[adult].mean()) if adult.any() else np.nan)
        ctx.record("newborn_independence", float(ind[newborn].mean()) if newborn.size else np.nan)
        run_born = living & (people["born_in_run"] == 1)
        if run_born.any():
            ctx.record("run_born_independence", float(ind[run_born].mean()))
        cohort = coming_of_age[living[coming_of_age]]
        if cohort.size:
            ctx.record("cohort_independence", float(ind[cohort].mean()))
        ctx.record(
            "mean_generation",
            float(people["generation"][living].mean()) if living.any() else np.nan,
        )
        gen = np.minimum(people["generation"], GENERATIONS - 1)
        for g in range(GENERATIONS):
            members = living & (gen == g)
            if members.any():
                label = f"{g}plus" if g == GENERATIONS - 1 else str(g)
                ctx.record(f"independence_gen{label}", float(ind[members].mean()))

    def _peers(self, ctx: Context, coming: NDArray[np.bool_]) -> NDArray[np.int64]:
        """Those coming of age take ``peer_influence`` of their friends' mean independence.

        Returns:
            Their ids.
        """
        ids = np.flatnonzero(coming)
        w = self.pars.peer_influence
        if ids.size == 0 or w == 0:
            return ids
        ind = ctx.people["independence"]
        net = ctx.network
        degree = net.degree(ids)
        _, friends = net.ties_of(ids)  # row by row, in the order of ids
        sums = np.bincount(np.repeat(np.arange(ids.size), degree), ind[friends], ids.size)
        has = degree > 0
        mean = np.where(has, sums / np.maximum(degree, 1), ind[ids])
        ind[ids] = ((1 - w) * ind[ids] + w * mean).astype(np.float32)
        return ids

    def _careers(self, ctx: Context, alive: NDArray[np.bool_]) -> None:
        """School leavers start a job drawn by the occupations' shares, at their prospects.

        Their pay is drawn as the founders' was: a lognormal base around the workers' median
        base (log-sd 0.7), times their prospects and their occupation's pay multiplier; the
        old retire.
        """
        p, people = self.pars, ctx.people
        age, occ = people["age"], people["occupation"]
        income, wage = people["income"], ctx.read("wage")
        student = occupation_code("student")
        leaving = alive & (occ == student) & (age >= STUDENT_UNTIL)
        if leaving.any():
            base = _base_income(people, alive)
            z = ctx.stream("start_income").normal(ctx.t, ctx.n)[leaving]
            u = ctx.stream("first_job").uniform(ctx.t, ctx.n)[leaving]
            job = _FIRST_JOBS[np.searchsorted(_FIRST_JOB_CUM, u, side="right")]
            start = base * people["prospects"][leaving] * np.exp(0.7 * z) * _MULTIPLIER[job]
            occ[leaving] = job
            income[leaving] = start
            wage[leaving] = start
        retiring = alive & (occ != occupation_code("retired")) & (age >= p.retire_at)
        occ[retiring] = occupation_code("retired")
        income[retiring] *= np.float32(p.pension_ratio)
        wage[retiring] *= np.float32(p.pension_ratio)

    def _births(self, ctx: Context, alive: NDArray[np.bool_]) -> NDArray[np.int64]:
        """Citizens of fertile age have children, more with more perks; the newborns' ids."""
        p, people, n, t = self.pars, ctx.people, ctx.n, ctx.t
        age = people["age"]
        perks = ctx.read("perk_value").astype(np.float64)
        base = ctx.life_table.fertility(age)
        fertile = alive & (base > 0)
        weight = 1.0 + p.perk_fertility * perks / 1000.0
        income = people["income"].astype(np.float64)
        if p.income_fertility != 0 and fertile.any():
            typical = max(float(np.median(income[fertile])), 1.0)
            weight = weight * (np.maximum(income, 1.0) / typical) ** p.income_fertility
        mean_weight = float(weight[fertile].mean()) if fertile.any() else 1.0
        chance = np.minimum(1.0, base * weight / mean_weight)
        parents = np.flatnonzero(fertile & ctx.stream("birth").bernoulli(t, chance, n))
        # Children's draws are indexed by their parent's id: common random numbers hold.
        noise = ctx.stream("child_independence").normal(t, n)[parents]
        u_dissent = ctx.stream("child_dissent").uniform(t, n)[parents]
        ind_parent = people["independence"][parents].astype(np.float64)
        adult = alive & (age >= ADULT_AGE)
        mean_ind = float(people["independence"][adult].mean()) if adult.any() else 0.5
        child_ind = np.clip(
            p.heritability * ind_parent
            + (1 - p.heritability) * mean_ind
            + p.independence_noise * noise,
            0.0,
            1.0,
        )
        # Prospects rise with the parent's perks and income; the income part is relative to
        # this year's parents, so that it moves incomes apart, not up.
        inherited = np.maximum(income[parents], 1.0) ** p.income_persistence
        inherited /= inherited.mean() if inherited.size else 1.0
        prospects = (1.0 + p.prospects_gain * perks[parents] / 1000.0) * inherited
        ids = ctx.grow(parents.size)
        people = ctx.people
        people["alive"][ids] = 1
        people["age"][ids] = 0
        people["occupation"][ids] = occupation_code("student")
        people["independence"][ids] = child_ind
        people["dissenter"][ids] = u_dissent < np.clip(self._dissent_slope * child_ind, 0, 1)
        people["community"][ids] = people["community"][parents]
        people["generation"][ids] = people["generation"][parents] + 1
        people["parent"][ids] = parents
        people["prospects"][ids] = prospects
        people["born_in_run"][ids] = 0 if ctx.burn_in else 1
        # A student's allowance, as the founding students have: without it the mean income
        # of the living would fall as they grow up.
        allowance = _STUDENT_PAY * _base_income(people, people["alive"] == 1) * prospects
        people["income"][ids] = allowance
        ctx.read("wage")[ids] = allowance
        ctx.network.add(ids, parents)
        return ids
