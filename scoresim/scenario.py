"""Scenario files: TOML validated into typed, frozen models with unknown keys rejected."""

from __future__ import annotations

import hashlib
import importlib
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

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
from scoresim.core.errors import ScenarioError
from scoresim.core.specs import EdgeListNetwork, SocietySpec, StrictModel, SyntheticNetwork

__all__ = [
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


class RecordSpec(StrictModel):
    """What a run records besides the per-step measures.

    Snapshots keep per-citizen state (and, at the first and the last snapshot, the ties) for
    the explorer and for analysis.
    """

    measures: list[str] | Literal["all"] = Field("all", description="measure names to keep")
    snapshot_steps: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=list, description="steps after which per-citizen state is saved"
    )
    snapshot_every: int = Field(
        0,
        ge=0,
        le=100_000,
        description="also snapshot every this many months and at the last step (0: no)",
    )
    snapshot_states: list[str] = Field(
        default_factory=list, description="per-citizen states in snapshots (empty: all)"
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

    name: str = Field("scenario", min_length=1, max_length=200, description="a short label")
    description: str = Field("", description="what the scenario is for")
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
    plugins: list[str] = Field(
        default_factory=list,
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
        if isinstance(data, dict) and isinstance(data.get("plugins"), list):
            for name in data["plugins"]:
                if not isinstance(name, str):
                    continue  # the field's own type check reports it
                try:
                    importlib.import_module(name)
                except Exception as exc:  # any import failure is the user's to fix
                    raise PydanticCustomError(
                        "plugin_import",
                        "cannot import plugin '{name}': {error}",
                        {"name": name, "error": f"{type(exc).__name__}: {exc}"},
                    ) from None
        return data

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
                out[name] = known[name].Params.model_validate(pars or {}).model_dump()
            except ValidationError as exc:
                for e in exc.errors():
                    errors.append(
                        InitErrorDetails(
                            type=PydanticCustomError(e["type"], e["msg"], e.get("ctx")),
                            loc=(name, *e["loc"]),
                            input=e["input"],
                        )
                    )
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
    {"int", "float", "str", "bool", "RangeParam", "ValuesParam", "list[str]", "literal['all']"}
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
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "list_type": "must be a list",
    "missing": "is required",
}


def _plain_number(x: Any) -> Any:
    return int(x) if isinstance(x, float) and x.is_integer() else x


def _describe(err: Any, root: type[BaseModel] = Scenario) -> tuple[str, str]:
    """Return (key path with value, what is wrong) for one pydantic error."""
    loc: tuple[int | str, ...] = tuple(err["loc"])
    # Discriminator tags (network kinds) and union branch names are pydantic's, not the user's.
    shown = [
        str(p)
        for j, p in enumerate(loc)
        if not (j > 0 and loc[j - 1] == "network" and p in ("communities", "edgelist"))
        and p not in _TYPE_PARTS
    ]
    path = ".".join(shown) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _resolve_model(loc, root)
        allowed = ", ".join(model.model_fields) if model is not None else "see the docs"
        return path, f"unknown key; allowed keys here: {allowed}"
    if kind == "missing":
        return path, "is required"
    if kind == "agents_with_edgelist":
        return f"{path}.agents = {err['ctx']['agents']}", str(err["msg"])
    value = json.dumps(err.get("input"), default=str)
    if len(value) > 80:
        value = value[:77] + "..."
    template = _PLAIN.get(kind)
    ctx = {k: _plain_number(v) for k, v in (err.get("ctx") or {}).items()}
    msg = template.format(**ctx) if template else str(err["msg"])
    return f"{path} = {value}", msg[:1].lower() + msg[1:]


def format_errors(exc: ValidationError, source: str, root: type[BaseModel] = Scenario) -> str:
    """One line per bad key: source, key path, value and what is allowed.

    Alternatives of a union (for example "a list, or 'all'") are joined on one line.
    """
    problems: dict[str, list[str]] = {}
    for err in exc.errors():
        where, what = _describe(err, root)
        if what not in problems.setdefault(where, []):
            problems[where].append(what)
    return "\n".join(f"{source}: {where}: {'; or '.join(w)}" for where, w in problems.items())


def parse_scenario(
    data: dict[str, Any], source: str = "<scenario>", base_dir: Path | None = None
) -> Scenario:
    """Validate a scenario given as a dict (as read from TOML).

    Args:
        data: The scenario's keys and values.
        source: Name shown in error messages (usually the file path).
        base_dir: Directory against which a relative edge-list path is resolved.

    Raises:
        ScenarioError: One line per problem, each naming the key path, value and what is allowed.
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_errors(exc, source)) from None
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
        ScenarioError: If it does not validate in this version (one line per problem).
    """
    try:
        if isinstance(data, dict):
            return Scenario.model_validate(data, context=STORED)
        return Scenario.model_validate_json(data, context=STORED)
    except ValidationError as exc:
        raise ScenarioError(
            f"{source}: the stored scenario does not validate in this version of scoresim: "
            + format_errors(exc, "stored scenario").replace("\n", "; ")
        ) from None


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
                f"cannot import plugin {name!r}: {type(exc).__name__}: {exc}"
            ) from None


def preset_names() -> list[str]:
    """Names of the scenarios shipped with scoresim."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """Return the file for a scenario given as a path or as a preset name.

    Raises:
        ScenarioError: If it is neither an existing file nor a preset.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    preset = PRESET_DIR / f"{name_or_path}.toml"
    if preset.is_file():
        return preset
    raise ScenarioError(
        f"{name_or_path}: no such scenario file, and no preset of that name; "
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


def _read_toml(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file, resolving ``extends`` (a preset name or a relative path)."""
    if path.resolve() in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path.resolve()))
        raise ScenarioError(f"{path}: extends forms a cycle: {cycle}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: malformed TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: malformed TOML: nested too deeply") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from None
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: extends = {parent!r}: must be a preset name or a path")
    local = path.parent / parent
    base_path = local if local.is_file() else resolve_scenario_path(parent)
    base = _read_toml(base_path, (*chain, path.resolve()))
    child_net = data.get("society", {}).get("network", {})
    if isinstance(child_net, dict) and child_net.get("kind") == "edgelist":
        # An imported network replaces the base's generated one, and sets the population.
        society = base.setdefault("society", {})
        society.pop("agents", None)
        society["network"] = {}
    # A relative edge-list path in the base is relative to the base's own file.
    net = base.get("society", {}).get("network", {})
    if isinstance(net, dict) and isinstance(net.get("path"), str):
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
        ScenarioError: Missing file, malformed TOML, or a value that does not validate.
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
