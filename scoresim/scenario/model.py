"""The scenario models: a run description validated into typed, frozen models.

``Scenario`` and ``RecordSpec`` with their checks (one-line names, plugin paths and imports,
each module's table against its ``Params``, the modules a module needs), and ``STORED``: the
validation context of a scenario read back as data.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from scoresim.core import registry
from scoresim.core.declare import Module
from scoresim.core.specs import SocietySpec, StrictModel, SyntheticNetwork
from scoresim.scenario.show import plain_number

#: Longest ``description``: it is stored with every run's results.
MAX_DESCRIPTION = 10_000
#: Plugins a scenario may import.
MAX_PLUGINS = 100
#: Bidirectional embeddings, overrides and isolates: they make a name read as another.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: A plugin is a Python module path: dotted identifiers.
_MODULE_PATH = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"

#: Validation context of a scenario read back from results or a checkpoint.
STORED = {"stored": True}


def _stored(info: ValidationInfo) -> bool:
    return bool(isinstance(info.context, dict) and info.context.get("stored"))


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
                        input=plain_number(net.mean_degree),
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
