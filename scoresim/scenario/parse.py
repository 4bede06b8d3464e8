"""A scenario from data: a table as read from TOML, or one stored with results."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scoresim.core.errors import ScenarioError
from scoresim.core.specs import EdgeListNetwork
from scoresim.scenario.errors import collect_problems, report_problems
from scoresim.scenario.model import STORED, Scenario
from scoresim.scenario.show import one_line
from scoresim.scenario.unknown import split_unknown


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
    clean, problems = split_unknown(data)
    try:
        scenario = Scenario.model_validate(clean)
    except ValidationError as exc:
        more, unread = collect_problems(exc)
        raise ScenarioError(report_problems([*problems, *more], source, unread)) from None
    if problems:
        raise ScenarioError(report_problems(problems, source))
    net = scenario.society.network
    if isinstance(net, EdgeListNetwork) and base_dir is not None and not net.path.is_absolute():
        net = net.model_copy(update={"path": (base_dir / net.path).resolve()})
        society = scenario.society.model_copy(update={"network": net})
        scenario = scenario.model_copy(update={"society": society})
    return scenario


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
            raise ScenarioError(one_line(f"{prefix}not JSON: {exc}")) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{prefix}not a table but {type(data).__name__}")
    clean, problems = split_unknown(data)
    unread = 0
    try:
        scenario = Scenario.model_validate(clean, context=STORED)
    except ValidationError as exc:
        more, unread = collect_problems(exc)
        problems += more
    if problems:
        raise ScenarioError(prefix + report_problems(problems, "stored scenario", unread, "; "))
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
                one_line(f"cannot import plugin {name!r}: {type(exc).__name__}: {exc}")
            ) from None
