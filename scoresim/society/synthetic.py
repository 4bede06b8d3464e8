"""Synthetic networks: communities of heavy-tailed size-mixed degree, numbered in order.

A degree-corrected stochastic block model drawn in the Chung-Lu way. Each citizen gets an
expected degree from a Pareto law; each tie has an initiator (drawn in proportion to expected
degree) and a receiver, inside the initiator's community with probability ``within_share`` and
anywhere otherwise, again in proportion to expected degree. Citizens are numbered community by
community, so most neighbours sit close together in memory.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from scoresim.core.rng import Streams
from scoresim.core.specs import SyntheticNetwork
from scoresim.society import csr_kernels as kern
from scoresim.society.network import Network

__all__ = ["UnreachableDegreeError", "community_sizes", "synthetic_network"]

_MODULE = "society"
_MAX_ROUNDS = 6
#: Rounds drawn after the usual ones, for dense networks, where most draws repeat a tie.
_EXTRA_ROUNDS = 30
#: Shortfall of ties at which a network is refused rather than built sparser than asked.
UNREACHED = 0.02


class UnreachableDegreeError(ValueError):
    """The network cannot have the mean degree asked for.

    Its communities cannot hold ``within_share`` of that many distinct ties, or its
    population cannot hold them at all.

    Attributes:
        share: The share of the asked ties that could be drawn, or that fit at all.
    """

    def __init__(self, share: float):
        super().__init__(f"only {share:.0%} of the ties asked for fit")
        self.share = share


def community_sizes(n: int, mean_size: float, rng: np.random.Generator) -> NDArray[np.int64]:
    """Split ``n`` citizens into communities of lognormal size (mean ``mean_size``, >= 2)."""
    sigma = 0.5
    count = int(2 * n / mean_size) + 16
    sizes = np.maximum(
        2, np.rint(rng.lognormal(np.log(mean_size) - sigma**2 / 2, sigma, count))
    ).astype(np.int64)
    while sizes.sum() < n:
        sizes = np.concatenate([sizes, sizes])
    ends = np.cumsum(sizes)
    k = int(np.searchsorted(ends, n))
    sizes = sizes[: k + 1].copy()
    sizes[-1] -= ends[k] - n
    if sizes[-1] < 2 and sizes.size > 1:
        sizes[-2] += sizes[-1]
        sizes = sizes[:-1]
    return sizes


#: Ties drawn per chunk: the drawing's temporaries (about 100 bytes a tie) then stay near
#: 200 MB whatever the size of the society.
_CHUNK_TIES = 1 << 21


def _draw_tie_keys(
    count_scale: float,
    weight: NDArray[np.float64],
    start: NDArray[np.int64],
    stop: NDArray[np.int64],
    community: NDArray[np.int32],
    within_share: float,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Draw about ``count_scale * sum(weight) / 2`` ties, as keys ``u * n + v`` with u < v.

    Self-ties are dropped; duplicates are not (the caller sorts and de-duplicates).
    """
    n = weight.size
    initiated = rng.poisson(weight * (count_scale / 2.0))
    cum = np.cumsum(weight)
    lo_c = np.concatenate([[0.0], cum])[start]  # cumulative weight before each community
    hi_c = cum[stop - 1]
    parts = []
    drawn = np.cumsum(initiated)
    cuts = np.searchsorted(drawn, np.arange(_CHUNK_TIES, drawn[-1] if n else 0, _CHUNK_TIES))
    bounds = [0, *np.unique(cuts + 1).tolist(), n]
    for first, last in itertools.pairwise(bounds):
        if last <= first:
            continue
        src = np.repeat(np.arange(first, last, dtype=np.int64), initiated[first:last])
        u = rng.random(src.size)
        inside = rng.random(src.size) < within_share
        c = community[src]
        lo = np.where(inside, lo_c[c], 0.0)
        hi = np.where(inside, hi_c[c], cum[-1])
        dst = np.searchsorted(cum, lo + u * (hi - lo), side="right").astype(np.int64)
        # Rounding at a community's upper edge may land one past it; keep the draw inside.
        dst = np.where(inside, np.clip(dst, start[c], stop[c] - 1), np.minimum(dst, n - 1))
        keep = src != dst
        a, b = src[keep], dst[keep]
        parts.append(np.minimum(a, b) * n + np.maximum(a, b))
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def synthetic_network(
    n: int, spec: SyntheticNetwork, streams: Streams
) -> tuple[Network, NDArray[np.int32]]:
    """Generate the network of ``n`` citizens.

    Ties are kept as sorted unique keys ``u * n + v`` (8 bytes a tie) until the CSR is built.

    Returns:
        (network, community of each citizen). Mean degree is within 1% of the target.

    Raises:
        UnreachableDegreeError: If the ties drawn fall more than UNREACHED short of the
            target: the communities are too small to hold ``within_share`` of that many
            distinct ties, or the population too small to hold them at all.
    """
    rng = streams.stream(_MODULE, "network").generator(0)
    sizes = community_sizes(n, spec.community_size, rng)
    community = np.repeat(np.arange(sizes.size, dtype=np.int32), sizes)
    stop = np.cumsum(sizes)
    start = stop - sizes
    target = spec.mean_degree * n / 2.0
    # More ties than there are pairs are refused before any drawing. (Communities too small
    # for within_share of the ties are found by drawing: ties drawn "anywhere" may land
    # inside one's community too, so their pairs are no strict bound.)
    if target > n * (n - 1) / 2:
        raise UnreachableDegreeError(n * (n - 1) / 2 / target)
    alpha = spec.degree_tail
    weight = (1.0 - rng.random(n)) ** (-1.0 / (alpha - 1.0))
    np.minimum(weight, max(1.0, np.sqrt(n)), out=weight)  # no hub above ~sqrt(n) ties
    weight *= spec.mean_degree / weight.mean()
    keys = np.empty(0, dtype=np.int64)
    scale, within = 1.0, spec.within_share
    for done in range(_MAX_ROUNDS + _EXTRA_ROUNDS):
        before = keys.size
        new = _draw_tie_keys(scale, weight, start, stop, community, within, rng)
        drawn = new.size
        keys = kern.sorted_unique(np.concatenate([keys, new]))
        del new
        missing = target - keys.size
        if missing <= 0.01 * target:
            break
        # Duplicates fall mostly inside communities; top up each kind by what it lost.
        n_within = kern.count_within(keys, n, community)
        lack_in = max(0.0, spec.within_share * target - n_within)
        lack_out = max(0.0, (1 - spec.within_share) * target - (keys.size - n_within))
        within = lack_in / (lack_in + lack_out) if lack_in + lack_out > 0 else within
        scale = missing / target
        if done >= _MAX_ROUNDS - 1:
            # Past the usual rounds (whose draws are kept as they were, so that networks
            # that needed no more stay the same), the network is dense: most draws repeat
            # a tie. Draw more in proportion, at most the target's worth a round.
            gained = (keys.size - before) / max(drawn, 1)
            if keys.size - before < 1e-4 * target and done >= _MAX_ROUNDS + 2:
                break  # saturated: the rounds left would add next to nothing
            scale = min(scale / max(gained, 0.01), 1.0)
    if keys.size < (1 - UNREACHED) * target:
        raise UnreachableDegreeError(keys.size / target)
    surplus = keys.size - round(target)
    if surplus > 0:  # drop the surplus of the last top-up, at random (choosing the few to go)
        keys = np.delete(keys, rng.choice(keys.size, size=surplus, replace=False))
    return Network.from_keys(n, keys), community
