"""Checkpoints: a run's whole state in one ``.npz`` file, so it can stop and resume exactly.

Randomness needs no saving: every draw is a function of (seed, module, decision, step), so the
resumed run draws what the uninterrupted one would have.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoresim.core import registry
from scoresim.core.declare import Module
from scoresim.core.errors import InputError, ScenarioError
from scoresim.core.version import code_version
from scoresim.engine.checkpoint_check import check_checkpoint
from scoresim.engine.simulation import Simulation
from scoresim.results import CodeVersionWarning, atomic_write
from scoresim.scenario import read_stored
from scoresim.society import Network, People, Society

__all__ = ["load_checkpoint", "save_checkpoint"]

#: 2: the burn-in's measures and the society's ``parent`` (issue 12).
FORMAT = 2


def save_checkpoint(sim: Simulation, path: str | Path) -> Path:
    """Write ``sim``'s state after its last completed step to ``path`` (atomically).

    A run not started yet is started first (burn-in included): a checkpoint always holds a
    run whose policy has started.
    """
    target = Path(path)
    sim.start()
    arrays: dict[str, NDArray[Any]] = {
        "net:indptr": sim.network.indptr,
        "net:indices": sim.network.indices,
        "measures": sim.measures.as_array(),
        "burn_in_measures": sim.burn_in_measures.as_array(),
    }
    arrays.update({f"people:{k}": v for k, v in sim.people.arrays().items()})
    if sim.society.external_ids is not None:
        ext = sim.society.external_ids
        # Text ids come as object arrays, which np.load refuses without pickle: store text.
        arrays["external_ids"] = ext.astype(str) if ext.dtype == object else ext
    for m in sim.modules:
        arrays.update({f"module:{m.name}:{k}": v for k, v in m.get_state().items()})
    for step, snap in sim.snapshots.items():
        arrays.update({f"snap:{step}:{k}": v for k, v in snap.items()})
    for step, ties in sim.tie_snapshots.items():
        arrays.update({f"ties:{step}:{k}": v for k, v in ties.items()})
    arrays["egos"] = sim.egos
    for part, cols in sim.ego_start.items():
        arrays.update({f"ego:{part}:{k}": v for k, v in cols.items()})
    meta = {
        "format": FORMAT,
        "t": sim.t,
        "code_version": code_version(),
        "scenario": sim.scenario.model_dump(mode="json"),
        "modules": [m.name for m in sim.modules],
        "fills": sim.people.fills,
        "started": sim._started,
        "stopped_early": sim.stopped_early,
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    def write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]

    atomic_write(target, write)
    return target


def load_checkpoint(path: str | Path, modules: Sequence[Module] = ()) -> Simulation:
    """Rebuild the simulation saved in ``path``; ``run()`` then continues it.

    Args:
        path: A file written by :func:`save_checkpoint`.
        modules: The same extra module instances the saved run had (Python API).

    Raises:
        InputError: If the file is missing or not a scoresim checkpoint, or modules differ.

    Warns:
        CodeVersionWarning: If another version of scoresim saved it.
    """
    source = Path(path)
    try:
        with np.load(source, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        # A truncated file is not a zip archive any more; np.load says so with BadZipFile.
        raise InputError(f"{source}: not a readable checkpoint: {exc}") from None
    if "meta" not in arrays:
        raise InputError(f"{source}: not a scoresim checkpoint (no metadata)")
    try:
        meta = json.loads(arrays.pop("meta").tobytes())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{source}: not a valid checkpoint: its metadata: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise InputError(f"{source}: checkpoint format {found}, expected {FORMAT}")
    try:
        check_checkpoint(arrays, meta, str(source))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    try:
        scenario = read_stored(meta["scenario"], str(source))
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    if not 0 <= meta["t"] <= scenario.steps:
        raise InputError(
            f"{source}: not a valid checkpoint: month {meta['t']} of a {scenario.steps}-month run"
        )
    saved_by = meta.get("code_version")
    if saved_by != code_version():
        # Another version may draw or update differently: the continued run is not the one
        # an uninterrupted run of either version would have given.
        warnings.warn(
            f"{source}: saved by scoresim {saved_by}, resumed by {code_version()}; the rest of "
            "the run is this version's, and may differ from an uninterrupted run",
            CodeVersionWarning,
            stacklevel=2,
        )
    missing = sorted(set(scenario.modules) - set(registry.known()))
    if missing:
        raise InputError(
            f"{source}: its modules {missing} come from the plugins {scenario.plugins}, which "
            "are code and are not imported when a checkpoint is read: import them first "
            "(scoresim.scenario.import_plugins) if you trust them"
        )
    people = People(
        {k[7:]: v for k, v in arrays.items() if k.startswith("people:")}, fills=meta["fills"]
    )
    network = Network(arrays["net:indptr"], arrays["net:indices"])
    society = Society(people, network, arrays.get("external_ids"))
    if sorted(meta["modules"]) != sorted({*scenario.modules, *(m.name for m in modules)}):
        raise InputError(
            f"{source}: saved with modules {meta['modules']}, its scenario has "
            f"{sorted(scenario.modules)}"
            + (f" and {sorted(m.name for m in modules)} given" if modules else "")
        )
    sim = Simulation(scenario, modules=modules, society=society, _resume=True)
    if [m.name for m in sim.modules] != meta["modules"]:
        raise InputError(
            f"{source}: saved with modules {meta['modules']}, "
            f"resumed with {[m.name for m in sim.modules]}"
        )
    for m in sim.modules:
        prefix = f"module:{m.name}:"
        try:
            m.set_state({k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)})
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            # A module's own state is its to read; what it cannot read is a damaged file.
            raise InputError(
                f"{source}: not a valid checkpoint: module {m.name}'s state: {exc!r}"
            ) from None
    for key, what, table in (
        ("measures", "measures", sim.measures),
        ("burn_in_measures", "burn-in measures", sim.burn_in_measures),
    ):
        if key in arrays:
            try:
                table.load_array(arrays[key])
            except ValueError as exc:
                raise InputError(f"{source}: not a valid checkpoint: {what}: {exc}") from None
    for key, value in arrays.items():
        if key.startswith(("snap:", "ties:")):
            kind, step, name = key.split(":", 2)
            target = sim.snapshots if kind == "snap" else sim.tie_snapshots
            target.setdefault(int(step), {})[name] = value
    sim.egos = arrays["egos"]
    for key, value in arrays.items():
        if key.startswith("ego:"):
            _, part, name = key.split(":", 2)
            sim.ego_start.setdefault(part, {})[name] = value
    sim.t = int(meta["t"])
    sim._started = float(meta["started"])
    sim.stopped_early = bool(meta.get("stopped_early", False))
    return sim
