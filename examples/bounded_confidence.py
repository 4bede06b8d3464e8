"""The opinions module in its textbook form: Deffuant-Weisbuch bounded confidence on a network.

Everything else is off: no score (so nobody is silenced and every public stance is the
private opinion), no expression, no friendship turnover (a fixed network), no demography,
no pull back to convictions (``anchoring = 0``), no gap in the founding opinions, and a
threshold of 0.5 with half the citizens on each side, so that opinions start uniform on
[0, 1]. What remains is Deffuant et al. (2000): random pairs of friends meet and, if their
opinions differ by less than the confidence bound, each moves ``convergence`` of the way to
the other. The classic result: a wide bound ends in consensus, a narrow one in several
opinion clusters, about ``1 / (2 x confidence)`` of them in a well-mixed population.

Run: ``.venv/bin/python examples/bounded_confidence.py``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoresim import Simulation, parse_scenario


def run(
    confidence: float, months: int = 600, agents: int = 2000, seed: int = 1
) -> NDArray[np.float64]:
    """Final opinions of the living after ``months`` of the textbook model."""
    scenario = parse_scenario(
        {
            "seed": seed,
            "steps": months,
            "burn_in": 0,
            "society": {
                "agents": agents,
                "people": {"dissenter_share": 0.5},
                "network": {"mean_degree": 20, "within_share": 0.2},
            },
            "modules": {
                "opinions": {
                    "confidence": confidence,
                    "convergence": 0.5,
                    "discuss_rate": 0.1,
                    "anchoring": 0.0,
                    "founding_gap": 0.0,
                    "dissent_threshold": 0.5,
                }
            },
            "record": {"snapshot_every": 0, "ego_networks": 0},
        }
    )
    sim = Simulation(scenario)
    sim.run()
    return np.asarray(sim.people["opinion"][sim.people["alive"] == 1], dtype=np.float64)


def clusters(opinions: NDArray[np.float64], gap: float = 0.02, share: float = 0.01) -> int:
    """Groups of opinions separated by more than ``gap``, holding at least ``share`` of all."""
    x = np.sort(opinions)
    breaks = np.flatnonzero(np.diff(x) > gap)
    sizes = np.diff(np.concatenate([[0], breaks + 1, [x.size]]))
    return int(np.count_nonzero(sizes >= share * x.size))


def main() -> dict[float, int]:
    """Print the number of opinion clusters for a narrow, a middle and a wide bound."""
    out = {}
    for confidence in (0.1, 0.2, 0.5):
        opinions = run(confidence)
        out[confidence] = clusters(opinions)
        print(
            f"confidence {confidence:.1f}: {out[confidence]} opinion clusters "
            f"(sd of opinions {opinions.std():.3f})"
        )
    return out


if __name__ == "__main__":
    main()
