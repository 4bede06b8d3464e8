"""Executing one run: the function every executor calls, in whatever process it lives."""

from __future__ import annotations

import importlib
import time
import traceback
from pathlib import Path

from scoresim.core.errors import InputError
from scoresim.core.version import code_version
from scoresim.engine.simulation import Progress, Simulation
from scoresim.experiments.spec import RunSpec
from scoresim.scenario import Scenario
from scoresim.store import RunRecord, run_dir
from scoresim.store.layout import is_plain_dir, remove_path

__all__ = ["execute", "is_input_error", "pending_record"]

#: Error types whose runs failed because of their input, not of the code.
_INPUT_ERRORS = ("InputError", "ScenarioError")


def is_input_error(error: str | None) -> bool:
    """Whether a failed run's error text says it failed on its input, not in the code."""
    return (error or "").split(":", 1)[0] in _INPUT_ERRORS


def input_message(error: str) -> str:
    """An input error's own message, without the error type :func:`execute` puts first."""
    return error.split(": ", 1)[1] if is_input_error(error) and ": " in error else error


def pending_record(spec: RunSpec) -> RunRecord:
    """The manifest row of a run not yet done."""
    return RunRecord(
        run_id=spec.run_id,
        experiment=spec.experiment,
        scenario=str(spec.scenario.get("name", "")),
        scenario_hash="",
        seed=int(spec.scenario.get("seed", 0)),
        replicate=spec.replicate,
        params=spec.params,
        path=f"runs/{spec.run_id}",
    )


def execute(
    spec: RunSpec,
    root: str,
    progress: Progress | None = None,
    raise_errors: bool = False,
) -> RunRecord:
    """Run ``spec`` and write it under ``root/runs/RUN_ID``.

    A failure is returned as a record with status ``failed`` and the error text (or, with
    ``raise_errors``, raised after cleaning up). The run is written into a temporary
    directory and moved into place only once complete, so a run directory with files is a
    complete run, and a failed rerun leaves the earlier complete run as it was.

    Args:
        spec: The run.
        root: Results directory.
        progress: Told after each step (in-process use only).
        raise_errors: Re-raise the run's exception instead of returning a failed record.
    """
    record = pending_record(spec)
    record.code_version = code_version()
    record.started = time.time()
    out = run_dir(Path(root), spec.run_id)
    partial = out.with_name(f".{out.name}.partial")
    replaced = out.with_name(f".{out.name}.replaced")
    # A crash mid-swap: the earlier run returns (a link there is not a run, and goes).
    if is_plain_dir(replaced) and not out.exists() and not out.is_symlink():
        replaced.rename(out)
    try:
        for name in spec.plugins:
            importlib.import_module(name)
        scenario = Scenario.model_validate(spec.scenario)
        record.scenario_hash = scenario.digest()
        result = Simulation(scenario).run(progress=progress)
        remove_path(partial)  # leftovers of an interrupted attempt
        result.write(
            partial,
            {
                "run_id": spec.run_id,
                "experiment": spec.experiment,
                "replicate": spec.replicate,
                "params": spec.params,
            },
        )
        # An earlier run of the same spec is replaced only now, by renames, so that there is
        # always a complete run to find (see the check above).
        remove_path(replaced)
        if out.exists() or out.is_symlink():
            out.rename(replaced)
        partial.rename(out)
        remove_path(replaced)
        record.status = "complete"
    except Exception as exc:  # a failed run is data, not a crash of the experiment
        remove_path(partial)
        if raise_errors:
            raise
        frame = traceback.extract_tb(exc.__traceback__)[-1:] or None
        # Where the code failed helps with a bug; a bad input's message already says it all.
        where = (
            f" (at {Path(frame[0].filename).name}:{frame[0].lineno})"
            if frame and not isinstance(exc, InputError)
            else ""
        )
        record.status = "failed"
        record.error = f"{type(exc).__name__}: {exc}{where}"
    record.finished = time.time()
    record.elapsed_s = round(record.finished - record.started, 3)
    return record
