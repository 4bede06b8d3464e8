"""What the commands print: the consoles, numbers for people, errors and exit codes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from scoresim.analysis.stats import Interval
from scoresim.core.errors import ScoresimError
from scoresim.report.embed import measure_formatter

err_console = Console(stderr=True)
EXIT_INPUT = 2
EXIT_FAILED = 1


def _out() -> Console:
    """The console for results: as wide as the terminal, or 140 columns when piped.

    Piped into a log or a file, Rich would otherwise wrap the tables' labels at 80 columns.
    """
    probe = Console()
    return probe if probe.is_terminal else Console(width=140)


def _fail(exc: ScoresimError, code: int = EXIT_INPUT) -> typer.Exit:
    for line in str(exc).splitlines():
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _warn(text: str) -> None:
    """One warning line on stderr, however narrow the terminal."""
    err_console.print(f"[bold yellow]warning:[/] {escape(text)}", highlight=False, soft_wrap=True)


def _fmt(value: float | None) -> str:
    """A measure for people: thousands separators, four significant digits, no exponent."""
    if value is None or math.isnan(value):
        return "n/a"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}" if abs(value) >= 1e-4 else f"{value:.2e}"


def _measure_fmt(info: dict[str, Any], effect: bool = False) -> Callable[[float | None], str]:
    """How to print a measure (or an effect on it): shares as percentages, else numbers."""
    return measure_formatter(info, effect, _fmt)


def _fmt_interval(iv: Interval, fmt: Callable[[float | None], str] = _fmt) -> str:
    if math.isnan(iv.ci_low):
        return fmt(iv.mean)
    return f"{fmt(iv.mean)} [{fmt(iv.ci_low)}, {fmt(iv.ci_high)}]"


def _unit(info: dict[str, Any]) -> str:
    """The unit column: shares are printed as percentages and need none."""
    unit = str(info.get("unit", ""))
    return "" if unit in ("share", "share difference") else unit
