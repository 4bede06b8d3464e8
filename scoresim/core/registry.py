"""Which modules exist, by the name scenario files use.

The registry is filled by ``@register`` when a module's file is imported: the built-in ones by
``import scoresim`` (the package imports ``scoresim.modules``), a user's through a scenario's
``plugins``. It imports no module itself, so the layers below the modules can use it.
"""

from __future__ import annotations

from scoresim.core.declare import Module

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
    return dict(_MODULES)


def get(name: str) -> type[Module]:
    """Return the module class registered as ``name``.

    Raises:
        KeyError: With the known names, if there is none.
    """
    if name not in _MODULES:
        raise KeyError(f"unknown module {name!r}; known: {', '.join(sorted(_MODULES))}")
    return _MODULES[name]
