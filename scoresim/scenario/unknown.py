"""Unknown keys, and flags given for numbers, taken out of a scenario before pydantic."""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from scoresim.core import registry
from scoresim.core.specs import EdgeListNetwork, SocietySpec, SyntheticNetwork
from scoresim.scenario.model import Scenario
from scoresim.scenario.show import show_key, show_path

#: Unknown keys named at most for one table; the others are counted.
SHOWN_KEYS = 3


def _allowed_keys(model: type[BaseModel]) -> set[str] | None:
    """The keys a table of ``model`` takes, or None where pydantic must judge them itself."""
    if model.model_config.get("extra") != "forbid":
        return None
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        if field.validation_alias is not None and not isinstance(field.validation_alias, str):
            return None  # alias choices: leave it to pydantic
        keys.add(name)
        keys.update(a for a in (field.alias, field.validation_alias) if isinstance(a, str))
    return keys


def _table_model(model: type[BaseModel], key: str, value: dict[str, Any]) -> type[BaseModel] | None:
    """The model of the table ``value`` found under ``key`` in a table of ``model``."""
    if model is SocietySpec and key == "network":
        kind = value.get("kind", "communities")
        nets: dict[Any, type[BaseModel]] = {
            "communities": SyntheticNetwork,
            "edgelist": EdgeListNetwork,
        }
        return nets.get(kind) if isinstance(kind, str) else None
    ann = model.model_fields[key].annotation
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def _unknown_line(path: tuple[Any, ...], unknown: list[Any], model: type[BaseModel]) -> str:
    allowed = ", ".join(model.model_fields)
    if len(unknown) == 1:
        return f"{show_path((*path, unknown[0]))}: unknown key; allowed keys here: {allowed}"
    shown = ", ".join(show_key(k) for k in unknown[:SHOWN_KEYS])
    more = f" and {len(unknown) - SHOWN_KEYS:,} more" if len(unknown) > SHOWN_KEYS else ""
    return f"{show_path(path)}: unknown keys {shown}{more}; allowed keys here: {allowed}"


def _numeric(annotation: Any) -> bool:
    """Whether a field of this type holds a number (possibly None), not a flag."""
    args = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else ()
    kinds = set(args) - {type(None)} if args else {annotation}
    return bool(kinds) and kinds <= {int, float}


def split_unknown(
    data: dict[Any, Any], model: type[BaseModel] = Scenario, path: tuple[Any, ...] = ()
) -> tuple[dict[Any, Any], list[str]]:
    """Take the unknown keys, and flags given as numbers, out of a scenario before pydantic.

    Pydantic makes one error per unknown key, and a file with 500,000 of them took minutes
    and a gigabyte to report them one line each. Here each table's unknown keys are one
    line, found with set lookups; the rest of the scenario is still validated, so every
    other problem is reported with them.

    Pydantic also takes ``true`` for the number 1: ``steps = true`` would run one month.
    Where a number is expected, a boolean is refused here.

    Returns:
        The scenario without those keys, and one line per table with unknown keys and per
        boolean given for a number.
    """
    allowed = _allowed_keys(model)
    if allowed is None:
        return data, []
    unknown = [k for k in data if k not in allowed]
    problems = [_unknown_line(path, unknown, model)] if unknown else []
    clean: dict[Any, Any] = {}
    for key, value in data.items():
        if key not in allowed:
            continue
        field = model.model_fields.get(key)
        if isinstance(value, bool) and field is not None and _numeric(field.annotation):
            shown = show_path((*path, key))
            problems.append(f"{shown} = {str(value).lower()}: must be a number, not a flag")
            continue
        if isinstance(value, dict) and field is not None:
            if model is Scenario and key == "modules":
                value, more = _split_modules(value)
            else:
                sub = _table_model(model, key, value)
                value, more = split_unknown(value, sub, (*path, key)) if sub else (value, [])
            problems += more
        clean[key] = value
    return clean, problems


def _split_modules(tables: dict[Any, Any]) -> tuple[dict[Any, Any], list[str]]:
    """:func:`split_unknown` for the module tables of the modules registered now.

    A plugin's module is registered only once its plugin is imported, during validation:
    pydantic checks its table.
    """
    known = registry.known()
    clean: dict[Any, Any] = {}
    problems: list[str] = []
    for name, pars in tables.items():
        cls = known.get(name) if isinstance(name, str) else None
        if cls is not None and isinstance(pars, dict):
            pars, more = split_unknown(pars, cls.Params, ("modules", name))
            problems += more
        clean[name] = pars
    return clean, problems
