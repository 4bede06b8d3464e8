"""Scenario files: TOML validated into typed, frozen models with unknown keys rejected.

The package, a file per concern, each importing only those below it:

- ``files``: presets, reading a TOML file within limits, ``extends`` and overrides
  (``load_scenario``);
- ``parse``: a scenario from a table or from stored results (``parse_scenario``,
  ``read_stored``), and importing its plugins;
- ``unknown``: unknown keys, and flags given for numbers, taken out before pydantic;
- ``errors``: validation errors as one line per bad key (``format_errors``);
- ``model``: ``Scenario`` and ``RecordSpec`` with their checks;
- ``show``: keys, key paths and values as a one-line message shows them.
"""

from scoresim.scenario.errors import MAX_PROBLEMS as MAX_PROBLEMS
from scoresim.scenario.errors import format_errors
from scoresim.scenario.files import (
    MAX_FILE_BYTES,
    load_scenario,
    preset_names,
    resolve_scenario_path,
)
from scoresim.scenario.model import STORED, RecordSpec, Scenario
from scoresim.scenario.parse import import_plugins, parse_scenario, read_stored

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
