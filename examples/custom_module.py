"""A new mechanism in a few dozen lines, without touching the engine.

Rumours: each month a citizen who heard a rumour passes it to each friend with some chance.
Run it with ``python examples/custom_module.py``.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

import scoresim


class RumourParams(scoresim.Params):
    """Parameters of the rumour mill."""

    seeds: int = Field(10, ge=1, description="citizens who hear the rumour first")
    pass_chance: float = Field(0.05, ge=0, le=1, description="monthly chance per friend")


@scoresim.register
class Rumour(scoresim.Module):
    """A rumour spreads along ties."""

    name = "rumour"
    phase = scoresim.Phase.SOCIAL_RESPONSE
    Params = RumourParams
    pars: RumourParams
    states = (scoresim.State("heard", np.uint8, 0, "1 once the citizen heard the rumour"),)
    streams = ("seeds", "pass")  # every random decision, each its own stream
    measures = (
        scoresim.Measure(
            "heard_share",
            "share of citizens who heard the rumour",
            label="heard the rumour",
            kind="share",
            headline=True,
        ),
    )

    def init(self, ctx: scoresim.Context) -> None:
        """Tell the rumour to a few citizens drawn at random."""
        first = ctx.stream("seeds").generator(0).choice(ctx.n, self.pars.seeds, False)
        ctx.people["heard"][first] = 1

    def step(self, ctx: scoresim.Context) -> None:
        """Those who heard it pass it on, to each friend with some chance."""
        net, heard = ctx.network, ctx.people["heard"]
        src = np.repeat(np.arange(net.n), net.degree())  # the owner of each directed tie
        draw = ctx.stream("pass").uniform(ctx.t, src.size)
        told = net.indices[(heard[src] == 1) & (draw < self.pars.pass_chance)]
        heard[told] = 1
        ctx.record("heard_share", float(heard.mean()))


SCENARIO = """
name = "rumour-demo"
seed = 7
steps = 24
[society]
agents = 5000
[modules.rumour]
pass_chance = 0.03
"""


def main() -> float:
    import tomllib

    scenario = scoresim.parse_scenario(tomllib.loads(SCENARIO))
    result = scoresim.Simulation(scenario).run()
    share = result.final()["heard_share"]
    print(f"after {scenario.steps} months, {share:.1%} of citizens heard the rumour")
    return share


if __name__ == "__main__":
    main()
