"""Scenario files: TOML validated into typed, frozen models with unknown keys rejected."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import re
import stat
import tomllib
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from scoresim.core import registry
from scoresim.core.declare import Module
from scoresim.core.errors import ScenarioError
from scoresim.core.specs import EdgeListNetwork, SocietySpec, StrictModel, SyntheticNetwork

__all__ = [
    "MAX_FILE_BYTES",
    "RecordSpec",
    "Scenario",
    "STORED",
    "format_errors",
    "import_plugins",
    "load_scenario",
    "parse_scenario",
    "preset_names",
    "read_stored",
    "resolve_scenario_path",
]

PRESET_DIR = Path(__file__).parent / "presets"

#: Largest scenario file read. Real ones are a few kilobytes; the largest legitimate one (a
#: snapshot step for each of 100,000 months) is under 1 MB. A larger file is refused from its
#: size, before it is read, so that a stray 100 MB file costs nothing.
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Longest chain of ``extends`` (deeper is surely a mistake, and would exhaust the stack).
MAX_EXTENDS = 32
#: Longest ``description``: it is stored with every run's results.
MAX_DESCRIPTION = 10_000
#: Problems reported at most, one line each; the others are counted on a last line.
MAX_PROBLEMS = 10
#: Plugins a scenario may import.
MAX_PLUGINS = 100
#: Unknown keys named at most for one table; the others are counted.
SHOWN_KEYS = 3
#: Bidirectional embeddings, overrides and isolates: they make a name read as another.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: A plugin is a Python module path: dotted identifiers.
_MODULE_PATH = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"


class RecordSpec(StrictModel):
    """What a run records besides the per-step measures.

    Snapshots keep per-citizen state (and, at the first and the last snapshot, the ties) for
    the explorer and for analysis.
    """

    # Caps on list lengths and names keep a hostile file from costing minutes of validation
    # (one error per item) and from filling every message with its items.
    measures: list[Annotated[str, Field(max_length=200)]] | Literal["all"] = Field(
        "all", max_length=10_000, description="measure names to keep"
    )
    snapshot_steps: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=list,
        max_length=100_000,
        description="steps after which per-citizen state is saved (those past the run are ignored)",
    )
    snapshot_every: int = Field(
        0,
        ge=0,
        le=100_000,
        description="also snapshot every this many months and at the last step (0: no)",
    )
    snapshot_states: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=10_000,
        description="per-citizen states in snapshots (empty: all)",
    )
    ego_networks: int = Field(
        2,
        ge=0,
        le=100,
        description="dissenters whose ego networks are kept at the first and last step",
    )


class Scenario(StrictModel):
    """A complete, validated run description.

    ``modules`` maps module names to their parameters, already validated against each
    module's ``Params`` and completed with defaults.
    """

    name: str = Field(
        "scenario",
        min_length=1,
        max_length=200,
        description="a short label: one line, at most 200 characters",
    )
    description: str = Field(
        "", description=f"what the scenario is for, at most {MAX_DESCRIPTION:,} characters"
    )
    seed: int = Field(0, ge=0, le=2**63 - 1, description="run seed (common random numbers)")
    steps: int = Field(120, ge=1, le=100_000, description="months to simulate")
    burn_in: int = Field(
        36,
        ge=0,
        le=1200,
        multiple_of=12,
        description="months the society runs without the policy before it starts, whole "
        "years (recorded apart, as months -burn_in..-1)",
    )
    plugins: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=MAX_PLUGINS,
        description="Python modules to import first (they register user-defined modules)",
    )
    society: SocietySpec = Field(SocietySpec(), description="the synthetic society")
    modules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="one [modules.NAME] table per mechanism switched on"
    )
    record: RecordSpec = Field(RecordSpec(), description="what to record besides measures")

    @model_validator(mode="before")
    @classmethod
    def _import_plugins(cls, data: Any, info: ValidationInfo) -> Any:
        # Plugins register their modules on import, before [modules.*] tables are checked.
        # A stored scenario (results, checkpoints) is read as data: nothing is imported.
        if _stored(info):
            return data
        plugins = data.get("plugins") if isinstance(data, dict) else None
        # More plugins than allowed are not imported: the field's length check reports them.
        if isinstance(plugins, list) and len(plugins) <= MAX_PLUGINS:
            for name in plugins:
                if (
                    not isinstance(name, str)
                    or len(name) > 200
                    or not re.fullmatch(_MODULE_PATH, name)
                ):
                    continue  # the field's own checks report it
                try:
                    importlib.import_module(name)
                except Exception as exc:  # any import failure is the user's to fix
                    raise PydanticCustomError(
                        "plugin_import",
                        "cannot import plugin '{name}': {error}",
                        {"name": name, "error": f"{type(exc).__name__}: {exc}"},
                    ) from None
        return data

    @field_validator("plugins")
    @classmethod
    def _module_paths(cls, value: list[str]) -> list[str]:
        # Only a module path can be imported: anything else is refused before it is tried.
        errors = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "plugin_name", "must be a Python module path (dotted names)"
                ),
                loc=(i,),
                input=name,
            )
            for i, name in enumerate(value)
            if not re.fullmatch(_MODULE_PATH, name)
        ]
        if errors:
            raise ValidationError.from_exception_data("plugins", errors)
        return value

    @field_validator("name")
    @classmethod
    def _one_line_name(cls, value: str, info: ValidationInfo) -> str:
        # The name labels tables, figures, file names and log lines: one visible line.
        # Results written before this check are still read.
        if _stored(info):
            return value
        if not value.strip():
            raise PydanticCustomError("blank_name", "must not be blank")
        bad = next((c for c in value if _control(c) or c in _BIDI_CONTROLS), None)
        if bad is not None:
            raise PydanticCustomError(
                "name_control",
                "must be one line of visible text; it holds the control character U+{code}",
                {"code": f"{ord(bad):04X}"},
            )
        return value

    @field_validator("description")
    @classmethod
    def _printable_description(cls, value: str, info: ValidationInfo) -> str:
        # The description is stored with every run's results: a cap keeps it a description.
        # Results written before this check are still read.
        if _stored(info):
            return value
        if len(value) > MAX_DESCRIPTION:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": MAX_DESCRIPTION},
            )
        # Lines and tabs are fine in a description; other control characters garble output.
        bad = next((c for c in value if _control(c) and c not in "\t\n\r"), None)
        if bad is not None:
            raise PydanticCustomError(
                "description_control",
                "holds the control character U+{code}; only tabs and line breaks are allowed",
                {"code": f"{ord(bad):04X}"},
            )
        return value

    @field_validator("society")
    @classmethod
    def _degree_within_population(cls, value: SocietySpec, info: ValidationInfo) -> SocietySpec:
        # A citizen has at most agents - 1 friends: a larger mean degree cannot be honoured,
        # and the generator would quietly build a sparser network than asked.
        net = value.network
        if _stored(info) or not isinstance(net, SyntheticNetwork) or value.agents is None:
            return value
        if net.mean_degree >= value.agents:
            raise ValidationError.from_exception_data(
                "society",
                [
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "degree_above_population",
                            "must be below society.agents ({agents}): a citizen has at most "
                            "agents - 1 friends",
                            {"agents": value.agents},
                        ),
                        loc=("network", "mean_degree"),
                        input=_plain_number(net.mean_degree),
                    )
                ],
            )
        return value

    @field_validator("modules", mode="before")
    @classmethod
    def _validate_modules(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, dict):
            return value  # the dict type check reports it
        known = registry.known()
        errors: list[InitErrorDetails] = []
        out: dict[str, dict[str, Any]] = {}
        for name, pars in value.items():
            if name not in known and _stored(info) and isinstance(pars, dict):
                out[name] = pars  # a plugin's module, not imported: kept as stored
                continue
            if name not in known:
                errors.append(
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "unknown_module",
                            "unknown module; allowed: {allowed}",
                            {"allowed": ", ".join(sorted(known))},
                        ),
                        loc=(name,),
                        input=pars,
                    )
                )
                continue
            try:
                # Only a missing table means the defaults: `economy = false` is not a table,
                # and switching the module on would do the opposite of what it seems to say.
                pars = {} if pars is None else pars
                # The context tells checks that a stored scenario is read, not run.
                params = known[name].Params.model_validate(pars, context=info.context)
                out[name] = params.model_dump()
            except ValidationError as exc:
                for e in exc.errors():
                    errors.append(
                        InitErrorDetails(
                            type=PydanticCustomError(e["type"], e["msg"], e.get("ctx")),
                            loc=(name, *e["loc"]),
                            input=e["input"],
                        )
                    )
        # A stored run ran with what its version needed; and a module whose own table failed
        # is there all the same: only its own error is news.
        if not _stored(info) and not errors:
            errors += _missing_needs(out, known)
        if errors:
            raise ValidationError.from_exception_data("modules", errors)
        return out

    def snapshot_steps(self) -> list[int]:
        """Steps after which per-citizen state is saved, ascending."""
        rec = self.record
        steps = {t for t in rec.snapshot_steps if t < self.steps}
        if rec.snapshot_every:
            steps |= set(range(rec.snapshot_every - 1, self.steps, rec.snapshot_every))
            steps.add(self.steps - 1)
        return sorted(steps)

    def digest(self) -> str:
        """Return the scenario hash: sha256 of its canonical JSON (first 16 hex digits)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _control(c: str) -> bool:
    """Whether ``c`` is a control character or a line or paragraph separator."""
    return unicodedata.category(c) in ("Cc", "Zl", "Zp")


def _missing_needs(names: Iterable[str], known: dict[str, type[Module]]) -> list[InitErrorDetails]:
    """One error per module and missing module whose states it cannot run without.

    Each module declares the states it reads and whether it has a default for them (its
    ``reads``); a state read without a default needs a module that owns it in the same
    scenario. States no registered module owns (the society's own, or a plugin's not
    imported) are left to the engine's check at start.
    """
    owners: dict[str, set[str]] = {}
    for mod in known.values():
        for st in mod.states:
            owners.setdefault(st.name, set()).add(mod.name)
    present = set(names)
    errors: list[InitErrorDetails] = []
    for name in sorted(present):
        cls = known.get(name)
        if cls is None:
            continue
        lacking: dict[str, list[str]] = {}  # missing module(s) -> the states it would give
        for read in cls.reads:
            have = owners.get(read.name, set())
            if read.default is None and have and not have & present:
                lacking.setdefault(" or ".join(sorted(have)), []).append(read.name)
        for owner, states in lacking.items():
            errors.append(
                InitErrorDetails(
                    type=PydanticCustomError(
                        "module_needs",
                        "needs module {owner} (it reads {states} without a default); add "
                        "[modules.{first}] to the scenario",
                        {
                            "owner": owner,
                            "states": ", ".join(f"'{s}'" for s in states),
                            "first": owner.split(" or ")[0],
                        },
                    ),
                    loc=(name,),
                    input={},
                )
            )
    return errors


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

#: A key shown as it is written; any other is quoted.
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]{1,60}")


def _plain_number(x: Any) -> Any:
    return int(x) if isinstance(x, float) and x.is_integer() else x


def _show_key(key: Any) -> str:
    """A key as it can be shown on one line: bare if it is a plain name, else quoted, short."""
    text = str(key)
    if _BARE_KEY.fullmatch(text):
        return text
    if len(text) > 40:
        text = text[:37] + "..."
    # Invisible and line-breaking characters are written as escapes, so the key stays
    # visible and the message one line.
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text) + '"'


def _show_path(parts: Iterable[Any]) -> str:
    return ".".join(_show_key(p) for p in parts) or "(top level)"


def _show_value(value: Any) -> str:
    """A value as JSON, cut to 80 characters (long text and lists are cut before)."""
    if isinstance(value, str) and len(value) > 100:
        value = value[:100]
    elif isinstance(value, list | tuple) and len(value) > 20:
        value = list(value[:20])
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _one_line(text: str, limit: int = 2000) -> str:
    """``text`` with every line break made a space, cut to ``limit`` characters."""
    line = " ".join(text.splitlines())
    return line if len(line) <= limit else line[: limit - 3] + "..."


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
    path = _show_path(shown)
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
    ctx = {k: _plain_number(v) for k, v in (err.get("ctx") or {}).items()}
    msg = template.format(**ctx) if template else str(err["msg"])
    msg = msg.removeprefix("Value error, ")
    # A check of a whole table (score_min against score_max, a module's needs) names the
    # keys it is about itself: the table's contents would only hide the message.
    value = err.get("input")
    whole_table = isinstance(value, dict) and template is None
    where = path if whole_table else f"{path} = {_show_value(value)}"
    return where, msg[:1].lower() + msg[1:]


def _problems(exc: ValidationError, root: type[BaseModel] = Scenario) -> tuple[list[str], int]:
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


def _report(problems: list[str], source: str, unread: int = 0, sep: str = "\n") -> str:
    """The problems as lines ``source: problem``, past MAX_PROBLEMS counted on a last line."""
    if len(problems) + (unread > 0) > MAX_PROBLEMS:
        unread += len(problems) - (MAX_PROBLEMS - 1)
        problems = problems[: MAX_PROBLEMS - 1]
    if unread:
        problems = [*problems, f"and {unread:,} more problems"]
    return sep.join(_one_line(f"{source}: {p}") for p in problems)


def format_errors(exc: ValidationError, source: str, root: type[BaseModel] = Scenario) -> str:
    """One line per bad key: source, key path, value and what is allowed.

    Alternatives of a union (for example "a list, or 'all'") are joined on one line; past
    MAX_PROBLEMS lines the rest are counted on the last.
    """
    problems, unread = _problems(exc, root)
    return _report(problems, source, unread)


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
        return f"{_show_path((*path, unknown[0]))}: unknown key; allowed keys here: {allowed}"
    shown = ", ".join(_show_key(k) for k in unknown[:SHOWN_KEYS])
    more = f" and {len(unknown) - SHOWN_KEYS:,} more" if len(unknown) > SHOWN_KEYS else ""
    return f"{_show_path(path)}: unknown keys {shown}{more}; allowed keys here: {allowed}"


def _numeric(annotation: Any) -> bool:
    """Whether a field of this type holds a number (possibly None), not a flag."""
    args = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else ()
    kinds = set(args) - {type(None)} if args else {annotation}
    return bool(kinds) and kinds <= {int, float}


def _split_unknown(
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
            shown = _show_path((*path, key))
            problems.append(f"{shown} = {str(value).lower()}: must be a number, not a flag")
            continue
        if isinstance(value, dict) and field is not None:
            if model is Scenario and key == "modules":
                value, more = _split_modules(value)
            else:
                sub = _table_model(model, key, value)
                value, more = _split_unknown(value, sub, (*path, key)) if sub else (value, [])
            problems += more
        clean[key] = value
    return clean, problems


def _split_modules(tables: dict[Any, Any]) -> tuple[dict[Any, Any], list[str]]:
    """:func:`_split_unknown` for the module tables of the modules registered now.

    A plugin's module is registered only once its plugin is imported, during validation:
    pydantic checks its table.
    """
    known = registry.known()
    clean: dict[Any, Any] = {}
    problems: list[str] = []
    for name, pars in tables.items():
        cls = known.get(name) if isinstance(name, str) else None
        if cls is not None and isinstance(pars, dict):
            pars, more = _split_unknown(pars, cls.Params, ("modules", name))
            problems += more
        clean[name] = pars
    return clean, problems


def parse_scenario(
    data: dict[str, Any], source: str = "<scenario>", base_dir: Path | None = None
) -> Scenario:
    """Validate a scenario given as a dict (as read from TOML).

    Args:
        data: The scenario's keys and values.
        source: Name shown in error messages (usually the file path).
        base_dir: Directory against which a relative edge-list path is resolved.

    Raises:
        ScenarioError: One line per problem, each naming the key path, value and what is
            allowed (at most MAX_PROBLEMS lines; the rest are counted).
    """
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a table, not {type(data).__name__}")
    clean, problems = _split_unknown(data)
    try:
        scenario = Scenario.model_validate(clean)
    except ValidationError as exc:
        more, unread = _problems(exc)
        raise ScenarioError(_report([*problems, *more], source, unread)) from None
    if problems:
        raise ScenarioError(_report(problems, source))
    net = scenario.society.network
    if isinstance(net, EdgeListNetwork) and base_dir is not None and not net.path.is_absolute():
        net = net.model_copy(update={"path": (base_dir / net.path).resolve()})
        society = scenario.society.model_copy(update={"network": net})
        scenario = scenario.model_copy(update={"society": society})
    return scenario


#: Validation context of a scenario read back from results or a checkpoint.
STORED = {"stored": True}


def _stored(info: ValidationInfo) -> bool:
    return bool(isinstance(info.context, dict) and info.context.get("stored"))


def read_stored(data: str | bytes | dict[str, Any], source: str) -> Scenario:
    """A scenario read back from results or a checkpoint, as data.

    Nothing is imported: a stored scenario's plugins are code, run only when the scenario
    is run (:func:`import_plugins`). Their modules' tables are kept as they were stored.

    Raises:
        ScenarioError: If it does not validate in this version (one line).
    """
    prefix = f"{source}: the stored scenario does not validate in this version of scoresim: "
    if not isinstance(data, dict):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, nested too deep
            raise ScenarioError(_one_line(f"{prefix}not JSON: {exc}")) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{prefix}not a table but {type(data).__name__}")
    clean, problems = _split_unknown(data)
    unread = 0
    try:
        scenario = Scenario.model_validate(clean, context=STORED)
    except ValidationError as exc:
        more, unread = _problems(exc)
        problems += more
    if problems:
        raise ScenarioError(prefix + _report(problems, "stored scenario", unread, "; "))
    return scenario


def import_plugins(scenario: Scenario) -> None:
    """Import a scenario's plugins (code: do it only for scenarios you trust and run).

    Raises:
        ScenarioError: If one cannot be imported.
    """
    for name in scenario.plugins:
        try:
            importlib.import_module(name)
        except Exception as exc:  # any import failure is the user's to fix
            raise ScenarioError(
                _one_line(f"cannot import plugin {name!r}: {type(exc).__name__}: {exc}")
            ) from None


def preset_names() -> list[str]:
    """Names of the scenarios shipped with scoresim."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False where the name itself is impossible (too long, a NUL)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _shown(name: object) -> str:
    """A file name or preset name as given, on one line and cut short enough for a message."""
    return _one_line(str(name), 1000)


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """Return the file for a scenario given as a path or as a preset name.

    Raises:
        ScenarioError: If it is neither a regular file nor a preset (a directory or a pipe
            is named as such).
    """
    path = Path(name_or_path)
    if _is_file(path):
        return path
    preset = PRESET_DIR / f"{name_or_path}.toml"
    if _is_file(preset):
        return preset
    if _exists(path):
        kind = "a directory" if path.is_dir() else "not a regular file (a pipe or a device?)"
        raise ScenarioError(f"{_shown(name_or_path)}: is {kind}; give a scenario TOML file")
    raise ScenarioError(
        f"{_shown(name_or_path)}: no such scenario file, and no preset of that name; "
        f"presets: {', '.join(preset_names())}"
    )


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``over`` into a copy of ``base`` (tables merge, other values replace)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_text(path: Path) -> str:
    """A scenario file's text, refused if it is not a regular file or is too large to be one.

    Raises:
        ScenarioError: Not a regular file, larger than MAX_FILE_BYTES, unreadable, or not
            UTF-8.
    """
    try:
        # Non-blocking, so that a pipe put in a file's place cannot hang the open; fstat
        # then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as exc:
        raise ScenarioError(
            f"{_shown(path)}: cannot read: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(f"{_shown(path)}: is not a regular file; give a scenario TOML file")
        # The size is checked before reading, and the read is bounded too (some files, as
        # in /proc, say they are empty).
        raw = fh.read(MAX_FILE_BYTES + 1) if info.st_size <= MAX_FILE_BYTES else b""
        if info.st_size > MAX_FILE_BYTES or len(raw) > MAX_FILE_BYTES:
            size = max(info.st_size, len(raw))
            raise ScenarioError(
                f"{_shown(path)}: is {size:,} bytes or more; a scenario file is at most "
                f"{MAX_FILE_BYTES:,} bytes"
            )
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark, as some editors write, is fine
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{_shown(path)}: is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        ) from None


def _read_toml(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file, resolving ``extends`` (a preset name or a relative path)."""
    if path.resolve() in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path.resolve()))
        raise ScenarioError(f"{_shown(path)}: extends forms a cycle: {cycle}")
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(f"{_shown(path)}: extends chains more than {MAX_EXTENDS} files")
    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{_shown(path)}: malformed TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{_shown(path)}: malformed TOML: nested too deeply") from None
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(
            f"{_shown(path)}: extends = {_show_value(parent)}: must be a preset name or a path"
        )
    local = path.parent / parent
    if _is_file(local):
        base_path = local
    else:
        try:
            base_path = resolve_scenario_path(parent)
        except ScenarioError as exc:
            # Name the file whose extends it is: the base may be several files up a chain.
            why = str(exc).removeprefix(f"{_shown(parent)}: ")
            raise ScenarioError(f"{_shown(path)}: extends = {_show_value(parent)}: {why}") from None
    base = _read_toml(base_path, (*chain, path.resolve()))
    society = data.get("society")
    child_net = society.get("network") if isinstance(society, dict) else None
    if isinstance(child_net, dict) and child_net.get("kind") == "edgelist":
        # An imported network replaces the base's generated one, and sets the population.
        base_society = base.get("society")
        base_society = dict(base_society) if isinstance(base_society, dict) else {}
        base_society.pop("agents", None)
        base_society["network"] = {}
        base["society"] = base_society
    # A relative edge-list path in the base is relative to the base's own file.
    base_society = base.get("society")
    net = base_society.get("network") if isinstance(base_society, dict) else None
    if isinstance(net, dict) and isinstance(net.get("path"), str):
        # An impossible path is left as it is: reading the network reports it.
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            net["path"] = str((base_path.parent / net["path"]).resolve())
    return _merge(base, data)


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file or preset, with optional overrides.

    A file may start from another with ``extends = "NAME"`` (a preset or a path relative to
    it): its tables are merged key by key over the base's.

    Args:
        name_or_path: A TOML file, or the name of a preset (see :func:`preset_names`).
        overrides: Dotted key paths to values set before validation, e.g.
            ``{"society.agents": 1000, "seed": 3}``.

    Raises:
        ScenarioError: Missing file, not a regular file, larger than MAX_FILE_BYTES, not
            UTF-8, malformed TOML, or a value that does not validate.
    """
    path = resolve_scenario_path(name_or_path)
    data = _read_toml(path)
    for dotted, value in (overrides or {}).items():
        table = data
        *parents, last = dotted.split(".")
        for key in parents:
            nxt = table.setdefault(key, {})
            if not isinstance(nxt, dict):
                raise ScenarioError(f"{path}: {key} must be a table to set {dotted}")
            table = nxt
        current = table.get(last)
        # A table given as an override (e.g. TOML's dotted keys in a design file) merges into
        # the scenario's table instead of replacing it.
        table[last] = (
            _merge(current, value)
            if isinstance(value, dict) and isinstance(current, dict)
            else value
        )
    return parse_scenario(data, source=str(path), base_dir=path.parent.resolve())
