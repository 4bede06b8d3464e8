"""Small helpers the built-in modules share: who is an adult, optional flags."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoresim.core.context import Citizens, Context
from scoresim.society.population import ADULT_AGE

__all__ = [
    "ADULT_AGE",
    "KIND_HISTORY",
    "KIND_NEWS",
    "KIND_NONE",
    "KIND_OPINION",
    "flag",
    "living_adults",
]

#: Kinds of violation the expression module writes into ``violation_kind`` and the scoring
#: module weighs: the vocabulary the two share through that state.
KIND_NONE, KIND_OPINION, KIND_HISTORY, KIND_NEWS = 0, 1, 2, 3


def living_adults(people: Citizens) -> NDArray[np.bool_]:
    """Mask of living citizens aged ADULT_AGE or more."""
    return np.asarray((people["alive"] == 1) & (people["age"] >= ADULT_AGE))


def flag(ctx: Context, name: str) -> NDArray[np.bool_]:
    """Mask of another module's 0/1 state ``name`` (declared in the caller's ``reads``).

    Without the module owning it, every citizen has the default of the ``Read`` declaration
    (e.g. ``Read("enrolled", 1)``: everyone counts as enrolled when there is no enrolment).
    """
    return np.asarray(ctx.read(name) == 1)
