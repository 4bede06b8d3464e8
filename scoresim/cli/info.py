"""The commands that describe scoresim itself: presets and describe."""

from __future__ import annotations

import json
import sys

import typer
from rich.table import Table

from scoresim.cli.options import AsJson
from scoresim.cli.output import _out
from scoresim.reference import scenario_reference
from scoresim.scenario import load_scenario, preset_names


def presets(as_json: AsJson = False) -> None:
    """List the scenarios shipped with scoresim, each with its description."""
    described = {name: load_scenario(name).description for name in preset_names()}
    if as_json:
        sys.stdout.write(json.dumps(described, indent=2) + "\n")
        return
    table = Table(title='presets (scoresim run NAME; extends = "NAME" in a file)')
    table.add_column("name", no_wrap=True)
    table.add_column("description")
    for name, text in described.items():
        table.add_row(name, text)
    _out().print(table)


def describe() -> None:
    """Print every scenario key with its default, allowed range and meaning (Markdown)."""
    typer.echo(scenario_reference(), nl=False)
