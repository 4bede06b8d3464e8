"""Demography (yearly): ageing, retirement and deaths."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from scoresim.engine.module import Measure, Module, Params, Phase
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
from scoresim.society.people import occupation_code
from scoresim.society.population import RETIRE_AT, STUDENT_UNTIL


class DemographyParams(Params):
    """Parameters of ageing and mortality."""

    retire_at: int = Field(RETIRE_AT, ge=40, le=100, description="retirement age, years")
    pension_ratio: float = Field(0.5, ge=0, le=2, description="pension over last income")
    mortality_30: float = Field(
        0.001, ge=0, le=1, description="yearly chance of death at age 30 (Gompertz level)"
    )
    mortality_growth: float = Field(
        0.085, ge=0, le=0.3, description="Gompertz growth of mortality per year of age"
    )


@register
class Demography(Module):
    """Citizens age a year, retire, and die with a Gompertz hazard; the dead lose their ties."""

    name = "demography"
    phase = Phase.DEMOGRAPHY
    Params = DemographyParams
    pars: DemographyParams
    measures = (
        Measure("deaths", "citizens who died this year"),
        Measure("mean_age", "mean age of the living, years"),
    )

    def step(self, sim: Simulation) -> None:
        """One year of ageing, retirement and mortality."""
        p, people = self.pars, sim.people
        alive = people["alive"].astype(bool)
        age = people["age"]
        age[alive] += 1
        occ = people["occupation"]
        student = occupation_code("student")
        leaving_school = alive & (occ == student) & (age >= STUDENT_UNTIL)
        occ[leaving_school] = occupation_code("worker")
        retiring = alive & (occ != occupation_code("retired")) & (age >= p.retire_at)
        occ[retiring] = occupation_code("retired")
        people["income"][retiring] *= np.float32(p.pension_ratio)
        if "wage" in people:
            people["wage"][retiring] *= np.float32(p.pension_ratio)
        hazard = np.minimum(1.0, p.mortality_30 * np.exp(p.mortality_growth * (age - 30.0)))
        dies = alive & sim.stream(self, "death").bernoulli(sim.t, hazard, sim.n)
        people["alive"][dies] = 0
        src = sim.network.sources()
        gone = dies[src]
        sim.network.cut(src[gone], sim.network.indices[gone])
        still = alive & ~dies
        sim.record("deaths", float(np.count_nonzero(dies)))
        sim.record("mean_age", float(age[still].mean()) if still.any() else np.nan)
