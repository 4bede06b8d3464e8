from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scoresim import Scenario, parse_scenario

BASE_MODULES: dict[str, dict[str, Any]] = {
    "economy": {},
    "expression": {},
    "friendship": {},
    "demography": {},
    "network_stats": {},
}


def small_scenario(agents: int = 2000, steps: int = 24, seed: int = 11, **extra: Any) -> Scenario:
    data: dict[str, Any] = {
        "name": "small",
        "seed": seed,
        "steps": steps,
        "society": {"agents": agents},
        "modules": {k: dict(v) for k, v in BASE_MODULES.items()},
    }
    for key, value in extra.items():
        data[key] = value
    return parse_scenario(data)


@pytest.fixture
def scenario() -> Scenario:
    return small_scenario()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def write_design(path: Path, body: str) -> Path:
    """Write a sweep design file and return its path."""
    path.write_text(body)
    return path


LHS = """
name = "lhs-test"
scenario = "social-credit"
method = "lhs"
samples = 6
replicates = 2
seed = 3
outputs = ["expression_rate", "spillover_loss"]
[overrides]
"society.agents" = 500
steps = 12
[parameters]
"modules.scoring.violation_penalty" = { low = 0, high = 40 }
"modules.expression.fear" = { low = 0.0, high = 4.0 }
"""
