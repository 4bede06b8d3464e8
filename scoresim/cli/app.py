"""The one Typer app, and its commands in the order ``scoresim --help`` lists them."""

from __future__ import annotations

import typer

from scoresim.cli.directories import explore, repair, report, runs
from scoresim.cli.info import describe, presets
from scoresim.cli.running import compare_cmd, run, sweep_cmd
from scoresim.cli.studies import calibrate_cmd, robustness_cmd, sensitivity, targets

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="scoresim: simulate citizen-scoring systems, as described in the articles, "
    "on synthetic societies, and measure what they do.",
)

# Registered here, in one list, rather than by decorators in each file: the order of
# registration is the order of --help, and it must not hang on the order of imports.
app.command()(run)
app.command(name="compare")(compare_cmd)
app.command(name="sweep")(sweep_cmd)
app.command()(sensitivity)
app.command()(targets)
app.command(name="calibrate")(calibrate_cmd)
app.command(name="robustness")(robustness_cmd)
app.command()(report)
app.command()(explore)
app.command()(runs)
app.command()(repair)
app.command()(presets)
app.command()(describe)
