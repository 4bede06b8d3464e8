"""How sure are we: published targets, calibration to them, and the claims' robustness."""

from scoresim.calibration.claims import DEFAULT_CLAIMS, Claim, ClaimLibrary, load_claims
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
    "DEFAULT_CLAIMS",
    "Claim",
    "ClaimLibrary",
    "load_claims",
    "DEFAULT_TARGETS",
    "Target",
    "TargetCheck",
    "TargetLibrary",
    "check",
    "load_targets",
    "target_value",
    "value_at",
]
