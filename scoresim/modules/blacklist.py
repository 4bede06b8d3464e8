"""The public blacklist at the bottom of the score, and the sanctions it brings."""

from __future__ import annotations

import numpy as np

from scoresim.engine.module import Measure, Module, Params, Phase, State, param
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
from scoresim.modules.common import flag
from scoresim.society.people import BARRABLE_OCCUPATIONS, occupation_code


class BlacklistParams(Params):
    """Parameters of the blacklist and its sanctions."""

    threshold: float = param(
        450,
        "score below which an enrolled citizen is listed",
        ge=0,
        le=2000,
        plausible=(400, 550),
        why="the bottom of the 'poor' band (350-550)",
    )
    public: bool = param(
        True,
        "whether the list is published (Credit China)",
        why="the articles: a public list of 869,582 people",
    )
    allow_exit: bool = param(
        False, "whether the listed can leave the list", why="the articles describe no exit"
    )
    exit_score: float = param(
        500,
        "score at which a listed citizen may leave (if exits are allowed)",
        ge=0,
        le=2000,
        plausible=(450, 600),
        why="assumption: recovery above the threshold",
    )
    min_months: int = param(
        12,
        "months on the list before an exit is possible",
        ge=0,
        le=1200,
        plausible=(6, 36),
        why="assumption: credit repair takes about a year",
    )
    throttle: float = param(
        0.3,
        "share of their usual reach a listed citizen's posts keep",
        ge=0,
        le=1,
        plausible=(0.0, 0.7),
        why="the articles: limited internet connectivity",
    )
    barred_income: float = param(
        0.6,
        "income kept by a listed citizen barred from a listed occupation",
        ge=0,
        le=1,
        plausible=(0.4, 0.9),
        why="assumption: the next job pays less",
    )


@register
class Blacklist(Module):
    """Enrolled citizens under the threshold are listed, throttled and barred from some jobs."""

    name = "blacklist"
    phase = Phase.OUTCOMES
    Params = BlacklistParams
    pars: BlacklistParams
    states = (
        State("blacklisted", np.uint8, 0, "1 while on the blacklist"),
        State("listed_months", np.uint16, 0, "months on the blacklist (current listing)"),
        State("listed_publicly", np.uint8, 0, "1 while listed on a public list"),
        State("reach", np.float32, 1.0, "share of usual reach one's posts get"),
        State("barred", np.uint8, 0, "1 once barred from a listed occupation"),
    )
    measures = (
        Measure("blacklist_size", "citizens on the blacklist"),
        Measure("blacklist_inflow", "citizens listed this month"),
        Measure("blacklist_exits", "citizens who left the list this month"),
        Measure("sanctions_applied", "new sanctions this month (throttling and barring)"),
        Measure("barred_total", "citizens ever barred from a listed occupation"),
    )

    _barrable = np.array([occupation_code(o) for o in BARRABLE_OCCUPATIONS], dtype=np.uint8)

    def step(self, sim: Simulation) -> None:
        """List, release and sanction."""
        p, people = self.pars, sim.people
        alive = people["alive"] == 1
        enrolled = flag(people, "enrolled", True)
        score = people["score"]
        listed = people["blacklisted"]
        months = people["listed_months"]
        was = listed == 1
        enter = alive & enrolled & ~was & (score < p.threshold)
        leave = np.zeros(sim.n, dtype=bool)
        if p.allow_exit:
            leave = was & (months >= p.min_months) & (score >= p.exit_score)
        leave |= was & ~alive
        listed[enter] = 1
        listed[leave] = 0
        now = listed == 1
        months[now] += 1
        months[~now] = 0
        people["listed_publicly"] = now & p.public
        people["reach"] = np.where(now, p.throttle, 1.0)
        occ = people["occupation"]
        bar = now & np.isin(occ, self._barrable)
        occ[bar] = occupation_code("worker")
        people["barred"][bar] = 1
        people["income"][bar] *= np.float32(p.barred_income)
        if "wage" in people:
            people["wage"][bar] *= np.float32(p.barred_income)
        sim.record("blacklist_size", float(np.count_nonzero(now & alive)))
        sim.record("blacklist_inflow", float(np.count_nonzero(enter)))
        sim.record("blacklist_exits", float(np.count_nonzero(leave & alive)))
        sim.record("sanctions_applied", float(np.count_nonzero(enter) + np.count_nonzero(bar)))
        sim.record("barred_total", float(np.count_nonzero(people["barred"])))
