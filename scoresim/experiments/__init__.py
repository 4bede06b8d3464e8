"""Experiments: comparisons, sweeps and sensitivity, run through interchangeable executors."""

from scoresim.experiments.compare import compare
from scoresim.experiments.executors import (
    DaskExecutor,
    InProcessExecutor,
    PoolExecutor,
    make_executor,
)
from scoresim.experiments.spec import RunSpec, derive_seed

__all__ = [
    "DaskExecutor",
    "InProcessExecutor",
    "PoolExecutor",
    "RunSpec",
    "compare",
    "derive_seed",
    "make_executor",
]
