"""Friendship turnover: ties fade at random; citizens below their sociability make new ones.

Each citizen keeps up about as many ties as their *sociability*: founders' is their degree
in the founding network, newborns' that of a random citizen. Every month ties fade at a
constant rate; a citizen short of ties looks for a new friend with a chance that rises with
the shortfall, meets a candidate through a friend (triadic closure), in their community, or
anywhere, and the two become friends if the candidate is short of ties too and neither turns
the other down (``refusal``, which a scoring policy may set; 0 otherwise) or finds the other's
public stance too far from theirs (``homophily``). Formation thus
balances dissolution (fading, deaths, and any score-driven cutting) near the founding mean
degree: the network of a society without policy stays put, while ties a policy cuts are
replaced where people find new friends willing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import prange
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.core.rng import Stream, uniform_at, uniforms_at
from scoresim.society.csr_kernels import Csr, pair_key, sample_ties
from scoresim.society.gather import friend_of_friend
from scoresim.society.network import normalise_pairs

#: Most attempts at a new friend a citizen makes in one month.
MAX_ATTEMPTS = 8


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
    seek_rate: float = param(
        0.5,
        "attempts at a new friend a month, per missing tie (at most 8 a month)",
        ge=0,
        le=1,
        plausible=(0.1, 1.0),
        why="lost friends are replaced within months, not years",
    )
    homophily: float = param(
        0.5,
        "how much less likely a pair befriends per unit of distance between their public "
        "stances (acceptance 1 - homophily x distance)",
        ge=0,
        le=1,
        plausible=(0.0, 1.0),
        why="McPherson, Smith-Lovin and Cook 2001: friends share views (birds of a feather)",
    )
    closure_share: float = param(
        0.5,
        "share of new friends met through a friend (triadic closure); the others are met in "
        "one's community or anywhere, as in the founding network",
        ge=0,
        le=1,
        plausible=(0.2, 0.8),
        why="about half of new ties close a triangle in panel studies of friendship",
    )


@twin
def _shortfall(
    csr: Csr,
    faded: NDArray[np.int32],
    alive: NDArray[np.uint8],
    soc: NDArray[np.float32],
    base: np.uint64,
    seek_rate: float,
) -> tuple[NDArray[np.float32], NDArray[np.uint8], int, float]:
    """Each citizen's missing ties and attempts this month, in one pass.

    A living citizen misses ``sociability - degree`` ties (degree after this month's fading);
    they make ``seek_rate`` attempts per missing tie, at most MAX_ATTEMPTS, rounded at random
    with the draw ``uniform_at(base, i)``. Returns (missing ties, 0 for the dead; attempts;
    the living; their missing ties summed).
    """
    indptr = csr.indptr
    n = alive.size
    short = np.zeros(n, dtype=np.float32)
    attempts = np.zeros(n, dtype=np.uint8)
    living = 0
    missing = 0.0
    for i in prange(n):
        # An if-block, not `continue`: numba's prange with reductions can mishandle a skip.
        if alive[i] == 1:
            miss = soc[i] - (indptr[i + 1] - indptr[i] - faded[i])
            short[i] = miss
            living += 1
            missing += miss
            if miss > 0:
                wish = min(seek_rate * miss, MAX_ATTEMPTS)
                attempts[i] = int(wish + uniform_at(base, i))
    return short, attempts, living, missing


def _accepted(
    stream: Stream,
    t: int,
    a: NDArray[np.int64],
    b: NDArray[np.int64],
    refusal: NDArray[np.floating],
) -> NDArray[np.bool_]:
    """Whether each pair accept each other: each side turns the other down with its refusal.

    Each side's draw is keyed by the pair, so it does not depend on which pairs others form.
    """
    key = pair_key(a, b)
    first = uniforms_at(stream.base(t, 0), key) >= refusal[b]
    second = uniforms_at(stream.base(t, 1), key) >= refusal[a]
    return np.asarray(first & second)


def _consecutive_pairs(
    groups: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pair positions 0-1, 2-3, ... within runs of equal ``groups`` (sorted).

    Returns:
        The first position of each pair, and the positions left over (one per odd run).
    """
    if groups.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], groups[1:] != groups[:-1]]))
    run_start = np.repeat(starts, np.diff(np.concatenate([starts, [groups.size]])))
    rank = np.arange(groups.size) - run_start
    last = np.concatenate([groups[1:] != groups[:-1], [True]])
    first = np.flatnonzero((rank % 2 == 0) & ~last)
    left = np.flatnonzero((rank % 2 == 0) & last)
    return first, left


@register
class Friendship(Module):
    """Ties fade at a constant rate; citizens short of ties befriend others short of ties.

    This is the score-blind baseline of network change, present in every society; the scoring
    system's own tie cutting comes on top of it.
    """

    name = "friendship"
    phase = Phase.SOCIAL_RESPONSE
    order = 200  # after score-driven responses in the same phase
    Params = FriendshipParams
    pars: FriendshipParams
    states = (
        State(
            "sociability",
            np.float32,
            -1.0,
            "ties the citizen keeps up when they can (founders: their first degree)",
        ),
    )
    reads = (
        Read("refusal", 0),  # without a policy, nobody turns a new friend down
        Read("stance", 0.5),  # without opinions, all look alike: no homophily
    )
    streams = ("fade", "seek", "route", "pick", "sociability", "accept")
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
            "new ties between citizens short of ties, this month",
            label="ties formed",
            kind="count",
            unit="ties",
        ),
        Measure(
            "tie_shortfall",
            "mean of sociability minus degree over the living (0: everyone has the ties "
            "they keep up)",
            label="missing ties per citizen",
            unit="ties",
        ),
    )

    _within = 0.0  # share of founding ties inside a community, learnt at the start
    _seen_n = 0  # citizens ever born when newborns were last given a sociability

    def init(self, ctx: Context) -> None:
        """Founders keep up their first degree; learn how many ties stay in a community."""
        net, people = ctx.network, ctx.people
        soc = people["sociability"]
        unset = soc < 0
        soc[unset] = net.degree()[unset]
        u, v = net.sources(), net.indices
        comm = people["community"]
        self._within = float(np.mean(comm[u] == comm[v])) if v.size else 0.0

    def get_state(self) -> dict[str, NDArray[Any]]:
        """The within-community share learnt at the start."""
        return {"within": np.array([self._within])}

    def set_state(self, state: dict[str, NDArray[Any]]) -> None:
        """Restore the within-community share."""
        self._within = float(state["within"][0])

    def step(self, ctx: Context) -> None:
        """Fade ties; citizens short of ties meet candidates short of ties and befriend them."""
        p, net, t, n = self.pars, ctx.network, ctx.t, ctx.n
        people = ctx.people
        alive = people["alive"]
        soc = people["sociability"]
        self._newborns(ctx, alive, soc)
        fu, fv = sample_ties(net.indptr, net.indices, ctx.stream("fade").generator(t), p.fade_rate)
        net.cut(fu, fv)
        faded = np.zeros(n, dtype=np.int32)
        np.add.at(faded, fu, 1)
        np.add.at(faded, fv, 1)
        short, attempts, living, missing = _shortfall(
            n,
            Csr(net.indptr, net.indices),
            faded,
            alive,
            soc,
            ctx.stream("seek").base(t),
            float(p.seek_rate),
        )
        del faded
        seekers = np.flatnonzero(attempts)
        a, b = self._pairs(ctx, seekers, attempts[seekers].astype(np.int64), short)
        new = ~net.has_ties(a, b) & _accepted(ctx.stream("accept"), t, a, b, ctx.read("refusal"))
        if p.homophily > 0:
            distance = np.abs(ctx.read("stance")[a] - ctx.read("stance")[b])
            liked = uniforms_at(ctx.stream("accept").base(t, 2), pair_key(a, b))
            new &= liked < 1.0 - p.homophily * distance
        net.add(a[new], b[new])
        formed = int(np.count_nonzero(new))
        ctx.record("ties_faded", float(fu.size))
        ctx.record("ties_formed", float(formed))
        missing -= 2.0 * formed
        ctx.record("tie_shortfall", missing / living if living else np.nan)

    def _newborns(self, ctx: Context, alive: NDArray[np.uint8], soc: NDArray[Any]) -> None:
        """Citizens born since last month take the sociability of a random living citizen."""
        if ctx.n == self._seen_n:  # nobody was born: no need to look
            return
        self._seen_n = ctx.n
        new = np.flatnonzero((soc < 0) & (alive == 1))
        if new.size == 0:
            return
        pool = np.flatnonzero((alive == 1) & (soc >= 0))
        if pool.size == 0:
            soc[new] = 0.0
            return
        u = uniforms_at(ctx.stream("sociability").base(ctx.t), new)
        soc[new] = soc[pool[(u * pool.size).astype(np.int64)]]

    def _pairs(
        self,
        ctx: Context,
        seekers: NDArray[np.int64],
        attempts: NDArray[np.int64],
        short: NDArray[np.float32],
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """New ties for this month's attempts: through a friend, else with another seeker.

        Each attempt that goes through a friend (``closure_share``) meets a random friend's
        friend, who becomes a friend if short of ties too. Every other attempt, and those
        whose friend's friend was not short, meet one another: in their community with the
        share of founding ties inside communities, else anywhere, in random pairs.

        Args:
            ctx: The run.
            seekers: The citizens who make attempts this month.
            attempts: Their numbers of attempts.
            short: Each citizen's missing ties.
        """
        p, net, t, n = self.pars, ctx.network, ctx.t, ctx.n
        alive = ctx.people["alive"]
        route_s, pick = ctx.stream("route"), ctx.stream("pick")
        parts: list[tuple[NDArray[Any], ...]] = []
        for k in range(int(attempts.max(initial=0))):  # attempt k draws from its own blocks
            ids = seekers[attempts > k]
            parts.append(
                (
                    ids,
                    uniforms_at(route_s.base(t, k), ids),
                    uniforms_at(pick.base(t, 2 * k), ids),
                    uniforms_at(pick.base(t, 2 * k + 1), ids),
                )
            )
        if not parts:
            return normalise_pairs(np.empty(0, np.int64), np.empty(0, np.int64), n)
        seekers, route, u1, u2 = (np.concatenate(c) for c in zip(*parts, strict=True))
        closure = route < p.closure_share
        friend = friend_of_friend(net, seekers[closure], u1[closure], u2[closure])
        ok = friend >= 0
        ok[ok] = (alive[friend[ok]] == 1) & (short[friend[ok]] > 0)
        met = np.zeros(seekers.size, dtype=bool)
        met[np.flatnonzero(closure)[ok]] = True
        elsewhere = (route - p.closure_share) / max(1.0 - p.closure_share, 1e-12)
        local = ~met & (closure | (elsewhere < self._within))
        comm = ctx.people["community"][seekers].astype(np.int64)
        # Random pairs inside each community: sorted by community, then by a draw.
        order = np.flatnonzero(local)[np.lexsort((u2[local], comm[local]))]
        first, left = _consecutive_pairs(comm[order])
        pool = np.concatenate([order[left], np.flatnonzero(~met & ~local)])
        pool = pool[np.argsort(u2[pool], kind="stable")]
        pairs_pool = np.arange(0, pool.size - 1, 2)
        a = np.concatenate([seekers[closure][ok], seekers[order[first]], seekers[pool[pairs_pool]]])
        b = np.concatenate([friend[ok], seekers[order[first + 1]], seekers[pool[pairs_pool + 1]]])
        return normalise_pairs(a, b, n)
