"""Validation errors as one line per bad key: key path, value and what is allowed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from scoresim.core import registry
from scoresim.core.specs import EdgeListNetwork, SocietySpec, SyntheticNetwork
from scoresim.scenario.model import Scenario
from scoresim.scenario.show import one_line, plain_number, show_path, show_value

#: Problems reported at most, one line each; the others are counted on a last line.
MAX_PROBLEMS = 10


def _resolve_model(
    loc: tuple[int | str, ...], root: type[BaseModel] = Scenario
) -> type[BaseModel] | None:
    """The model whose field set applies to the table holding the key at ``loc``."""
    model: type[BaseModel] = root
    parts = list(loc[:-1])
    i = 0
    while i < len(parts):
        part = str(parts[i])
        if model is Scenario and part == "modules":
            if i + 1 >= len(parts):
                return None
            try:
                model = registry.get(str(parts[i + 1])).Params
            except KeyError:
                return None
            i += 2
            continue
        if model is SocietySpec and part == "network":
            tag = str(parts[i + 1]) if i + 1 < len(parts) else "communities"
            model = EdgeListNetwork if tag == "edgelist" else SyntheticNetwork
            i += 2 if i + 1 < len(parts) and parts[i + 1] in ("edgelist", "communities") else 1
            continue
        field = model.model_fields.get(part)
        ann = field.annotation if field is not None else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return None
        model = ann
        i += 1
    return model


#: Parts of pydantic's error locations that name types or union branches, not user keys.
_TYPE_PARTS = frozenset(
    {
        "int",
        "float",
        "str",
        "bool",
        "RangeParam",
        "ValuesParam",
        "list[str]",
        "list[constrained-str]",
        "literal['all']",
    }
)


_PLAIN = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "string_too_long": "must be at most {max_length:,} characters long",
    "string_too_short": "must be at least {min_length} characters long",
    "too_long": "must hold at most {max_length:,} items",
    "multiple_of": "must be a multiple of {multiple_of}",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "list_type": "must be a list",
    "missing": "is required",
}


def _describe(err: Any, root: type[BaseModel] = Scenario) -> tuple[str, str]:
    """Return (key path with value, what is wrong) for one pydantic error."""
    loc: tuple[int | str, ...] = tuple(err["loc"])
    # Discriminator tags (network kinds) and union branch names are pydantic's, not the user's.
    shown = [
        p
        for j, p in enumerate(loc)
        if not (j > 0 and loc[j - 1] == "network" and p in ("communities", "edgelist"))
        and p not in _TYPE_PARTS
    ]
    path = show_path(shown)
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _resolve_model(loc, root)
        allowed = ", ".join(model.model_fields) if model is not None else "see the docs"
        return path, f"unknown key; allowed keys here: {allowed}"
    if kind == "missing":
        return path, "is required"
    if kind == "agents_with_edgelist":
        return f"{path}.agents = {err['ctx']['agents']}", str(err["msg"])
    template = _PLAIN.get(kind)
    ctx = {k: plain_number(v) for k, v in (err.get("ctx") or {}).items()}
    msg = template.format(**ctx) if template else str(err["msg"])
    msg = msg.removeprefix("Value error, ")
    # A check of a whole table (score_min against score_max, a module's needs) names the
    # keys it is about itself: the table's contents would only hide the message.
    value = err.get("input")
    whole_table = isinstance(value, dict) and template is None
    where = path if whole_table else f"{path} = {show_value(value)}"
    return where, msg[:1].lower() + msg[1:]


def collect_problems(
    exc: ValidationError, root: type[BaseModel] = Scenario
) -> tuple[list[str], int]:
    """One problem a key path, alternatives of a union (e.g. "a list, or 'all'") joined.

    Returns:
        The problems, and how many errors were left unread once there were more than
        MAX_PROBLEMS (a list of 100,000 bad items is 100,000 errors).
    """
    problems: dict[str, list[str]] = {}
    errors = exc.errors()
    for done, err in enumerate(errors):
        if len(problems) > MAX_PROBLEMS:
            return [f"{k}: {'; or '.join(w)}" for k, w in problems.items()], len(errors) - done
        where, what = _describe(err, root)
        if what not in problems.setdefault(where, []):
            problems[where].append(what)
    return [f"{where}: {'; or '.join(w)}" for where, w in problems.items()], 0


def report_problems(problems: list[str], source: str, unread: int = 0, sep: str = "\n") -> str:
    """The problems as lines ``source: problem``, past MAX_PROBLEMS counted on a last line."""
    if len(problems) + (unread > 0) > MAX_PROBLEMS:
        unread += len(problems) - (MAX_PROBLEMS - 1)
        problems = problems[: MAX_PROBLEMS - 1]
    if unread:
        problems = [*problems, f"and {unread:,} more problems"]
    return sep.join(one_line(f"{source}: {p}") for p in problems)


def format_errors(exc: ValidationError, source: str, root: type[BaseModel] = Scenario) -> str:
    """One line per bad key: source, key path, value and what is allowed.

    Alternatives of a union (for example "a list, or 'all'") are joined on one line; past
    MAX_PROBLEMS lines the rest are counted on the last.
    """
    problems, unread = collect_problems(exc, root)
    return report_problems(problems, source, unread)
