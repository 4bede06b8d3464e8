"""A society: citizens (struct of arrays) and their social network."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from scoresim.core.errors import InputError
from scoresim.core.rng import Streams
from scoresim.core.specs import EdgeListNetwork, SocietySpec
from scoresim.society.edgelist import read_edgelist
from scoresim.society.lifetable import LifeTable
from scoresim.society.network import Network, normalise_pairs
from scoresim.society.people import People
from scoresim.society.population import ADULT_AGE, founding_parents, synthetic_people
from scoresim.society.synthetic import UnreachableDegreeError, synthetic_network

__all__ = ["Society", "build_society"]


@dataclass
class Society:
    """Citizens and ties; citizen ``i`` is node ``i``.

    Attributes:
        people: Per-citizen arrays.
        network: Ties between citizens.
        external_ids: For an imported topology, each node's id in the source file.
    """

    people: People
    network: Network
    external_ids: NDArray[np.generic] | None = None

    @property
    def n(self) -> int:
        """Number of citizens ever born (the dead included)."""
        return self.people.n

    @property
    def nbytes(self) -> int:
        """Bytes held by citizens' arrays and the adjacency."""
        return self.people.nbytes + self.network.nbytes

    def copy(self) -> Society:
        """A deep copy, so that several runs can start from one society."""
        people = People({k: v.copy() for k, v in self.people.arrays().items()}, self.people.fills)
        network = Network(self.network.indptr.copy(), self.network.indices.copy())
        ext = None if self.external_ids is None else self.external_ids.copy()
        return Society(people, network, ext)

    def grow(self, count: int) -> NDArray[np.int64]:
        """Add ``count`` citizens without ties; return their ids."""
        self.network.grow(count)
        return self.people.grow(count)


def _community_from_order(n: int, block: int = 100) -> NDArray[np.int32]:
    """Communities for an imported network: consecutive blocks of its locality order."""
    return (np.arange(n) // block).astype(np.int32)


def build_society(spec: SocietySpec, streams: Streams) -> Society:
    """Build the society a scenario describes.

    Founding children are linked to a parent (see
    :func:`~scoresim.society.population.founding_parents`). In a generated network the
    parent is also a friend, and the generator draws that many fewer ties, so that the mean
    degree is the configured one; an imported topology is kept as it is.

    Args:
        spec: Its society section.
        streams: The run's random streams (the module name ``"society"`` is reserved).

    Raises:
        InputError: If an imported edge list is unreadable, or a generated network cannot
            have its mean degree (see :func:`~scoresim.society.synthetic.synthetic_network`).
    """
    life = LifeTable(spec.life_table)
    net_spec = spec.network
    if isinstance(net_spec, EdgeListNetwork):
        network, labels = read_edgelist(net_spec.path, net_spec.reorder, net_spec.nodes)
        n = network.n
        people = synthetic_people(n, spec.people, life, _community_from_order(n), streams)
        founding_parents(people, life, streams)
        return Society(people, network, labels)
    assert spec.agents is not None  # the spec fills in the default for synthetic networks
    n = spec.agents
    pyramid = life.pyramid(spec.people.age_min, spec.people.age_max)
    family = 2.0 * float(pyramid[:ADULT_AGE].sum())  # parent ties per citizen, at most
    asked = net_spec  # as the scenario says it, before the parent ties are set apart
    if net_spec.mean_degree > 2 * family:
        net_spec = net_spec.model_copy(update={"mean_degree": net_spec.mean_degree - family})
    try:
        network, community = synthetic_network(n, net_spec, streams)
    except UnreachableDegreeError as exc:
        raise InputError(
            f"society.network.mean_degree = {asked.mean_degree:g}: cannot be reached with "
            f"agents = {n:,}, community_size = {asked.community_size:g} and within_share = "
            f"{asked.within_share:g} (only about {exc.share * asked.mean_degree:.1f} ties a "
            "citizen fit); lower mean_degree or within_share, or raise community_size"
        ) from None
    people = synthetic_people(n, spec.people, life, community, streams)
    children = founding_parents(people, life, streams)
    a, b = normalise_pairs(children, people["parent"][children].astype(np.int64), n)
    new = ~network.has_ties(a, b)
    network.add(a[new], b[new])
    network.commit()
    return Society(people, network)
