"""Friendship turnover: ties fade at random and new ones close triangles."""

from __future__ import annotations

import numpy as np
from numba import prange
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.core.rng import uniform_at, uniforms_at
from scoresim.society.csr_kernels import BIT_CHUNK, Csr, bit_positions, set_bit
from scoresim.society.gather import friend_of_friend
from scoresim.society.network import normalise_pairs


class FriendshipParams(Params):
    """Parameters of ordinary tie turnover (monthly)."""

    fade_rate: float = param(
        0.004,
        "monthly chance a tie fades",
        ge=0,
        le=1,
        plausible=(0.001, 0.01),
        why="about 5% of ties a year",
    )
    closure_rate: float = param(
        0.09,
        "monthly chance a citizen befriends a friend of a friend",
        ge=0,
        le=1,
        plausible=(0.03, 0.15),
        why="keeps mean degree near its start against fading and deaths",
    )


@twin
def _fading(csr: Csr, base: np.uint64, rate: float) -> NDArray[np.uint64]:
    """Bit set over tie entries: which ties fade this month.

    Tie u-v decides by the draw at the position of its (u < v) entry, ``uniform_at(base, p)``,
    made in the loop. Chunks of entries run in parallel, each following the rows it spans.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    indptr = csr.indptr
    indices = csr.indices
    m = indices.size
    bits = np.zeros((m + 63) // 64, dtype=np.uint64)
    for c in prange((m + BIT_CHUNK - 1) // BIT_CHUNK):
        p0 = c * BIT_CHUNK
        i = np.searchsorted(indptr, p0, side="right") - 1
        for p in range(p0, min(m, p0 + BIT_CHUNK)):
            while indptr[i + 1] <= p:
                i += 1
            if indices[p] > i and uniform_at(base, p) < rate:
                set_bit(bits, p)
    return bits


@register
class Friendship(Module):
    """Ties fade at a constant rate; citizens befriend friends of friends (triadic closure).

    This is the score-blind baseline of network change, present in every society; the scoring
    system's own tie cutting comes on top of it.
    """

    name = "friendship"
    phase = Phase.SOCIAL_RESPONSE
    order = 200  # after score-driven responses in the same phase
    Params = FriendshipParams
    pars: FriendshipParams
    streams = ("fade", "seek", "pick")
    measures = (
        Measure(
            "ties_faded",
            "ties that faded this month",
            label="ties faded",
            kind="count",
            unit="ties",
        ),
        Measure(
            "ties_formed",
            "new ties between friends of friends this month",
            label="ties formed",
            kind="count",
            unit="ties",
        ),
    )

    def step(self, ctx: Context) -> None:
        """Queue fading ties and new triadic ties."""
        net, t, n = ctx.network, ctx.t, ctx.n
        alive = ctx.people["alive"].astype(bool)
        csr = Csr(net.indptr, net.indices)
        fading = _fading(n, csr, ctx.stream("fade").base(t), self.pars.fade_rate)
        pos = bit_positions(fading, n)
        del csr, fading
        fu = np.searchsorted(net.indptr, pos, side="right") - 1  # the row holding each entry
        fv = net.indices[pos].astype(np.int64)
        net.cut(fu, fv)
        seekers = np.flatnonzero(alive & ctx.stream("seek").bernoulli(t, self.pars.closure_rate, n))
        pick = ctx.stream("pick")  # draws of the seekers only, indexed by their id
        target = friend_of_friend(
            net,
            seekers,
            uniforms_at(pick.base(t, 0), seekers),
            uniforms_at(pick.base(t, 1), seekers),
        )
        ok = target >= 0
        ok[ok] = alive[target[ok]]
        a, b = normalise_pairs(seekers[ok], target[ok], n)
        new = ~net.has_ties(a, b)
        net.add(a[new], b[new])
        ctx.record("ties_faded", float(fu.size))
        ctx.record("ties_formed", float(np.count_nonzero(new)))
