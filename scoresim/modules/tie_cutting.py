"""Citizens cut friends who visibly drag their score down, and befriend safer people."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.registry import register
from scoresim.core.rng import uniform_at, uniforms_at
from scoresim.modules.common import flag, living_adults
from scoresim.modules.friendship import friend_of_friend
from scoresim.society.csr_kernels import BIT_CHUNK, bit_positions, set_bit
from scoresim.society.network import normalise_pairs
from scoresim.society.prefetch import PREFETCH_AHEAD, prefetch


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
    rewire_share: float = param(
        0.5,
        "chance a cut is followed by a new tie to a friend of a friend in good standing",
        ge=0,
        le=1,
        plausible=(0.0, 1.0),
        why="assumption: people replace lost company",
    )


@njit(cache=True, parallel=True)
def _seen_by_friends(
    listed: Any, public: Any, drag: Any, score: Any, shun_rate: float, drag_rate: float
) -> tuple[Any, Any]:
    """What friends weigh of each citizen, without float64 temporaries of n values.

    Returns:
        (the part of a friend's cut chance from listing and visible drag, the score if
        visible else NaN), both float32.
    """
    n = score.size
    fixed = np.empty(n, dtype=np.float32)
    seen = np.empty(n, dtype=np.float32)
    for i in prange(n):
        visible = public[i] == 1
        fixed[i] = shun_rate * listed[i] + (drag_rate if visible else 0.0) * drag[i]
        seen[i] = score[i] if visible else np.nan
    return fixed, seen


@njit(cache=True, parallel=True)
def _cuts(
    indptr: Any,
    indices: Any,
    cares: Any,
    fixed: Any,
    seen_score: Any,
    score: Any,
    base: Any,
    rates: Any,
) -> Any:
    """Bit set over directed tie entries i->j: whether i cuts j this month.

    ``fixed[j]`` is the part of the chance that depends on j alone (visible drag, public
    listing) and ``seen_score[j]`` j's score if visible, else NaN; two gathers per tie
    instead of four. The draw of tie position ``p`` is ``uniform_at(base, p)``, made where
    it is used. Chunks of entries run in parallel, each following the rows it spans; a bit
    set is an eighth of a byte mask, at 100M citizens 125 MB instead of 1 GB.
    """
    status_rate, max_cut = rates[0], rates[1]
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
    Params = TieCuttingParams
    pars: TieCuttingParams
    states = (
        State("ties_cut_by", np.uint16, 0, "ties this citizen cut for score reasons"),
        State("ties_lost", np.uint16, 0, "ties others cut with this citizen for score reasons"),
    )
    reads = (
        Read("score"),  # friends are cut to protect one's score
        Read("drag"),
        Read("score_public"),
        Read("enrolled", 1),  # without enrolment, every adult has a score to protect
        Read("listed_publicly", 0),  # without a blacklist, nobody is shunned for a listing
        Read("blacklisted", 0),  # nor avoided when making new friends
    )
    streams = ("cut", "rewire")
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
            "ties_rewired",
            "new ties formed after a score-driven cut this month",
            label="ties formed after a score-driven cut",
            kind="count",
            unit="ties",
        ),
        Measure(
            "dissenter_ties_lost",
            "mean ties each living dissenter lost to others' score-driven cuts, so far",
            label="friends each dissenter lost to score-driven cuts",
            unit="ties",
            better="lower",
            headline=True,
        ),
    )

    def step(self, ctx: Context) -> None:
        """Draw cuts over every directed tie, then rewire some cutters."""
        p, people, net, t, n = self.pars, ctx.people, ctx.network, ctx.t, ctx.n
        alive = people["alive"] == 1
        cares = living_adults(people) & flag(ctx, "enrolled")
        fixed, seen_score = _seen_by_friends(
            ctx.read("listed_publicly"),
            ctx.read("score_public"),
            ctx.read("drag"),
            ctx.read("score"),
            p.shun_rate,
            p.cut_rate / 10.0,
        )
        cut = _cuts(
            net.indptr,
            net.indices,
            cares,
            fixed,
            seen_score,
            ctx.read("score"),
            ctx.stream("cut").base(t),
            np.array([p.status_rate, p.max_cut]),
        )
        pos = bit_positions(cut)
        src = np.searchsorted(net.indptr, pos, side="right") - 1  # the row holding each cut
        dst = net.indices[pos].astype(np.int64)
        cu, cv = normalise_pairs(src, dst, n)
        net.cut(cu, cv)
        np.add.at(people["ties_cut_by"], src, 1)
        np.add.at(people["ties_lost"], dst, 1)

        cutters = np.unique(src)
        stream = ctx.stream("rewire")  # three draws per cutter, by id: only cutters'
        seek = cutters[uniforms_at(stream.base(t, 0), cutters) < p.rewire_share]
        target = friend_of_friend(
            net, seek, uniforms_at(stream.base(t, 1), seek), uniforms_at(stream.base(t, 2), seek)
        )
        ok = target >= 0
        good = np.zeros(target.size, dtype=bool)
        listed = flag(ctx, "blacklisted")
        good[ok] = alive[target[ok]] & (ctx.read("drag")[target[ok]] == 0) & ~listed[target[ok]]
        a, b = normalise_pairs(seek[good], target[good], n)
        fresh = ~net.has_ties(a, b)
        net.add(a[fresh], b[fresh])
        diss = alive & (people["dissenter"] == 1)
        ctx.record("ties_cut", float(cu.size))
        ctx.record("ties_rewired", float(np.count_nonzero(fresh)))
        ctx.record(
            "dissenter_ties_lost", float(people["ties_lost"][diss].mean()) if diss.any() else 0.0
        )
