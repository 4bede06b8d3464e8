"""What a society is made of, as validated input: citizens' attributes and the network.

These specs sit on the ground floor so that the society builders can take them without
importing the scenario that holds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "DEFAULT_AGENTS",
    "EdgeListNetwork",
    "LifeTableSpec",
    "NetworkSpec",
    "PeopleSpec",
    "SocietySpec",
    "StrictModel",
    "SyntheticNetwork",
]

DEFAULT_AGENTS = 10_000


class StrictModel(BaseModel):
    """Base of every input model: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LifeTableSpec(StrictModel):
    """Mortality and fertility by age: the society's demographic regime, without any policy.

    Yearly mortality is Gompertz, ``mortality_30 * exp(mortality_growth * (age - 30))``,
    certain at ``max_age``. Fertility is flat over the ages ``fertility_min..fertility_max``
    (one parent per child) at the level that gives each newborn ``net_reproduction``
    children over its life, so 1 keeps the population stationary. The founding population's
    ages follow the stationary pyramid of this table.
    """

    mortality_30: float = Field(
        0.001, gt=0, le=0.5, description="yearly chance of death at age 30 (Gompertz level)"
    )
    mortality_growth: float = Field(
        0.085, ge=0, le=0.3, description="Gompertz growth of mortality per year of age"
    )
    max_age: int = Field(100, ge=40, le=120, description="age that nobody outlives, years")
    fertility_min: int = Field(20, ge=10, le=60, description="youngest age of parents, years")
    fertility_max: int = Field(40, ge=10, le=70, description="oldest age of parents, years")
    net_reproduction: float = Field(
        1.0,
        ge=0,
        le=3,
        description="children per newborn over its life (1: a stationary population)",
    )

    @model_validator(mode="after")
    def _ages_ordered(self) -> LifeTableSpec:
        if self.fertility_max < self.fertility_min:
            raise PydanticCustomError(
                "fertility_ages",
                "fertility_max ({hi}) must be at least fertility_min ({lo})",
                {"hi": self.fertility_max, "lo": self.fertility_min},
            )
        if self.fertility_max >= self.max_age:
            raise PydanticCustomError(
                "fertility_ages",
                "fertility_max ({hi}) must be below max_age ({top})",
                {"hi": self.fertility_max, "top": self.max_age},
            )
        return self


class PeopleSpec(StrictModel):
    """How synthetic citizens' attributes are drawn."""

    income_median: float = Field(9000.0, gt=0, le=1e7, description="median yearly income, USD")
    income_sigma: float = Field(0.7, ge=0, le=3, description="log-sd of income")
    assets_to_income: float = Field(
        2.0, gt=0, le=100, description="median ratio of assets to yearly income"
    )
    assets_sigma: float = Field(1.0, ge=0, le=4, description="log-sd of the assets ratio")
    age_min: int = Field(
        0, ge=0, le=119, description="youngest founding citizen's age, years (pyramid cut)"
    )
    age_max: int = Field(
        100, ge=1, le=120, description="oldest founding citizen's age, years (pyramid cut)"
    )
    independence_a: float = Field(2.0, gt=0, le=100, description="Beta a of independence")
    independence_b: float = Field(2.0, gt=0, le=100, description="Beta b of independence")
    dissenter_share: float = Field(
        0.15, ge=0, le=1, description="share privately holding dissenting views"
    )

    @field_validator("age_max")
    @classmethod
    def _ages_ordered(cls, v: int, info: Any) -> int:
        lo = info.data.get("age_min")
        if lo is not None and v <= lo:
            raise ValueError(f"must be greater than age_min ({lo})")
        return v


class SyntheticNetwork(StrictModel):
    """A generated network: communities, heavy-tailed degrees, community-ordered ids."""

    kind: Literal["communities"] = Field("communities", description="generated network")
    mean_degree: float = Field(20.0, gt=0, le=1000, description="mean number of ties")
    community_size: float = Field(100.0, ge=2, le=1e7, description="mean community size")
    within_share: float = Field(
        0.8, ge=0, le=1, description="share of ties inside one's own community"
    )
    degree_tail: float = Field(
        2.5, gt=2, le=10, description="Pareto exponent of the degree distribution"
    )


class EdgeListNetwork(StrictModel):
    """An imported anonymised topology: a CSV or Parquet file of id pairs, nothing else."""

    kind: Literal["edgelist"] = Field(description="imported topology")
    path: Path = Field(description="CSV or Parquet file, two columns of node ids")
    reorder: Literal["rcm", "none"] = Field(
        "rcm", description="renumber nodes so that neighbours are close (reverse Cuthill-McKee)"
    )
    nodes: int | None = Field(
        None,
        ge=1,
        le=200_000_000,
        description="node count, when ids are the integers 0..nodes-1: ids in no tie become "
        "citizens without friends (default: only ids found in the ties)",
    )


def _network_kind(value: Any) -> str | None:
    """Which network model a table describes; ``kind`` may be left out for the default."""
    if isinstance(value, dict):
        kind = value.get("kind", "communities")
        return kind if isinstance(kind, str) else None
    return getattr(value, "kind", None)


NetworkSpec = Annotated[
    Annotated[SyntheticNetwork, Tag("communities")] | Annotated[EdgeListNetwork, Tag("edgelist")],
    Discriminator(
        _network_kind,
        custom_error_type="network_kind",
        custom_error_message="kind must be 'communities' or 'edgelist'",
    ),
]


class SocietySpec(StrictModel):
    """The synthetic society a run starts from."""

    agents: int | None = Field(
        None,
        ge=10,
        le=200_000_000,
        description="number of citizens; 10,000 by default; an imported edge list sets it",
    )
    people: PeopleSpec = Field(PeopleSpec(), description="citizens' attributes")
    life_table: LifeTableSpec = Field(
        LifeTableSpec(), description="mortality and fertility by age, without any policy"
    )
    network: NetworkSpec = Field(SyntheticNetwork(), description="the social network")

    @model_validator(mode="before")
    @classmethod
    def _agents_for_network(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        net = data.get("network")
        imported = isinstance(net, dict | EdgeListNetwork) and (
            (net.get("kind") if isinstance(net, dict) else net.kind) == "edgelist"
        )
        if imported and data.get("agents") is not None:
            raise PydanticCustomError(
                "agents_with_edgelist",
                "an imported edge list sets the number of citizens; leave agents out",
                {"agents": data["agents"]},
            )
        if not imported and data.get("agents") is None:
            data = {**data, "agents": DEFAULT_AGENTS}
        return data

    @model_validator(mode="after")
    def _pyramid_within_life(self) -> SocietySpec:
        if self.people.age_max > self.life_table.max_age:
            raise PydanticCustomError(
                "age_beyond_life",
                "people.age_max ({age}) is beyond life_table.max_age ({top})",
                {"age": self.people.age_max, "top": self.life_table.max_age},
            )
        return self
