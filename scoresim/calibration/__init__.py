"""How sure are we: published targets, and what the model's runs give for them."""

from scoresim.calibration.targets import (
    DEFAULT_TARGETS,
    Target,
    TargetCheck,
    TargetLibrary,
    check,
    load_targets,
    target_value,
    value_at,
)

__all__ = [
    "DEFAULT_TARGETS",
    "Target",
    "TargetCheck",
    "TargetLibrary",
    "check",
    "load_targets",
    "target_value",
    "value_at",
]
