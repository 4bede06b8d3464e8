"""Which modules exist, by the name scenario files use."""

from __future__ import annotations

import importlib

from scoresim.engine.module import Module

__all__ = ["get", "known", "register"]

_MODULES: dict[str, type[Module]] = {}


def register(cls: type[Module]) -> type[Module]:
    """Class decorator making a module usable as ``[modules.NAME]`` in scenario files.

    Raises:
        ValueError: If another class already uses the name.
    """
    existing = _MODULES.get(cls.name)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"module name {cls.name!r} is taken by {existing.__qualname__}")
    _MODULES[cls.name] = cls
    return cls


def known() -> dict[str, type[Module]]:
    """Return every registered module, the built-in ones included."""
    importlib.import_module("scoresim.modules")
    return dict(_MODULES)


def get(name: str) -> type[Module]:
    """Return the module class registered as ``name``.

    Raises:
        KeyError: With the known names, if there is none.
    """
    modules = known()
    if name not in modules:
        raise KeyError(f"unknown module {name!r}; known: {', '.join(sorted(modules))}")
    return modules[name]
