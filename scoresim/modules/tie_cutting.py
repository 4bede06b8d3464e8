"""Citizens cut friends who visibly drag their score down, and turn down such new friends.

Cut ties are replaced the way every society replaces lost friends (the friendship module's
search for new ties); what the score changes is who is accepted. Each citizen's ``refusal``
is the chance that someone they meet turns their friendship down, ``vetting`` times the
monthly chance a friend would cut them for their listing and visible drag.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.core.rng import uniform_at
from scoresim.modules.common import flag, living_adults
from scoresim.society.csr_kernels import BIT_CHUNK, Csr, bit_positions, set_bit
from scoresim.society.network import normalise_pairs
from scoresim.society.prefetch import PREFETCH_AHEAD, prefetch

F32 = NDArray[np.float32]


class TieCuttingConstants(NamedTuple):
    """What the cutting kernels take of the parameters (:meth:`TieCuttingParams.constants`).

    Attributes:
        shun_rate: Monthly chance of cutting a friend on the public blacklist.
        drag_rate: Monthly chance of cutting a friend per point the friend visibly costs.
        status_rate: Monthly chance of cutting a friend per 100 points of visibly lower score.
        max_cut: Cap on the monthly chance of cutting one tie.
    """

    shun_rate: float
    drag_rate: float
    status_rate: float
    max_cut: float


class Visible(NamedTuple):
    """What friends can see of each citizen (read only).

    Attributes:
        listed_publicly: 1 while on a public blacklist.
        score_public: 1 if the score can be looked up.
        drag: Points the citizen's violations cost a friend (scoring's ``drag``).
        score: The score.
    """

    listed_publicly: NDArray[np.uint8]
    score_public: NDArray[np.uint8]
    drag: F32
    score: F32


class Weighed(NamedTuple):
    """What each citizen weighs of friends (:func:`_seen_by_friends`) and whether they care.

    Attributes:
        cares: Whether the citizen protects a score (a living, enrolled adult).
        score: The citizen's own score.
        fixed: The part of a friend's cut chance from listing and visible drag.
        seen_score: The friend's score if visible, else NaN.
    """

    cares: NDArray[np.bool_]
    score: F32
    fixed: F32
    seen_score: F32


class TieCuttingParams(Params):
    """Parameters of score-driven tie cutting (monthly)."""

    cut_rate: float = param(
        0.01,
        "chance per month of cutting a friend per 10 points the friend costs",
        ge=0,
        le=1,
        plausible=(0.002, 0.05),
        why="assumption: the articles say people disconnect from those who draw them down",
    )
    shun_rate: float = param(
        0.02,
        "extra monthly chance of cutting a friend on the public blacklist",
        ge=0,
        le=1,
        plausible=(0.0, 0.1),
        why="assumption: Credit China lists who draws scores down",
    )
    status_rate: float = param(
        0.002,
        "monthly chance of cutting a friend per 100 points of visibly lower score",
        ge=0,
        le=1,
        plausible=(0.0, 0.01),
        why="assumption: the score as social worth",
    )
    max_cut: float = param(
        0.5,
        "cap on the monthly chance of cutting one tie",
        ge=0,
        le=1,
        why="keeps probabilities valid",
    )
    vetting: float = param(
        20.0,
        "chance that someone met turns down a new friend, over the monthly chance a friend "
        "would cut them (refusal = vetting x that chance, at most 1)",
        ge=0,
        le=1000,
        plausible=(0.0, 50.0),
        why="assumption: a friendship not yet made is cheaper to refuse than one to end; "
        "the articles: anyone can look anyone up",
    )

    def constants(self) -> TieCuttingConstants:
        """The parameters as the cutting kernels take them."""
        return TieCuttingConstants(
            shun_rate=float(self.shun_rate),
            drag_rate=float(self.cut_rate / 10.0),
            status_rate=float(self.status_rate),
            max_cut=float(self.max_cut),
        )


@twin
def _seen_by_friends(v: Visible, c: TieCuttingConstants) -> tuple[F32, F32]:
    """What friends weigh of each citizen, without float64 temporaries of n values.

    Returns:
        (the part of a friend's cut chance from listing and visible drag, the score if
        visible else NaN), both float32.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    listed = v.listed_publicly
    public = v.score_public
    drag = v.drag
    score = v.score
    shun_rate = c.shun_rate
    drag_rate = c.drag_rate
    n = score.size
    fixed = np.empty(n, dtype=np.float32)
    seen = np.empty(n, dtype=np.float32)
    for i in prange(n):
        visible = public[i] == 1
        fixed[i] = shun_rate * listed[i] + (drag_rate if visible else 0.0) * drag[i]
        seen[i] = score[i] if visible else np.nan
    return fixed, seen


@twin
def _cuts(csr: Csr, w: Weighed, base: np.uint64, consts: TieCuttingConstants) -> NDArray[np.uint64]:
    """Bit set over directed tie entries i->j: whether i cuts j this month.

    ``w.fixed[j]`` is the part of the chance that depends on j alone (visible drag, public
    listing) and ``w.seen_score[j]`` j's score if visible, else NaN; two gathers per tie
    instead of four. The draw of tie position ``p`` is ``uniform_at(base, p)``, made where
    it is used. Chunks of entries run in parallel, each following the rows it spans; a bit
    set is an eighth of a byte mask, at 100M citizens 125 MB instead of 1 GB.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    indptr = csr.indptr
    indices = csr.indices
    cares = w.cares
    score = w.score
    fixed = w.fixed
    seen_score = w.seen_score
    status_rate = consts.status_rate
    max_cut = consts.max_cut
    m = indices.size
    bits = np.zeros((m + 63) // 64, dtype=np.uint64)
    last = m - 1
    for c in prange((m + BIT_CHUNK - 1) // BIT_CHUNK):
        p = c * BIT_CHUNK
        p_end = min(m, p + BIT_CHUNK)
        i = np.searchsorted(indptr, p, side="right") - 1
        while p < p_end:
            while indptr[i + 1] <= p:
                i += 1
            row_end = min(indptr[i + 1], p_end)
            if cares[i]:
                si = score[i]
                for q in range(p, row_end):
                    ahead = indices[min(q + PREFETCH_AHEAD, last)]
                    prefetch(fixed, ahead)
                    prefetch(seen_score, ahead)
                    j = indices[q]
                    chance = fixed[j]
                    sj = seen_score[j]
                    if si > sj:  # False for NaN: an invisible score draws no status cut
                        chance += status_rate * (si - sj) / 100.0
                    if chance > 0.0 and uniform_at(base, q) < min(chance, max_cut):
                        set_bit(bits, q)
            p = row_end
    return bits


@register
class TieCutting(Module):
    """Each enrolled adult weighs each friend's visible drag on their score and may cut."""

    name = "tie_cutting"
    phase = Phase.SOCIAL_RESPONSE
    policy = True
    Params = TieCuttingParams
    pars: TieCuttingParams
    states = (
        State("ties_cut_by", np.uint16, 0, "ties this citizen cut for score reasons"),
        State("ties_lost", np.uint16, 0, "ties others cut with this citizen for score reasons"),
        State(
            "refusal",
            np.float32,
            0.0,
            "chance that someone this citizen meets turns their friendship down",
        ),
    )
    reads = (
        Read("score"),  # friends are cut to protect one's score
        Read("drag"),
        Read("score_public"),
        Read("enrolled", 1),  # without enrolment, every adult has a score to protect
        Read("listed_publicly", 0),  # without a blacklist, nobody is shunned for a listing
    )
    streams = ("cut",)
    measures = (
        Measure(
            "ties_cut",
            "ties cut for score reasons this month",
            label="ties cut for score reasons",
            kind="count",
            unit="ties",
            better="lower",
        ),
        Measure(
            "mean_refusal",
            "mean chance that someone a living adult meets turns their friendship down",
            label="chance a new friendship is refused",
            better="lower",
        ),
        Measure(
            "dissenter_ties_lost",
            "mean ties each living dissenter lost to others' score-driven cuts, so far",
            label="friends each dissenter lost to score-driven cuts",
            unit="ties",
            bounds=(0.0, None),
            better="lower",
            headline=True,
        ),
    )

    def step(self, ctx: Context) -> None:
        """Draw cuts over every directed tie; set who new acquaintances would turn down."""
        p, people, net, t, n = self.pars, ctx.people, ctx.network, ctx.t, ctx.n
        alive = people["alive"] == 1
        cares = living_adults(people) & flag(ctx, "enrolled")
        c = p.constants()
        score = ctx.read("score")
        visible = Visible(
            listed_publicly=ctx.read("listed_publicly"),
            score_public=ctx.read("score_public"),
            drag=ctx.read("drag"),
            score=score,
        )
        fixed, seen_score = _seen_by_friends(n, visible, c)
        csr = Csr(net.indptr, net.indices)
        weighed = Weighed(cares=cares, score=score, fixed=fixed, seen_score=seen_score)
        cut = _cuts(n, csr, weighed, ctx.stream("cut").base(t), c)
        del weighed, seen_score
        pos = bit_positions(cut, n)
        src = np.searchsorted(net.indptr, pos, side="right") - 1  # the row holding each cut
        dst = net.indices[pos].astype(np.int64)
        cu, cv = normalise_pairs(src, dst, n)
        net.cut(cu, cv)
        np.add.at(people["ties_cut_by"], src, 1)
        np.add.at(people["ties_lost"], dst, 1)

        refusal = people["refusal"]
        np.minimum(fixed * np.float32(p.vetting), np.float32(1.0), out=refusal)
        adults = living_adults(people)
        diss = alive & (people["dissenter"] == 1)
        ctx.record("ties_cut", float(cu.size))
        ctx.record("mean_refusal", float(refusal[adults].mean()) if adults.any() else 0.0)
        ctx.record(
            "dissenter_ties_lost", float(people["ties_lost"][diss].mean()) if diss.any() else 0.0
        )
