"""A what-if's work and its answer: both worlds run, the effects, one citizen in each.

``run_job`` runs in a worker process; the rest reads what it stored, in the app.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from scoresim.core.errors import InputError
from scoresim.core.version import code_version
from scoresim.experiments.compare import compare
from scoresim.experiments.executors import InProcessExecutor
from scoresim.explore.cache import columns_of, read_row
from scoresim.explore.runs import index_run
from scoresim.explore.whatif_request import AS_IS, REPLICATES, SUMMARY_FILE, WHAT_IF, JobRequest
from scoresim.results import SNAPSHOT_DIR, atomic_write
from scoresim.scenario import load_scenario
from scoresim.store import load_results
from scoresim.store.layout import remove_path
from scoresim.store.lock import LOCK_FILE, writer_lock

__all__ = ["citizen_in_both", "run_job", "summary"]

#: What a citizen's story in each world shows, per yearly snapshot.
STORY = (
    "score",
    "blacklisted",
    "listed_months",
    "self_censored",
    "ties_lost",
    "income",
    "perk_value",
    "violations",
    "enrolled",
)


def run_job(request: JobRequest, out: Path, months: Any) -> None:
    """Run both worlds into ``out`` and store the summary (or ``error.txt``)."""
    done: dict[str, int] = {}

    def tell(run_id: str, d: int, _total: int) -> None:
        done[run_id] = d
        months.value = sum(done.values())

    # The job's directory is this process's alone (another explorer over the same results
    # may run the same request): a second one stops here, touching nothing.
    # The explorer makes these directories itself; a link in their place (in results someone
    # sent) would have the job clear and write the directory it points to.
    for path in (out.parent, out):
        if path.is_symlink():
            raise InputError(f"{path.name}: is a link, not a directory of these results")
    with writer_lock(out):
        # A run that failed or was killed before may have left its runs: start afresh.
        for child in out.iterdir():
            if child.name != LOCK_FILE:
                remove_path(child)
        try:
            as_is, what_if = request.overrides()
            worlds = [
                load_scenario(request.preset, as_is),
                load_scenario(request.preset, what_if),
            ]
            executor = InProcessExecutor()
            executor.months = tell
            runs = compare(worlds, replicates=REPLICATES, executor=executor, out=out, control=AS_IS)
            text = json.dumps(_summarise(request, runs, out), indent=2)
            atomic_write(out / SUMMARY_FILE, lambda p: p.write_text(text, encoding="utf-8"))
        except Exception as exc:  # the app shows the error's one line; the process then ends
            line = str(exc).splitlines()[0] if str(exc) else ""
            (out / "error.txt").write_text(f"{type(exc).__name__}: {line}", encoding="utf-8")
            raise


def _clean(v: float) -> float | None:
    return None if math.isnan(v) else v


def _summarise(request: JobRequest, runs: Any, out: Path) -> dict[str, Any]:
    measures = runs.headline()
    summary, effects = runs.summary(measures), runs.effects(measures)
    rows = []
    for m in measures:
        info = runs.measure_info(m)
        eff = effects[WHAT_IF][m]
        if math.isnan(summary[AS_IS][m].mean) and math.isnan(summary[WHAT_IF][m].mean):
            continue
        rows.append(
            {
                "measure": m,
                "label": runs.label(m),
                "kind": info.get("kind"),
                "unit": info.get("unit", ""),
                "as_is": summary[AS_IS][m].as_dict(),
                "what_if": summary[WHAT_IF][m].as_dict(),
                "effect": eff.as_dict(),
                "distinguishable": not (math.isnan(eff.ci_low) or eff.ci_low <= 0.0 <= eff.ci_high),
            }
        )
    return {
        "request": request.__dict__,
        "control": AS_IS,
        "replicates": REPLICATES,
        "code_version": code_version(),
        "scenario_hashes": {n: s.runs[0].scenario_hash for n, s in runs.scenarios.items()},
        "effects": rows,
        "examples": _examples(runs.scenarios[AS_IS].dirs[0]),
    }


def _last_snapshot(directory: Path) -> Path | None:
    files = sorted((directory / SNAPSHOT_DIR).glob("step-*.parquet"))
    return files[-1] if files else None


def _examples(directory: Path) -> list[dict[str, Any]]:
    """A few citizens worth following, chosen in the unchanged world's last snapshot."""
    last = _last_snapshot(directory)
    if last is None:
        return []
    cols = {
        c: a.to_numpy()
        for c, a in zip(pq.read_table(last).column_names, pq.read_table(last).columns, strict=True)
    }
    alive = cols["alive"].astype(bool)
    dissenter = cols.get("dissenter", np.zeros_like(alive)).astype(bool) & alive
    out = []
    listed = np.flatnonzero(cols.get("blacklisted", np.zeros_like(alive)).astype(bool) & dissenter)
    if listed.size:
        out.append({"id": int(listed[0]), "why": "a dissenter on the blacklist"})
    lost = cols.get("ties_lost")
    if lost is not None and dissenter.any():
        who = int(np.flatnonzero(dissenter)[np.argmax(lost[dissenter])])
        out.append({"id": who, "why": "the dissenter who lost the most friends"})
    conformer = np.flatnonzero(alive & ~dissenter)
    if conformer.size:
        out.append({"id": int(conformer[0]), "why": "a conformer"})
    return out


def summary(directory: Path) -> dict[str, Any]:
    """A stored what-if's answer.

    Raises:
        FileNotFoundError: If it has none (not finished, or never run here).
        ValueError: If the file is damaged.
    """
    try:
        data = json.loads((directory / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the stored what-if is damaged: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("the stored what-if is damaged")
    return data


def _story(directory: Path, cid: int) -> list[dict[str, Any]]:
    """One citizen's yearly states in one run (one row group read per snapshot)."""
    rows = []
    for step, path in sorted(index_run(directory).steps.items()):
        names = [c for c in STORY if c in columns_of(path)]
        row = read_row(path, cid, names)
        if row is None:
            return []
        row["year"] = (step + 1) / 12
        rows.append({k: (_clean(v) if isinstance(v, float) else v) for k, v in row.items()})
    return rows


def citizen_in_both(directory: Path, cid: int) -> dict[str, Any]:
    """Citizen ``cid``'s years in both worlds (replicate 0: the same society and draws).

    Raises:
        FileNotFoundError: If the job's runs are not stored.
        KeyError: If there is no such citizen.
    """
    runs = load_results(directory)
    out = {}
    for name in (AS_IS, WHAT_IF):
        story = _story(runs.scenarios[name].dirs[0], cid)
        if not story:
            raise KeyError(cid)
        out[name] = story
    return {"id": cid, "worlds": out}
