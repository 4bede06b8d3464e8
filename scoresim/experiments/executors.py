"""Where runs execute: in this process, in a local process pool, or on a Dask cluster.

The model never knows (EMA workbench's split of model from evaluator): every executor maps
:func:`scoresim.experiments.runner.execute` over run specs and yields records as runs finish.
Each run is a pure function of its spec, so results are identical whichever executor runs them.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from scoresim.core.errors import InputError
from scoresim.engine.simulation import Progress
from scoresim.experiments.runner import execute
from scoresim.experiments.spec import RunSpec
from scoresim.store import RunRecord

__all__ = ["DaskExecutor", "Executor", "InProcessExecutor", "PoolExecutor", "make_executor"]


class Executor(Protocol):
    """Runs specs and yields their records in completion order."""

    name: str

    def run(self, specs: Sequence[RunSpec], root: str) -> Iterator[RunRecord]:
        """Execute every spec, writing under ``root``; yield each record when done."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...


class InProcessExecutor:
    """One run after another in this process (single runs, debugging, tiny experiments).

    Args:
        progress: Told after each step of each run: (steps done, steps in all).
    """

    name = "inprocess"

    def __init__(self, progress: Progress | None = None):
        self.progress = progress

    def run(self, specs: Sequence[RunSpec], root: str) -> Iterator[RunRecord]:
        """Execute sequentially."""
        for spec in specs:
            yield execute(spec, root, self.progress)

    def close(self) -> None:
        """Nothing to release."""


def _single_threaded() -> None:
    """Worker initialiser: one numba thread per process, since processes fill the cores."""
    import numba

    numba.set_num_threads(1)


def _context() -> mp.context.BaseContext:
    """The multiprocessing context of worker pools: forkserver where there is one.

    A clean server process (no threads, no open files) imports scoresim once and forks each
    worker from it, so workers start in milliseconds without inheriting numba's threads or
    this process's state. Spawn elsewhere.
    """
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["scoresim.experiments.runner"])
        return ctx
    return mp.get_context("spawn")


class PoolExecutor:
    """A local pool of worker processes (the default).

    Args:
        workers: Number of processes (default: the number of cores).
    """

    name = "pool"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self._pool = cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=_context(), initializer=_single_threaded
        )

    def run(self, specs: Sequence[RunSpec], root: str) -> Iterator[RunRecord]:
        """Submit every spec; yield records as they complete."""
        futures = {self._pool.submit(execute, s, root): s for s in specs}
        for fut in cf.as_completed(futures):
            yield fut.result()

    def close(self) -> None:
        """Stop the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """A Dask cluster: ``"local"`` starts a LocalCluster here, else a scheduler address.

    Args:
        cluster: ``"local"`` or an address such as ``tcp://10.0.0.5:8786``.
        workers: Workers of a LocalCluster (default: the number of cores).
    """

    name = "dask"

    def __init__(self, cluster: str, workers: int | None = None):
        from distributed import Client, LocalCluster

        self._cluster: Any = None
        try:
            if cluster == "local":
                self._cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
            else:
                self._client = Client(cluster, timeout=30)
        except OSError as exc:
            raise InputError(f"--cluster {cluster}: cannot reach the scheduler: {exc}") from None
        self._client.run(_single_threaded)

    def run(self, specs: Sequence[RunSpec], root: str) -> Iterator[RunRecord]:
        """Submit every spec to the cluster; yield records as they complete."""
        from distributed import as_completed

        futures = self._client.map(execute, list(specs), root=root, pure=False)
        for fut in as_completed(futures):
            yield fut.result()

    def close(self) -> None:
        """Disconnect, and stop a LocalCluster this executor started."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(
    kind: str = "pool", workers: int | None = None, cluster: str | None = None
) -> Executor:
    """Return an executor: ``"inprocess"``, ``"pool"`` (default) or, with ``cluster``, Dask.

    Raises:
        InputError: Unknown kind or a bad worker count.
    """
    if workers is not None and workers < 1:
        raise InputError(f"--workers = {workers}: must be >= 1")
    if cluster is not None:
        if cluster != "local" and not cluster.startswith(("tcp://", "tls://", "ucx://")):
            raise InputError(
                f"--cluster = {cluster!r}: use 'local' or a scheduler address like tcp://HOST:PORT"
            )
        return DaskExecutor(cluster, workers)
    if kind == "inprocess":
        return InProcessExecutor()
    if kind == "pool":
        return PoolExecutor(workers)
    raise InputError(f"--executor = {kind!r}: allowed: inprocess, pool")
