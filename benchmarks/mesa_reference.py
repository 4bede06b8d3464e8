"""The core of the scoring model written idiomatically in Mesa 3: one Agent object per citizen.

It is the slow baseline scoresim is measured against, and a second implementation that must
agree with scoresim statistically (tests/test_mesa_reference.py). Same rules and parameters as
scoresim's modules ``expression``, ``scoring``, ``perks`` and ``tie_cutting`` with everyone
enrolled (the ``core`` scenario below), and ``opinions`` (discussions, convictions,
falsified stances), read from the same validated parameter objects; the
starting society is scoresim's, copied into agents. Randomness is Mesa's own (``model.random``),
so single runs differ from scoresim's while their distributions must not.

Run: ``.venv/bin/python benchmarks/mesa_reference.py --agents 2000 --steps 12``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from typing import Any

import mesa
import numpy as np

from scoresim import Scenario, parse_scenario
from scoresim.core.rng import Streams
from scoresim.modules.common import ADULT_AGE
from scoresim.modules.expression import POINTS_UNIT, VALUE_UNIT, ExpressionParams
from scoresim.modules.opinions import OpinionsParams
from scoresim.modules.perks import PerksParams
from scoresim.modules.scoring import OCCUPATION_IDENTITY, ScoringParams
from scoresim.modules.tie_cutting import TieCuttingParams
from scoresim.society import OCCUPATIONS, build_society

#: The modules both implementations run: the core of the model.
CORE_MODULES: dict[str, dict[str, Any]] = {
    "enrolment": {"mandate_step": 0, "initial_share": 1.0},
    "expression": {},
    "scoring": {},
    "perks": {},
    "tie_cutting": {},
    "opinions": {},
    "network_stats": {},
}
HEADLINE = (
    "expression_rate",
    "dissenter_degree_ratio",
    "spillover_loss",
    "mean_score",
    "perk_share_700",
    "falsifying_share",
    "perceived_dissent",
)


def core_scenario(agents: int, steps: int, seed: int, **modules: dict[str, Any]) -> Scenario:
    """The scenario both implementations run (module overrides merged in)."""
    mods = {k: {**v, **modules.get(k, {})} for k, v in CORE_MODULES.items()}
    return parse_scenario(
        {
            "seed": seed,
            "steps": steps,
            "burn_in": 0,
            "society": {"agents": agents},
            "modules": mods,
        }
    )


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x > -700 else 0.0


def _pdo(log_odds: float, sc: ScoringParams) -> float:
    factor = sc.pdo / math.log(2)
    return sc.base_points - factor * math.log(sc.base_odds) + factor * log_odds


class Citizen(mesa.Agent):  # type: ignore[misc]  # mesa has no type hints
    """One citizen, with friends as references to other Citizens."""

    def __init__(self, model: CoreModel, attrs: dict[str, Any]):
        super().__init__(model)
        self.age = float(attrs["age"])
        self.income = float(attrs["income"])
        self.assets = float(attrs["assets"])
        self.occupation = int(attrs["occupation"])
        self.independence = float(attrs["independence"])
        self.dissenter = int(attrs["dissenter"])
        self.model: CoreModel = model
        self.friends: set[Citizen] = set()
        self.expressed = 0
        self.kind = 0
        self.memory = 0.0
        self.violations = 0
        self.since = 65535
        self.score = (model.sc.score_min + model.sc.score_max) / 2
        self.next_score = self.score
        self.spillover = 0.0
        self.speech_cost = 0.0
        self.drag = 0.0
        self.perks: list[bool] = [False] * 4
        self.perk_value = 0.0
        self.perk_at_stake = 0.0
        self.loan_taken = False
        self.debt = 0.0
        self.missed = 0.0
        self.ties_lost = 0
        self.silenced = False
        op = model.op
        gap = op.founding_gap / 2
        u = model.random.random()
        theta = op.dissent_threshold
        self.opinion = theta + gap + (1 - theta - gap) * u if self.dissenter else (theta - gap) * u
        self.anchor = self.opinion
        self.stance = self.opinion
        self.falsifying = 0

    @property
    def adult(self) -> bool:
        """Old enough to post and to count."""
        return self.age >= ADULT_AGE

    # -- expression: decide on last month's friends, then commit ---------------------------

    def decide_expression(self) -> None:
        """Dissenters weigh conviction and peers against score loss and perks at stake."""
        ex, m = self.model.ex, self.model
        self.next_kind = 0
        self.silenced = False
        if not self.adult:
            return
        deg = len(self.friends)
        seen = sum(f.expressed for f in self.friends)
        share = seen / deg if deg else 0.0
        cost = self.speech_cost / POINTS_UNIT + self.perk_at_stake / VALUE_UNIT
        deter = ex.fear * (1.5 - self.independence) * cost
        if self.dissenter:
            p0 = min(
                max(ex.base_rate * (1 + ex.independence_weight * (self.independence - 0.5)), 1e-6),
                1 - 1e-6,
            )
            social = _logit(p0) + ex.peer_weight * (share - ex.peer_reference)
            draw = m.random.random()
            if draw < _expit(social - deter):
                u = m.random.random()
                self.next_kind = 2 if u < ex.history_share else (3 if u >= 1 - ex.news_share else 1)
            else:
                self.silenced = draw < _expit(social)
        elif m.random.random() < _expit(_logit(max(ex.news_rate, 1e-6)) - deter):
            self.next_kind = 3

    def commit_expression(self) -> None:
        """Everyone's post becomes visible at once."""
        self.kind = self.next_kind
        self.expressed = int(self.kind > 0)

    # -- scoring ---------------------------------------------------------------------------

    def update_memory(self) -> None:
        """Violation memory decays and grows with this month's post."""
        sc = self.model.sc
        added = (0.0, sc.weight_opinion, sc.weight_history, sc.weight_news)[self.kind]
        self.memory = self.memory * sc.violation_decay + added
        if added > 0:
            self.violations += 1
            self.since = 0
        else:
            self.since = min(self.since + 1, 65535)
        if sc.expire_after and self.since >= sc.expire_after:
            self.memory = 0.0

    def compute_score(self) -> None:
        """Five components, own penalty and friends' spillover."""
        sc, m = self.model.sc, self.model
        lo, hi = sc.score_min, sc.score_max
        span = hi - lo

        def scaled(points: float) -> float:
            return min(max((points - lo) / span, 0.0), 1.0)

        income = max(self.income, 1.0)
        c_hist = scaled(_pdo(3.4 + 0.015 * (self.age - 40) - 0.7 * self.missed, sc))
        c_cap = scaled(
            _pdo(
                3.0
                + math.log(income / m.median_income)
                + 0.5 * math.log1p(max(self.assets, 0.0) / income),
                sc,
            )
        )
        c_beh = 0.5  # no purchases in the core model: a neutral lifestyle record
        c_id = (
            0.7 * OCCUPATION_IDENTITY[OCCUPATIONS[self.occupation]] + 0.3 * min(self.age, 60) / 60
        )
        c_rel = (
            sum((f.score - lo) / span for f in self.friends) / len(self.friends)
            if self.friends
            else 0.5
        )
        base = lo + span * sum(
            w * c for w, c in zip(m.weights, (c_hist, c_cap, c_beh, c_id, c_rel), strict=True)
        )
        if sc.spillover_form == "mean":  # friends' mean memory
            counted = [f.memory for f in self.friends]
            total = sum(counted) / len(counted) if counted else 0.0
            pen = sc.spillover_penalty
        else:  # a sum, each friend's memory counted up to the cap
            total = sum(min(f.memory, sc.spillover_friend_cap) for f in self.friends)
            pen = sc.spillover_friend_penalty
        self.spillover = min(sc.spillover_cap, pen * total)
        self.next_score = min(
            max(base - sc.violation_penalty * self.memory - self.spillover, lo), hi
        )
        self.speech_cost = sc.violation_penalty * sc.weight_opinion
        own = (
            self.memory
            if sc.spillover_form == "mean"
            else min(self.memory, sc.spillover_friend_cap)
        )
        self.drag = m.drag_per_memory * own

    def commit_score(self) -> None:
        """Scores change for everyone at once."""
        self.score = self.next_score

    # -- perks -----------------------------------------------------------------------------

    def grant_perks(self) -> None:
        """Perks over thresholds; the instant loan and its repayments."""
        pk, m = self.model.pk, self.model
        had_loan_perk = self.perks[0]
        self.perks = [self.adult and self.score >= t for t in pk.thresholds]
        self.perk_value = sum(v for v, h in zip(pk.values, self.perks, strict=True) if h)
        self.perk_at_stake = sum(
            v
            for t, v in zip(pk.thresholds, pk.values, strict=True)
            if self.score >= t > self.score - self.speech_cost
        )
        newly = self.perks[0] and not had_loan_perk and not self.loan_taken
        if newly and m.random.random() < pk.loan_takeup:
            self.loan_taken = True
            self.assets += pk.loan_amount
            self.debt += pk.loan_amount
        self.missed *= pk.missed_decay
        if self.debt > 0:
            due = min(self.debt, pk.loan_amount / pk.loan_months)
            if self.assets >= due:
                self.assets -= due
                self.debt -= due
            else:
                self.missed += 1

    # -- opinions ---------------------------------------------------------------------------

    def falsify(self) -> None:
        """The silenced show the mildest safe stance for a while; speakers show their view."""
        op = self.model.op
        self.falsifying = max(self.falsifying - 1, 0)
        if self.silenced:
            self.falsifying = op.reveal_months
        if self.expressed:
            self.falsifying = 0
        if self.falsifying:  # never more critical than the opinion it hides
            self.stance = min(max(op.dissent_threshold - op.mask_margin, 0.0), self.opinion)

    def settle(self) -> None:
        """Pull back to the conviction; show the opinion unless hiding; dissent follows it."""
        op = self.model.op
        pull = min(op.anchoring * (0.5 + self.independence), 1.0)
        self.opinion = min(max(self.opinion + pull * (self.anchor - self.opinion), 0.0), 1.0)
        self.stance = min(self.stance, self.opinion) if self.falsifying else self.opinion
        self.dissenter = int(self.opinion >= op.dissent_threshold)

    # -- tie cutting ------------------------------------------------------------------------

    def cut_ties(self) -> None:
        """Cut friends who visibly drag the score down (replacing them is friendship's part)."""
        tc, m = self.model.tc, self.model
        if not self.adult:
            return
        for f in list(self.friends):
            chance = (
                tc.cut_rate * f.drag / 10 + tc.status_rate * max(0.0, self.score - f.score) / 100
            )
            if m.random.random() < min(chance, tc.max_cut):
                m.pending_cuts.append((self, f))


class CoreModel(mesa.Model):  # type: ignore[misc]
    """The core model: staged activation in scoresim's phase order, one step per month."""

    def __init__(self, scenario: Scenario, seed: int | None = None):
        super().__init__(seed=seed)
        mods = scenario.modules
        self.ex = ExpressionParams(**mods["expression"])
        self.sc = ScoringParams(**mods["scoring"])
        self.pk = PerksParams(**mods["perks"])
        self.tc = TieCuttingParams(**mods["tie_cutting"])
        self.op = OpinionsParams(**mods["opinions"])
        w = [
            self.sc.w_credit_history,
            self.sc.w_fulfilment,
            self.sc.w_behaviour,
            self.sc.w_identity,
            self.sc.w_relationships,
        ]
        self.weights = [x / sum(w) for x in w]
        self.drag_per_memory = 0.0  # set each step, before scores
        society = build_society(scenario.society, Streams(scenario.seed))
        people = society.people
        keys = ("age", "income", "assets", "occupation", "independence", "dissenter")
        cols = {k: people[k].tolist() for k in keys}
        self.citizens = [Citizen(self, {k: cols[k][i] for k in keys}) for i in range(society.n)]
        net = society.network
        for i, c in enumerate(self.citizens):
            c.friends = {self.citizens[j] for j in net.neighbours(i).tolist()}
        adults = [c.income for c in self.citizens if c.adult]
        self.median_income = statistics.median(max(x, 1.0) for x in adults)
        self.pending_cuts: list[tuple[Citizen, Citizen]] = []
        self.agents.do("update_memory")  # the first scoring, as scoresim's init does
        self.agents.do("compute_score")
        self.agents.do("commit_score")
        self.measures: dict[str, float] = {}

    def step(self) -> None:
        """One month."""
        self.agents.do("decide_expression")
        self.agents.do("commit_expression")
        self.agents.do("update_memory")
        sc = self.sc
        if sc.spillover_form == "mean":  # a unit of memory's cost to a friend of mean degree
            ends = sum(len(a.friends) for a in self.agents)  # nobody dies in the core model
            self.drag_per_memory = sc.spillover_penalty * max(len(self.agents), 1) / max(ends, 1)
        else:
            self.drag_per_memory = sc.spillover_friend_penalty
        self.agents.do("compute_score")
        self.agents.do("commit_score")
        self.agents.do("grant_perks")
        self._discuss()
        self.agents.shuffle_do("cut_ties")
        for a, b in self.pending_cuts:
            if b in a.friends:
                a.friends.discard(b)
                b.friends.discard(a)
                b.ties_lost += 1
        self.pending_cuts.clear()
        self._measure()

    def _discuss(self) -> None:
        """Opinions: falsified stances, a random matching of discussions, convictions."""
        op = self.op
        self.agents.do("falsify")
        drawn = [
            (a, b)
            for a in self.citizens
            for b in sorted(a.friends, key=lambda c: c.unique_id)
            if a.unique_id < b.unique_id and self.random.random() < op.discuss_rate
        ]
        self.random.shuffle(drawn)
        busy: set[Citizen] = set()
        for a, b in drawn:
            if a in busy or b in busy:
                continue
            busy.update((a, b))
            oa, ob = a.opinion, b.opinion
            if abs(b.stance - oa) < op.confidence:
                a.opinion = oa + op.convergence * (b.stance - oa)
            if abs(a.stance - ob) < op.confidence:
                b.opinion = ob + op.convergence * (a.stance - ob)
        self.agents.do("settle")

    def _measure(self) -> None:
        adults = [c for c in self.citizens if c.adult]
        diss = [c for c in adults if c.dissenter]
        clean = [c for c in adults if c.violations == 0]
        others = [c for c in adults if not c.dissenter]  # degrees of adults, as network_stats
        d_deg = statistics.fmean(len(c.friends) for c in diss) if diss else math.nan
        o_deg = statistics.fmean(len(c.friends) for c in others) if others else math.nan
        self.measures = {
            "expression_rate": sum(c.kind in (1, 2, 3) for c in diss) / len(diss)
            if diss
            else math.nan,
            "dissenter_degree_ratio": d_deg / o_deg if o_deg else math.nan,
            "spillover_loss": statistics.fmean(c.spillover for c in clean) if clean else math.nan,
            "mean_score": statistics.fmean(c.score for c in adults),
            "perk_share_700": statistics.fmean(c.perks[2] for c in adults),
            "falsifying_share": statistics.fmean(c.falsifying > 0 for c in diss)
            if diss
            else math.nan,
            "perceived_dissent": statistics.fmean(
                c.stance >= self.op.dissent_threshold for c in adults
            ),
        }


def run_mesa(scenario: Scenario, seed: int) -> dict[str, float]:
    """Final headline measures of one Mesa run."""
    model = CoreModel(scenario, seed=seed)
    for _ in range(scenario.steps):
        model.step()
    return model.measures


def time_step(agents: int, steps: int = 3) -> tuple[float, float]:
    """(build seconds, mean seconds per step) of the Mesa model."""
    sc = core_scenario(agents, steps, 1)
    t0 = time.perf_counter()
    model = CoreModel(sc, seed=1)
    t1 = time.perf_counter()
    for _ in range(steps):
        model.step()
    return t1 - t0, (time.perf_counter() - t1) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=12)
    args = ap.parse_args()
    build, per_step = time_step(args.agents, args.steps)
    print(
        f"Mesa core model, {args.agents} citizens: build {build:.2f} s, "
        f"{per_step:.3f} s per step ({args.agents / per_step:,.0f} agent-steps/s)"
    )
    res = run_mesa(core_scenario(args.agents, args.steps, 1), 1)
    print({k: round(v, 4) for k, v in res.items()})
    _ = np  # numpy is only needed by scoresim's society builder


if __name__ == "__main__":
    main()
