"""The life table: yearly mortality and fertility by age, and the stationary age pyramid.

Demography runs once a year: everyone ages one year, dies with the chance ``hazard(age)`` of
the new age, and survivors of fertile age have a child with the chance ``fertility(age)``;
newborns are 0. With ``S(a)`` the chance of surviving from birth to age ``a`` under those
rules, a population whose ages are distributed as ``S`` and whose fertility gives
``sum_a S(a) f(a) = net_reproduction = 1`` reproduces itself exactly in expectation: the
same births, deaths and pyramid every year. The founding population is drawn from that
pyramid, so a society without policy starts, and stays, stationary.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from scoresim.core.errors import InputError
from scoresim.core.specs import LifeTableSpec

__all__ = ["LifeTable"]


class LifeTable:
    """Mortality, survival and fertility by whole year of age, from a :class:`LifeTableSpec`.

    Args:
        spec: The society's life table section.

    Raises:
        InputError: If the net reproduction needs more than one child a year at fertile ages.
    """

    def __init__(self, spec: LifeTableSpec):
        self.spec = spec
        ages = np.arange(spec.max_age + 1, dtype=np.float64)
        hazard = np.minimum(1.0, spec.mortality_30 * np.exp(spec.mortality_growth * (ages - 30)))
        hazard[0] = 0.0  # nobody dies before their first birthday step: they are born at it
        hazard[spec.max_age] = 1.0
        self._hazard = hazard
        if self.fertility_rate > 1.0:
            raise InputError(
                f"society.life_table: net_reproduction {spec.net_reproduction:g} over ages "
                f"{spec.fertility_min}-{spec.fertility_max} needs {self.fertility_rate:.2f} "
                "children a year per citizen; at most 1 is possible (widen the fertile ages "
                "or lower net_reproduction)"
            )

    @cached_property
    def survival(self) -> NDArray[np.float64]:
        """Chance of living to each age 0..max_age (1 at 0, 0 at max_age)."""
        return np.asarray(np.cumprod(1.0 - self._hazard), dtype=np.float64)

    @property
    def fertility_rate(self) -> float:
        """Yearly chance of a child at each fertile age, for the table's net reproduction."""
        s = self.spec
        at_risk = float(self.survival[s.fertility_min : s.fertility_max + 1].sum())
        return s.net_reproduction / at_risk if at_risk > 0 else 0.0

    @property
    def life_expectancy(self) -> float:
        """Expected years of life at birth (whole years lived)."""
        return float(self.survival[1:].sum())

    def hazard(self, age: NDArray[np.floating]) -> NDArray[np.float64]:
        """Yearly chance of death at each (whole) age."""
        idx = np.clip(age.astype(np.int64), 0, self.spec.max_age)
        return self._hazard[idx]

    def fertility(self, age: NDArray[np.floating]) -> NDArray[np.float64]:
        """Yearly chance of a child at each age (0 outside the fertile ages)."""
        s = self.spec
        fertile = (age >= s.fertility_min) & (age <= s.fertility_max)
        return np.where(fertile, self.fertility_rate, 0.0)

    def pyramid(self, age_min: int = 0, age_max: int | None = None) -> NDArray[np.float64]:
        """Stationary share of each age 0..max_age, cut to ``age_min..age_max`` (sums to 1)."""
        top = self.spec.max_age if age_max is None else age_max
        weight = self.survival.copy()
        weight[:age_min] = 0.0
        weight[top + 1 :] = 0.0
        total = weight.sum()
        if total <= 0:
            raise ValueError(f"nobody lives to the ages {age_min}-{top} under this life table")
        return np.asarray(weight / total, dtype=np.float64)

    def share_below(self, age: int) -> float:
        """Stationary share of the population younger than ``age``."""
        return float(self.pyramid()[:age].sum())
