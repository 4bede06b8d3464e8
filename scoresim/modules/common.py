"""Small helpers the built-in modules share: who is an adult, optional flags."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoresim.society.people import People

#: Age from which citizens post, are scored, enrol and count in adult measures.
ADULT_AGE = 18


def living_adults(people: People) -> NDArray[np.bool_]:
    """Mask of living citizens aged ADULT_AGE or more."""
    return np.asarray((people["alive"] == 1) & (people["age"] >= ADULT_AGE))


def flag(people: People, name: str, default: bool) -> NDArray[np.bool_]:
    """Mask ``people[name] == 1``, or ``default`` for everyone if no module declares ``name``.

    Lets a module work whether or not another is switched on (e.g. everyone counts as
    enrolled when there is no enrolment module).
    """
    if name in people:
        return np.asarray(people[name] == 1)
    return np.full(people.n, default, dtype=bool)
