"""Synthetic citizens' attributes: age, income, assets, occupation, independence, dissent.

Ages follow the stationary pyramid of the society's life table; children are linked to a
parent of the right age in their community.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoresim.core.rng import Streams
from scoresim.core.specs import PeopleSpec
from scoresim.society.lifetable import LifeTable
from scoresim.society.people import OCCUPATIONS, People

__all__ = [
    "ADULT_AGE",
    "OCCUPATION_INCOME",
    "OCCUPATION_SHARE",
    "founding_parents",
    "synthetic_people",
]

_MODULE = "society"

#: Share of working-age citizens in each occupation (students and the retired set by age).
OCCUPATION_SHARE: dict[str, float] = {
    "worker": 0.36,
    "farmer": 0.20,
    "clerk": 0.12,
    "trader": 0.10,
    "teacher": 0.04,
    "engineer": 0.05,
    "government official": 0.04,
    "reporter": 0.005,
    "ceo": 0.005,
    "statistician": 0.005,
    "unemployed": 0.075,
}
#: Income multiplier of each occupation, relative to the median.
OCCUPATION_INCOME: dict[str, float] = {
    "student": 0.1,
    "worker": 0.9,
    "farmer": 0.6,
    "clerk": 1.0,
    "trader": 1.2,
    "teacher": 1.1,
    "engineer": 1.6,
    "government official": 1.4,
    "reporter": 1.3,
    "ceo": 4.0,
    "statistician": 1.3,
    "retired": 0.5,
    "unemployed": 0.2,
}
STUDENT_UNTIL = 22
RETIRE_AT = 65
#: Age from which citizens post, are scored, enrol and count in adult measures; younger
#: founders are linked to a parent.
ADULT_AGE = 18
#: Tries at drawing a parent of the right age from a child's community.
_PARENT_TRIES = 16


def income_multiplier() -> NDArray[np.float32]:
    """Income multiplier indexed by occupation code."""
    return np.array([OCCUPATION_INCOME[o] for o in OCCUPATIONS], dtype=np.float32)


def _stream(streams: Streams, decision: str) -> np.random.Generator:
    return streams.stream(_MODULE, decision).generator(0)


def synthetic_people(
    n: int, spec: PeopleSpec, life: LifeTable, community: NDArray[np.int32], streams: Streams
) -> People:
    """Draw ``n`` citizens' attributes, independently of their network position.

    Ages are whole years drawn from the life table's stationary pyramid, cut to the spec's
    ages. Each attribute draws from its own stream, so adding an attribute later leaves the
    others' values unchanged for a given seed. Parents are linked by :func:`founding_parents`.
    """

    def stream(decision: str) -> np.random.Generator:
        return _stream(streams, decision)

    pyramid = life.pyramid(spec.age_min, spec.age_max)
    age = stream("age").choice(pyramid.size, size=n, p=pyramid).astype(np.float32)
    jobs = [o for o in OCCUPATION_SHARE]
    share = np.array([OCCUPATION_SHARE[o] for o in jobs])
    job_code = np.array([OCCUPATIONS.index(o) for o in jobs], dtype=np.uint8)
    occupation = job_code[stream("occupation").choice(len(jobs), size=n, p=share / share.sum())]
    occupation[age < STUDENT_UNTIL] = OCCUPATIONS.index("student")
    occupation[age >= RETIRE_AT] = OCCUPATIONS.index("retired")
    base = stream("income").lognormal(np.log(spec.income_median), spec.income_sigma, n)
    income = (base * income_multiplier()[occupation]).astype(np.float32)
    ratio = stream("assets").lognormal(np.log(spec.assets_to_income), spec.assets_sigma, n)
    assets = (income * ratio).astype(np.float32)
    # Students own nothing of their own, like the children born later (who get the same
    # allowance, a tenth of a typical income).
    assets[occupation == OCCUPATIONS.index("student")] = 0.0
    independence = stream("independence").beta(spec.independence_a, spec.independence_b, n)
    mean_ind = spec.independence_a / (spec.independence_a + spec.independence_b)
    # Independent thinkers are likelier to hold dissenting views; the share matches the spec.
    p_dissent = np.clip(spec.dissenter_share * independence / mean_ind, 0.0, 1.0)
    dissenter = stream("dissenter").random(n) < p_dissent
    return People(
        {
            "alive": np.ones(n, dtype=np.uint8),
            "age": age,
            "income": income,
            "assets": assets,
            "occupation": occupation,
            "independence": independence.astype(np.float32),
            "dissenter": dissenter.astype(np.uint8),
            "community": community.astype(np.int32),
            "generation": np.zeros(n, dtype=np.uint16),
            "parent": np.full(n, -1, dtype=np.int32),
        },
        fills={"alive": 1, "parent": -1},
    )


def founding_parents(people: People, life: LifeTable, streams: Streams) -> NDArray[np.int64]:
    """Give each founding child (under ADULT_AGE) a parent from its own community.

    A parent is a founder whose age exceeds the child's by a fertile age of the life table
    (they had the child at an age they could). Each child draws candidates uniformly from its
    community, up to a few times; a child without a fitting candidate keeps ``parent == -1``
    (its parents live elsewhere). Writes ``people["parent"]``.

    Returns:
        The ids of the children who got a parent.
    """
    age, community = people["age"], people["community"]
    rng = _stream(streams, "parent")
    order = np.argsort(community, kind="stable")
    sizes = np.bincount(community, minlength=int(community.max()) + 1 if community.size else 0)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lo, hi = life.spec.fertility_min, life.spec.fertility_max
    children = np.flatnonzero(age < ADULT_AGE)
    parent = people["parent"]
    open_ = children
    for _ in range(_PARENT_TRIES):
        if open_.size == 0:
            break
        c = community[open_]
        pick = order[starts[c] + (rng.random(open_.size) * sizes[c]).astype(np.int64)]
        gap = age[pick] - age[open_]
        fits = (gap >= lo) & (gap <= hi)
        parent[open_[fits]] = pick[fits]
        open_ = open_[~fits]
    return children[parent[children] >= 0]
