"""Errors that reach users: each names what was wrong, the value and what is allowed."""

from __future__ import annotations


class ScoresimError(Exception):
    """Base class of every error scoresim raises on purpose."""


class InputError(ScoresimError):
    """Bad user input (scenario, option or data file); the CLI exits with code 2.

    Args:
        message: One line naming the source, the key path, the value and what is allowed.
    """


class ScenarioError(InputError):
    """A scenario file that cannot be read or does not validate."""


class RunFailedError(ScoresimError):
    """A run of an experiment failed in the code, not on its input; the CLI exits with 1."""
