"""Scenario files: presets, TOML read with limits, ``extends`` chains and overrides."""

from __future__ import annotations

import contextlib
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from scoresim.core.errors import ScenarioError
from scoresim.scenario.model import Scenario
from scoresim.scenario.parse import parse_scenario
from scoresim.scenario.show import one_line, show_value

#: The scenarios shipped with scoresim, in the package data ``scoresim/presets``.
PRESET_DIR = Path(__file__).parent.parent / "presets"

#: Largest scenario file read. Real ones are a few kilobytes; the largest legitimate one (a
#: snapshot step for each of 100,000 months) is under 1 MB. A larger file is refused from its
#: size, before it is read, so that a stray 100 MB file costs nothing.
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Longest chain of ``extends`` (deeper is surely a mistake, and would exhaust the stack).
MAX_EXTENDS = 32


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
    return one_line(str(name), 1000)


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
            f"{_shown(path)}: extends = {show_value(parent)}: must be a preset name or a path"
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
            raise ScenarioError(f"{_shown(path)}: extends = {show_value(parent)}: {why}") from None
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
