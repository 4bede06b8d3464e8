"""The coevolving voter model of Holme and Newman (2006), written as a scoresim module.

A canonical model of opinion dynamics on an adaptive network: each event, a random citizen
either (with probability ``phi``) moves one of its ties, to a random friend, over to a
stranger who shares its opinion, or (otherwise) adopts a random friend's opinion (the rule of
Holme and Newman's paper: any tie may move, so ties settle inside like-minded groups).
Events are sequential: each sees the network the previous one left, so the module edits ties
one at a time with a ``TieEditor`` (cost proportional to the edits; committed once per
step), and the run stops early once no tie joins two opinions (an absorbing state), through
``run(stop=...)``.

The known result (Holme & Newman, Phys. Rev. E 74, 056108): with ``phi`` small, opinions
spread before the network splits, and one opinion ends up holding a large share of the
citizens; with ``phi`` large, the network splits into many small like-minded groups first.

Run it: ``python examples/coevolving_voter.py``.
"""

from __future__ import annotations

import numpy as np

import scoresim
from scoresim import Context, Measure, Module, Params, Phase, State, param, register
from scoresim.society.editor import TieEditor

#: Tries to find a stranger of one's own opinion before an event gives up.
RETRIES = 8


class VoterParams(Params):
    """Rewiring probability, number of opinions, events per step."""

    phi: float = param(0.5, "chance an event rewires a tie instead of copying", ge=0, le=1)
    opinions: int = param(40, "number of distinct opinions at the start", ge=1, le=10_000)
    events: int = param(0, "events per step (0: one per citizen)", ge=0, le=10_000_000)


@register
class CoevolvingVoter(Module):
    """Holme-Newman: move a tie to someone like-minded with chance phi, else copy a friend."""

    name = "coevolving_voter"
    phase = Phase.SOCIAL_RESPONSE
    Params = VoterParams
    pars: VoterParams
    states = (State("opinion", np.int32, 0, "opinion held (0 .. opinions-1)"),)
    streams = ("initial", "event")
    discordant = -1  # ties joining two opinions after the last step (-1: not counted yet)
    measures = (
        Measure("discordant_ties", "ties joining two opinions", kind="count", unit="ties"),
        Measure("opinion_groups", "opinions still held by someone", kind="count"),
        Measure(
            "largest_opinion_share", "share of citizens holding the commonest opinion", kind="share"
        ),
        Measure("rewirings", "ties moved this step", kind="count", unit="ties"),
    )

    def init(self, ctx: Context) -> None:
        """Opinions drawn uniformly."""
        u = ctx.stream("initial").uniform(0, ctx.n)
        ctx.people["opinion"][:] = np.floor(u * self.pars.opinions).astype(np.int32)

    def step(self, ctx: Context) -> None:
        """Run the step's events one after another, then report."""
        n = ctx.n
        opinion = ctx.people["opinion"]
        events = self.pars.events or n
        # Who holds each opinion, kept up to date as opinions change (swap-remove): a
        # stranger of i's opinion is then a uniform pick among its holders.
        holders = [np.flatnonzero(opinion == g).tolist() for g in range(int(opinion.max()) + 1)]
        where = np.empty(n, dtype=np.int64)
        for members in holders:
            where[members] = np.arange(len(members))
        u = ctx.stream("event").uniform(ctx.t, 3 * events)
        picks = ctx.stream("event").uniform(ctx.t, RETRIES * events, sub=1)
        moved = 0
        with TieEditor(ctx.network) as ties:
            for e in range(events):
                i = int(u[3 * e] * n)
                friends = ties.neighbours(i)
                if friends.size == 0:
                    continue
                j = int(friends[int(u[3 * e + 1] * friends.size)])
                if u[3 * e + 2] < self.pars.phi:
                    # Move the tie (i, j) to a holder of i's opinion who is not yet a friend;
                    # a few tries, since i may already know most of them.
                    group = holders[opinion[i]]
                    for r in range(RETRIES):
                        k = int(group[int(picks[RETRIES * e + r] * len(group))])
                        if k != i and not ties.has(i, k):
                            ties.cut(i, j)
                            ties.add(i, k)
                            moved += 1
                            break
                elif opinion[i] != opinion[j]:
                    _move(holders, where, i, int(opinion[i]), int(opinion[j]))
                    opinion[i] = opinion[j]
        ctx.record("rewirings", moved)
        self._measure(ctx)

    def _measure(self, ctx: Context) -> None:
        opinion = ctx.people["opinion"]
        net = ctx.network
        owner = np.repeat(np.arange(ctx.n), net.degree())
        self.discordant = int(np.count_nonzero(opinion[owner] != opinion[net.indices])) // 2
        ctx.record("discordant_ties", float(self.discordant))
        counts = np.bincount(opinion, minlength=self.pars.opinions)
        ctx.record("opinion_groups", float(np.count_nonzero(counts)))
        ctx.record("largest_opinion_share", float(counts.max() / ctx.n))


def _move(holders: list[list[int]], where: np.ndarray, i: int, old: int, new: int) -> None:
    """Citizen ``i`` changes opinion from ``old`` to ``new``: O(1) swap-remove and append."""
    members = holders[old]
    last = members.pop()
    if last != i:
        members[where[i]] = last
        where[last] = where[i]
    where[i] = len(holders[new])
    holders[new].append(i)


def absorbed(sim: scoresim.Simulation) -> bool:
    """No tie joins two opinions: nothing can change any more."""
    voter = next(m for m in sim.modules if isinstance(m, CoevolvingVoter))
    return voter.discordant == 0


def run(phi: float, agents: int = 400, seed: int = 1) -> scoresim.RunResult:
    """One run until absorbed (or 2,000 steps): mean degree 4, ten citizens per opinion."""
    scenario = scoresim.parse_scenario(
        {
            "name": f"voter phi={phi}",
            "seed": seed,
            "steps": 2000,
            "society": {
                "agents": agents,
                "network": {"mean_degree": 4, "within_share": 0, "degree_tail": 10},
            },
            "modules": {"coevolving_voter": {"phi": phi, "opinions": agents // 10}},
            "record": {"ego_networks": 0},
        }
    )
    return scoresim.Simulation(scenario).run(stop=absorbed)


def main() -> dict[float, tuple[int, float]]:
    """Steps to absorption and the commonest opinion's share, for small and large phi."""
    out = {}
    for phi in (0.05, 0.95):
        result = run(phi)
        share = float(result.final()["largest_opinion_share"])
        out[phi] = (int(result.steps.size), share)
        print(
            f"phi = {phi}: absorbed after {result.steps.size} steps "
            f"(stopped early: {result.stopped_early}); the commonest opinion is held by "
            f"{share:.0%} of citizens"
        )
    return out


if __name__ == "__main__":
    main()
