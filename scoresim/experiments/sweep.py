"""Sweeps: every point of a design, with replicates, run into a results store."""

from __future__ import annotations

from pathlib import Path

from scoresim.experiments.batch import BatchProgress, BatchReport, run_batch, write_experiment
from scoresim.experiments.design import design_specs, load_design
from scoresim.experiments.executors import Executor

__all__ = ["sweep"]


def sweep(
    design_path: Path,
    out: Path,
    executor: Executor,
    resume: bool = False,
    progress: BatchProgress | None = None,
    steps: int | None = None,
) -> BatchReport:
    """Run the sweep described by ``design_path`` into ``out``.

    Every point's scenario is validated before any run starts. With ``resume``, runs already
    complete in ``out`` are kept as they are and only the others run. ``steps``, if given,
    sets every point's length (over the design's ``overrides``).

    Raises:
        InputError: A bad design file, a point that does not validate, or ``out`` holding a
            different experiment.
    """
    design, base = load_design(design_path)
    if steps is not None:
        design = design.model_copy(update={"overrides": {**design.overrides, "steps": steps}})
    specs, points = design_specs(design, base)
    reps = design.replicates  # design_specs lists each point's replicates together
    ids = [s.run_id for s in specs]
    per_point = [ids[i * reps : (i + 1) * reps] for i in range(len(points))]
    meta = {
        "kind": "sweep",
        "name": design.name,
        "design": design.model_dump(mode="json"),
        "design_hash": design.digest(),
        "method": design.method,
        "problem": design.problem(),
        "outputs": design.outputs,
        "points": points,
        "runs": per_point,
    }
    write_experiment(out, meta, resume)
    return run_batch(specs, out, executor, progress)
