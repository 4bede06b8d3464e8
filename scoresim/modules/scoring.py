"""The citizen score, as described in the articles: five components, penalties, spillover.

Score = lo + (hi - lo) * sum_k(w_k * c_k) / sum_k(w_k) - own penalty - spillover, clamped to
[lo, hi]. The credit components come from logistic scorecards with PDO scaling; behaviour
from purchases; identity from occupation and age; relationships from friends' scores. The
political penalty and the friends' spillover come from the articles, not from the five
published dimensions.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray
from pydantic import ValidationInfo, model_validator

from scoresim.core.context import Context
from scoresim.core.declare import Mark, Measure, Module, Params, Phase, Read, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.modules.common import (
    ADULT_AGE,
    KIND_HISTORY,
    KIND_NEWS,
    KIND_OPINION,
    flag,
)
from scoresim.society.csr_kernels import Csr
from scoresim.society.people import OCCUPATIONS
from scoresim.society.prefetch import PREFETCH_AHEAD, prefetch

F32 = NDArray[np.float32]

#: Identity-traits quality of each occupation in [0, 1] (stable, verifiable employment scores
#: higher); an assumption, documented in docs/model.md.
OCCUPATION_IDENTITY: dict[str, float] = {
    "student": 0.5,
    "worker": 0.6,
    "farmer": 0.5,
    "clerk": 0.7,
    "trader": 0.6,
    "teacher": 0.8,
    "engineer": 0.8,
    "government official": 0.9,
    "reporter": 0.6,
    "ceo": 0.8,
    "statistician": 0.7,
    "retired": 0.7,
    "unemployed": 0.3,
}
#: Percentiles of the score reported each month (the report's distribution over time).
QUANTILES = (10, 25, 50, 75, 90)
#: The articles' score bands above the lowest, by lower bound; "poor" starts at the floor.
BANDS = ((700.0, "excellent"), (650.0, "very good"), (600.0, "good"), (550.0, "medium"))


def pdo_points(
    log_odds: NDArray[np.float64], base_points: float, base_odds: float, pdo: float
) -> NDArray[np.float64]:
    """Scorecard points from good:bad log-odds with PDO scaling.

    ``factor = pdo / ln 2``, ``offset = base_points - factor * ln(base_odds)``,
    ``points = offset + factor * log_odds``. With 600 at 19:1 and pdo 50, a default
    probability of 0.05 gives 600, 0.01 gives 719 and 0.001 gives 886.
    """
    factor = pdo / np.log(2.0)
    offset = base_points - factor * np.log(base_odds)
    return np.asarray(offset + factor * log_odds, dtype=np.float64)


#: Width of the bins the score percentiles are read from, in points.
PERCENTILE_BIN = 0.25


def binned_percentiles(scores: NDArray[np.floating], lo: float, hi: float) -> list[float]:
    """QUANTILES of ``scores`` to within PERCENTILE_BIN points, by counting, not sorting.

    Each percentile is the midpoint of the bin holding it (a partition of n values costs
    several times more every month).
    """
    bins = int(np.ceil((hi - lo) / PERCENTILE_BIN)) + 1
    cum = np.cumsum(_bin_counts(scores, lo, bins))
    out = []
    for q in QUANTILES:
        k = int(np.searchsorted(cum, q / 100 * scores.size, side="left"))
        out.append(min(lo + (k + 0.5) * PERCENTILE_BIN, hi))
    return out


@njit(cache=True)
def _bin_counts(scores: Any, lo: float, bins: int) -> Any:
    # A loop, not np.bincount: no n-sized array of bin numbers at 100M citizens.
    counts = np.zeros(bins, dtype=np.int64)
    for x in scores:
        b = int((x - lo) / PERCENTILE_BIN)
        counts[min(max(b, 0), bins - 1)] += 1
    return counts


class ScoringConstants(NamedTuple):
    """What the score's kernels take of the parameters (:meth:`ScoringParams.constants`).

    Attributes:
        lo: Lowest score.
        span: Highest minus lowest score.
        factor: Scorecard points per unit of log-odds (``pdo / ln 2``).
        offset: Scorecard points at log-odds 0.
        penalty: Points lost per unit of one's own violation memory.
        spillover_penalty: Points lost per unit of the friends' violation memory counted: its
            mean over friends (``spillover_mean``) or its sum, each friend's capped.
        spillover_mean: Whether the spillover averages over friends (else it sums).
        spillover_cap: Most points friends can cost.
        post_cost: Points one more opinion post would cost an enrolled citizen.
        public: Whether enrolled citizens' scores can be looked up.
        weights: Weight of each of the five components, in the order of COMPONENTS (credit
            history, fulfilment, behaviour, identity, relationships), summing to 1 (the
            parameters refuse all 0). An array, not five fields: the parallel loop runs
            faster from the cache with one array than with five more scalars (37 against 41
            ms at 1M citizens).
        violation_weights: Memory added by each violation kind (KIND_NONE first), float32.
        decay: Monthly retention of violation memory, float32.
        expire_after: Months after the last violation when memory is wiped (0: never).
        identity: Identity-traits quality of each occupation code, in [0, 1].
    """

    lo: float
    span: float
    factor: float
    offset: float
    penalty: float
    spillover_penalty: float
    spillover_mean: bool
    spillover_cap: float
    post_cost: float
    public: bool
    weights: NDArray[np.float64]
    violation_weights: F32
    decay: np.float32
    expire_after: int
    identity: NDArray[np.float64]


class ViolationMemory(NamedTuple):
    """Each citizen's record of violations, updated in place by :func:`_remember`."""

    memory: F32
    months_since: NDArray[np.uint16]
    violations: NDArray[np.uint16]


@twin
def _remember(kind: NDArray[np.uint8], rec: ViolationMemory, c: ScoringConstants) -> None:
    """Decay each citizen's violation memory and add this month's violation, if any."""
    mem = rec.memory
    since = rec.months_since
    count = rec.violations
    weights = c.violation_weights
    decay = c.decay
    expire_after = c.expire_after
    for i in prange(mem.size):
        added = weights[kind[i]]
        mem[i] = mem[i] * decay + added
        if added > 0:
            count[i] += 1
            since[i] = 0
        elif since[i] < 65535:
            since[i] += 1
        if expire_after > 0 and since[i] >= expire_after:
            mem[i] = 0


COMPONENTS = ("credit_history", "fulfilment", "behaviour", "identity", "relationships")
_IDENTITY = np.array([OCCUPATION_IDENTITY[o] for o in OCCUPATIONS])


class ScoreInputs(NamedTuple):
    """What the score of each citizen is computed from (read only by :func:`_compose`).

    Attributes:
        friends_view: Per citizen, last month's score scaled to [0, 1] and this month's
            violation memory as it counts for friends (capped per friend in the capped form),
            side by side (``(n, 2)`` float32: one cache line per friend).
        memory: This month's violation memory.
        age: Age in years.
        income: Yearly income, USD.
        assets: Assets, USD.
        missed: Decaying count of missed loan repayments.
        employed: Whether in work.
        lifestyle: Decaying approved minus disfavoured purchases.
        occupation: Occupation code.
        enrolled: Whether enrolled in the score.
        median_income: This month's median income of adults, USD (at least 1).
        drag_per_memory: Points a unit of a citizen's counted memory costs a friend: the
            summed form's penalty, or the mean form's divided by the mean degree.
    """

    friends_view: F32
    memory: F32
    age: NDArray[Any]
    income: F32
    assets: F32
    missed: NDArray[Any]
    employed: NDArray[np.bool_]
    lifestyle: NDArray[Any]
    occupation: NDArray[Any]
    enrolled: NDArray[np.bool_]
    median_income: float
    drag_per_memory: float


class ScoreOutputs(NamedTuple):
    """What :func:`_compose` writes for each citizen (the module's states, float32)."""

    score: F32
    credit_history: F32
    fulfilment: F32
    behaviour: F32
    identity: F32
    relationships: F32
    penalty: F32
    spillover: F32
    speech_cost: F32
    drag: F32
    score_public: NDArray[np.uint8]


@twin
def _compose(csr: Csr, x: ScoreInputs, c: ScoringConstants, out: ScoreOutputs) -> None:
    """Each citizen's components, penalty, spillover and score, in one pass over the ties.

    Also what others see of the citizen next: the points a post would cost, the drag on each
    friend, whether the score is public.

    What a citizen needs of each friend (last month's scaled score for the relationships
    component, this month's violation memory for the spillover) sits side by side in
    ``x.friends_view``: one cache line per friend, which halves the cache misses of the
    gather at 10M citizens. It is only read, so rows are computed in parallel.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    indptr = csr.indptr
    indices = csr.indices
    friends_view = x.friends_view
    mem = x.memory
    age = x.age
    income = x.income
    assets = x.assets
    missed = x.missed
    employed = x.employed
    lifestyle = x.lifestyle
    occupation = x.occupation
    enrolled = x.enrolled
    median_income = x.median_income
    drag_per_memory = x.drag_per_memory
    lo = c.lo
    span = c.span
    factor = c.factor
    offset = c.offset
    pen = c.penalty
    spill_pen = c.spillover_penalty
    spill_mean = c.spillover_mean
    spill_cap = c.spillover_cap
    post_cost = c.post_cost
    public = c.public
    identity = c.identity
    w = c.weights
    score = out.score
    c_hist = out.credit_history
    c_cap = out.fulfilment
    c_beh = out.behaviour
    c_id = out.identity
    c_rel = out.relationships
    penalty = out.penalty
    spillover = out.spillover
    speech_cost = out.speech_cost
    drag = out.drag
    score_public = out.score_public
    last = indices.size - 1
    for i in prange(mem.size):
        rel = 0.0
        friends_mem = 0.0
        deg = indptr[i + 1] - indptr[i]
        for q in range(indptr[i], indptr[i + 1]):
            prefetch(friends_view, 2 * indices[min(q + PREFETCH_AHEAD, last)])
            j = indices[q]
            rel += friends_view[j, 0]
            friends_mem += friends_view[j, 1]
        rel = rel / deg if deg > 0 else 0.5
        inc = max(income[i], 1.0)
        hist_lo = 3.4 + 0.015 * (age[i] - 40.0) - 0.7 * missed[i]
        cap_lo = 3.0 + np.log(inc / median_income) + 0.5 * np.log1p(max(assets[i], 0.0) / inc)
        if not employed[i]:
            cap_lo -= 1.0
        h = min(max((offset + factor * hist_lo - lo) / span, 0.0), 1.0)
        k = min(max((offset + factor * cap_lo - lo) / span, 0.0), 1.0)
        b = 1.0 / (1.0 + np.exp(-lifestyle[i] / 2.0))
        d = 0.7 * identity[occupation[i]] + 0.3 * min(age[i], 60.0) / 60.0
        parts = (w[0] * h, w[1] * k, w[2] * b, w[3] * d, w[4] * rel)
        c_hist[i] = span * parts[0]
        c_cap[i] = span * parts[1]
        c_beh[i] = span * parts[2]
        c_id[i] = span * parts[3]
        c_rel[i] = span * parts[4]
        own = pen * mem[i]
        if spill_mean:
            friends_mem = friends_mem / deg if deg > 0 else 0.0
        spill = min(spill_cap, spill_pen * friends_mem)
        penalty[i] = own
        spillover[i] = spill
        total = lo + span * (parts[0] + parts[1] + parts[2] + parts[3] + parts[4]) - own - spill
        score[i] = min(max(total, lo), lo + span)
        # Only the enrolled have perks to lose; before the mandate others speak without fear.
        speech_cost[i] = post_cost if enrolled[i] else 0.0
        drag[i] = drag_per_memory * friends_view[i, 1]
        score_public[i] = public and enrolled[i]


class ScoringParams(Params):
    """Parameters of the score."""

    score_min: float = param(350, "lowest score", ge=0, le=2000, why="the articles: 350-950")
    score_max: float = param(950, "highest score", ge=1, le=2000, why="the articles: 350-950")
    w_credit_history: float = param(
        0.35,
        "weight of credit history",
        ge=0,
        le=1,
        plausible=(0.2, 0.5),
        why="reported unofficially for Sesame Credit (35%)",
    )
    w_fulfilment: float = param(
        0.25,
        "weight of fulfilment capacity (assets, income)",
        ge=0,
        le=1,
        plausible=(0.15, 0.35),
        why="reported unofficially (25%)",
    )
    w_behaviour: float = param(
        0.20,
        "weight of behaviour and preferences (shopping)",
        ge=0,
        le=1,
        plausible=(0.1, 0.3),
        why="reported unofficially (20%)",
    )
    w_identity: float = param(
        0.15,
        "weight of identity traits",
        ge=0,
        le=1,
        plausible=(0.05, 0.25),
        why="reported unofficially (15%)",
    )
    w_relationships: float = param(
        0.05,
        "weight of interpersonal relationships (friends' scores)",
        ge=0,
        le=1,
        plausible=(0.0, 0.15),
        why="reported unofficially (5%)",
    )
    base_points: float = param(
        600, "scorecard points at the base odds", ge=0, le=2000, why="standard PDO scaling"
    )
    base_odds: float = param(
        19, "good:bad odds scoring base_points", gt=0, le=1e6, why="a 5% default rate scores 600"
    )
    pdo: float = param(50, "points to double the odds", gt=0, le=500, why="standard PDO scaling")
    violation_penalty: float = param(
        15,
        "points lost per unit of violation memory",
        ge=0,
        le=500,
        plausible=(5, 40),
        why="assumption: one post costs about a perk band's width over a few months",
    )
    weight_opinion: float = param(
        1.0, "memory added by an unpermitted opinion", ge=0, le=10, why="the articles' main example"
    )
    weight_history: float = param(
        1.0,
        "memory added by an alternative history",
        ge=0,
        le=10,
        why="the articles treat it like an opinion",
    )
    weight_news: float = param(
        0.7,
        "memory added by accurate embarrassing news",
        ge=0,
        le=10,
        plausible=(0.3, 1.0),
        why="assumption: judged less severe",
    )
    violation_decay: float = param(
        0.95,
        "monthly retention of violation memory",
        ge=0,
        le=1,
        plausible=(0.9, 0.99),
        why="assumption: half-life of about 14 months",
    )
    expire_after: int = param(
        0,
        "months after the last violation when memory is wiped (0: never)",
        ge=0,
        le=1200,
        why="0 as described; the expungement safeguard sets 12",
    )
    spillover_form: Literal["mean", "capped"] = param(
        "mean",
        "how friends' violations add up: their mean over one's friends, or a sum in which "
        "each friend's memory counts up to spillover_friend_cap",
        why="the articles: your friends' behaviour lowers your score; the mean makes it their "
        "conduct, not their number (docs/model.md)",
    )
    spillover_penalty: float = param(
        60,
        "mean form: points lost per unit of friends' mean violation memory",
        ge=0,
        le=2000,
        plausible=(20, 160),
        why="assumption: 3 points a unit summed over the default 20 friends, so the average "
        "never-violator loses what the summed form took",
    )
    spillover_friend_penalty: float = param(
        3,
        "capped form: points lost per unit of each friend's violation memory",
        ge=0,
        le=100,
        plausible=(1, 8),
        why="assumption: a friend's post costs a fifth of one's own",
    )
    spillover_friend_cap: float = param(
        2.0,
        "capped form: most violation memory counted per friend",
        ge=0,
        le=1e6,
        plausible=(0.5, 5),
        why="assumption: about two recent posts; a huge cap gives the uncapped sum of "
        "earlier versions",
    )
    spillover_cap: float = param(
        100, "most points friends can cost", ge=0, le=1000, why="keeps spillover bounded"
    )
    visibility: Literal["public", "private"] = param(
        "public",
        "whether anyone can look up an enrolled citizen's score",
        why="the articles: anybody can check anyone's score",
    )

    @model_validator(mode="after")
    def _ordered(self, info: ValidationInfo) -> ScoringParams:
        if self.score_min >= self.score_max:
            raise ValueError(
                f"score_min = {self.score_min:g} must be below score_max = {self.score_max:g}"
            )
        # With no weight, the five components count for nothing: every score would sit at
        # score_min whatever anyone does, penalties included (the score cannot go lower).
        # No scenario means that, so it is refused rather than run (results written before
        # this check, read back as stored, are still read).
        stored = isinstance(info.context, dict) and info.context.get("stored")
        if not stored and not any(getattr(self, f"w_{k}") > 0 for k in COMPONENTS):
            names = ", ".join(f"w_{k}" for k in COMPONENTS)
            raise ValueError(
                f"{names} are all 0: every score would stay at score_min "
                f"({self.score_min:g}); give at least one component a weight above 0"
            )
        return self

    def constants(self) -> ScoringConstants:
        """The parameters as the score's kernels take them."""
        lo, hi = self.score_min, self.score_max
        w = np.array(
            [
                self.w_credit_history,
                self.w_fulfilment,
                self.w_behaviour,
                self.w_identity,
                self.w_relationships,
            ]
        )
        w = w / w.sum()  # not all 0: the parameters refuse that
        factor = self.pdo / np.log(2.0)
        return ScoringConstants(
            lo=float(lo),
            span=float(hi - lo),
            factor=float(factor),
            offset=float(self.base_points - factor * np.log(self.base_odds)),
            penalty=float(self.violation_penalty),
            spillover_penalty=float(
                self.spillover_penalty
                if self.spillover_form == "mean"
                else self.spillover_friend_penalty
            ),
            spillover_mean=self.spillover_form == "mean",
            spillover_cap=float(self.spillover_cap),
            post_cost=float(self.violation_penalty * self.weight_opinion),
            public=self.visibility == "public",
            weights=w,
            violation_weights=np.array(
                [0.0, self.weight_opinion, self.weight_history, self.weight_news],
                dtype=np.float32,
            ),
            decay=np.float32(self.violation_decay),
            expire_after=int(self.expire_after),
            identity=_IDENTITY,
        )


@register
class Scoring(Module):
    """Computes each citizen's score from five components, own violations and friends' ones."""

    name = "scoring"
    phase = Phase.SCORING
    policy = True
    Params = ScoringParams
    pars: ScoringParams
    states = (
        State("score", np.float32, 0, "the score, in [score_min, score_max]"),
        State(
            "score_credit_history",
            np.float32,
            0,
            "points from credit history",
            group="score component",
        ),
        State(
            "score_fulfilment",
            np.float32,
            0,
            "points from fulfilment capacity",
            group="score component",
        ),
        State(
            "score_behaviour",
            np.float32,
            0,
            "points from behaviour and preferences",
            group="score component",
        ),
        State(
            "score_identity", np.float32, 0, "points from identity traits", group="score component"
        ),
        State(
            "score_relationships",
            np.float32,
            0,
            "points from friends' scores",
            group="score component",
        ),
        State(
            "score_penalty",
            np.float32,
            0,
            "points lost to one's own violations",
            group="score penalty",
        ),
        State(
            "score_spillover",
            np.float32,
            0,
            "points lost to friends' violations",
            group="score penalty",
        ),
        State("violation_memory", np.float32, 0, "decaying sum of weighted violations"),
        State("violations", np.uint16, 0, "violations ever recorded"),
        State("months_since_violation", np.uint16, 65535, "months since the last violation"),
        State("speech_cost", np.float32, 0, "points one more opinion post would cost now"),
        State(
            "drag",
            np.float32,
            0,
            "points this citizen's violations cost a friend (in the mean form, a friend with "
            "the mean number of friends)",
        ),
        State("score_public", np.uint8, 0, "1 if others can look the score up"),
    )
    reads = (
        Read("violation_kind", 0),  # without expression, nobody violates
        Read("missed_payments", 0),  # without perks, no loan to miss
        Read("lifestyle", 0),  # without purchases, a neutral lifestyle
        Read("employed", 1),  # without the economy, everyone counts as employed
        Read("enrolled", 1),  # without enrolment, everyone is scored
    )
    measures = (
        Measure(
            "mean_score",
            "mean score of living adults",
            label="mean score",
            kind="points",
            headline=True,
        ),
        Measure(
            "score_sd",
            "standard deviation of living adults' scores",
            label="spread of scores (sd)",
            kind="points",
        ),
        Measure(
            "spillover_loss",
            "mean points living adults who never violated lose through friends' violations",
            label="points never-violators lose through friends",
            kind="points",
            better="lower",
            headline=True,
        ),
        *(
            Measure(
                f"score_p{q}",
                f"{q}th percentile of living adults' scores",
                label=f"{q}th percentile of scores",
                kind="points",
            )
            for q in QUANTILES
        ),
        Measure(
            "violations_opinion",
            "unpermitted opinions recorded this month",
            label="opinions recorded",
            kind="count",
            unit="posts",
        ),
        Measure(
            "violations_history",
            "alternative histories recorded this month",
            label="alternative histories recorded",
            kind="count",
            unit="posts",
        ),
        Measure(
            "violations_news",
            "embarrassing news posts recorded this month",
            label="news posts recorded",
            kind="count",
            unit="posts",
        ),
    )

    def marks(self) -> tuple[Mark, ...]:
        """The articles' score bands, by lower bound (the lowest, "poor", from the floor)."""
        return (
            *(Mark("score", lo, name, kind="band") for lo, name in BANDS),
            Mark("score", self.pars.score_min, "poor", kind="band"),
        )

    def init(self, ctx: Context) -> None:
        """Score everyone once so that the first month's decisions see a score."""
        ctx.people["score"][...] = (self.pars.score_min + self.pars.score_max) / 2
        self.step(ctx, record=False)

    def step(self, ctx: Context, record: bool = True) -> None:
        """Update violation memory, components and the score.

        Args:
            ctx: The run.
            record: Whether to record the measures (not at initialisation).
        """
        p, people, net, n = self.pars, ctx.people, ctx.network, ctx.n
        c = p.constants()
        lo, hi, span = p.score_min, p.score_max, c.span
        kind = ctx.read("violation_kind")
        mem = people["violation_memory"]
        rec = ViolationMemory(mem, people["months_since_violation"], people["violations"])
        _remember(n, kind, rec, c)

        age = people["age"]
        adults_income = people["income"][age >= ADULT_AGE]
        median_income = (
            max(float(np.median(adults_income, overwrite_input=True)), 1.0)
            if adults_income.size
            else 1.0
        )
        score = people["score"]
        friends_view = np.empty((n, 2), dtype=np.float32)
        np.subtract(score, lo, out=friends_view[:, 0])
        friends_view[:, 0] /= span
        if p.spillover_form == "capped":
            np.minimum(mem, np.float32(p.spillover_friend_cap), out=friends_view[:, 1])
            drag_per_memory = c.spillover_penalty
        else:
            friends_view[:, 1] = mem
            # What a unit of memory costs a friend with the mean number of friends: what
            # cutters weigh, without knowing their own share exactly.
            living = max(int(np.count_nonzero(people["alive"])), 1)
            drag_per_memory = c.spillover_penalty * living / max(ctx.network.indices.size, 1)
        x = ScoreInputs(
            friends_view=friends_view,
            memory=mem,
            age=age,
            income=people["income"],
            assets=people["assets"],
            missed=ctx.read("missed_payments"),
            employed=flag(ctx, "employed"),
            lifestyle=ctx.read("lifestyle"),
            occupation=people["occupation"],
            enrolled=flag(ctx, "enrolled"),
            median_income=median_income,
            drag_per_memory=float(drag_per_memory),
        )
        out = ScoreOutputs(
            score=score,
            credit_history=people["score_credit_history"],
            fulfilment=people["score_fulfilment"],
            behaviour=people["score_behaviour"],
            identity=people["score_identity"],
            relationships=people["score_relationships"],
            penalty=people["score_penalty"],
            spillover=people["score_spillover"],
            speech_cost=people["speech_cost"],
            drag=people["drag"],
            score_public=people["score_public"],
        )
        # Each row reads only friends_view and writes its own entries: the score is
        # updated in place.
        csr = Csr(net.indptr, net.indices)
        _compose(n, csr, x, c, out)
        del friends_view, x
        spill = out.spillover

        if not record:
            return
        adult = (people["alive"] == 1) & (age >= ADULT_AGE)
        s = score[adult]
        ctx.record("mean_score", float(s.mean()) if s.size else np.nan)
        ctx.record("score_sd", float(s.std()) if s.size else np.nan)
        if s.size:
            for q, v in zip(QUANTILES, binned_percentiles(s, lo, hi), strict=True):
                ctx.record(f"score_p{q}", v)
        clean = adult & (people["violations"] == 0)
        ctx.record("spillover_loss", float(spill[clean].mean()) if clean.any() else np.nan)
        for k, label in ((KIND_OPINION, "opinion"), (KIND_HISTORY, "history"), (KIND_NEWS, "news")):
            ctx.record(f"violations_{label}", float(np.count_nonzero(kind == k)))
