"""Where runs execute: in this process, in a local process pool, or on a Dask cluster.

The model never knows (EMA workbench's split of model from evaluator): every executor maps
:func:`scoresim.experiments.runner.execute` over run specs and yields records as runs finish.
Each run is a pure function of its spec, so results are identical whichever executor runs them.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from scoresim.core.errors import InputError, RunFailedError
from scoresim.engine.simulation import Progress
from scoresim.experiments.runner import execute
from scoresim.experiments.spec import RunSpec
from scoresim.store import RunRecord

__all__ = [
    "DaskExecutor",
    "Executor",
    "InProcessExecutor",
    "Months",
    "PoolExecutor",
    "make_executor",
    "worker_context",
]

#: Told as runs advance: (run id, months done, months in all, burn-in included).
Months = Callable[[str, int, int], None]
#: A worker reports a run's months this often (and at its end).
REPORT_EVERY = 6
_TRACKER_NOISE = "ignore:resource_tracker:UserWarning"


class Executor(Protocol):
    """Runs specs and yields their records in completion order.

    ``months``, when set, is told how far each running run has got (where the executor can
    see it: in this process and in the local pool).
    """

    name: str
    months: Months | None

    def run(self, specs: Sequence[RunSpec], root: str) -> Iterator[RunRecord]:
        """Execute every spec, writing under ``root``; yield each record when done."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...

    def abort(self) -> None:
        """Stop every run now (an interrupted batch): no run may finish after this returns."""
        ...


class InProcessExecutor:
    """One run after another in this process (single runs, debugging, tiny experiments).

    Args:
        progress: Told after each step of each run: (steps done, steps in all).
    """

    name = "inprocess"

    def __init__(self, progress: Progress | None = None):
        self.progress = progress
        self.months: Months | None = None

    def run(self, specs: Sequence[RunSpec], root: str) -> Iterator[RunRecord]:
        """Execute sequentially."""
        for spec in specs:
            yield execute(spec, root, self._told(spec.run_id))

    def _told(self, run_id: str) -> Progress | None:
        months, progress = self.months, self.progress
        if months is None:
            return progress

        def both(done: int, total: int) -> None:
            months(run_id, done, total)
            if progress is not None:
                progress(done, total)

        return both

    def close(self) -> None:
        """Nothing to release."""

    def abort(self) -> None:
        """Nothing runs once the interrupt has reached this process's own loop."""


def _single_threaded() -> None:
    """Worker initialiser: one numba thread per process, since processes fill the cores.

    Workers ignore Ctrl-C, which the terminal sends to the whole process group: the
    coordinator alone decides, stopping them and recording what finished (run_batch).
    """
    import signal

    import numba

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    numba.set_num_threads(1)


def worker_context() -> mp.context.BaseContext:
    """The multiprocessing context of worker pools: forkserver where there is one.

    A clean server process (no threads, no open files) imports scoresim once and forks each
    worker from it, so workers start in milliseconds without inheriting numba's threads or
    this process's state. Spawn elsewhere.
    """
    # Each worker's numba threading layer makes two named semaphores; a worker killed by
    # abort() cannot unregister them, and the resource tracker (which unlinks them all the
    # same) would print a warning about "leaked" semaphores. The tracker takes its warning
    # filters from sys.warnoptions when it starts.
    if _TRACKER_NOISE not in sys.warnoptions:
        sys.warnoptions.append(_TRACKER_NOISE)
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["scoresim.experiments.runner"])
        return ctx
    return mp.get_context("spawn")


def _execute_telling(spec: RunSpec, root: str, queue: Any) -> RunRecord:
    """Run ``spec`` in a worker, putting (run id, months done, months in all) on ``queue``."""

    def tell(done: int, total: int) -> None:
        if done % REPORT_EVERY == 0 or done == total:
            queue.put((spec.run_id, done, total))

    return execute(spec, root, tell)


class PoolExecutor:
    """A local pool of worker processes (the default).

    Args:
        workers: Number of processes (default: the number of cores).
    """

    name = "pool"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.months: Months | None = None
        self._manager: Any = None
        self._pool = cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=worker_context(), initializer=_single_threaded
        )

    def run(self, specs: Sequence[RunSpec], root: str) -> Iterator[RunRecord]:
        """Submit every spec; yield records as they complete (telling ``months`` meanwhile)."""
        try:
            yield from self._run(specs, root)
        except BrokenProcessPool:
            raise RunFailedError(
                "a worker process died (killed, or out of memory?); the runs that finished "
                "are recorded, and --resume continues"
            ) from None

    def _run(self, specs: Sequence[RunSpec], root: str) -> Iterator[RunRecord]:
        if self.months is None:
            futures = {self._pool.submit(execute, s, root): s for s in specs}
            for fut in cf.as_completed(futures):
                yield fut.result()
            return
        if self._manager is None:  # a small server process relays the workers' months
            self._manager = worker_context().Manager()
        queue = self._manager.Queue()
        spec_of = {self._pool.submit(_execute_telling, s, root, queue): s for s in specs}
        totals: dict[str, int] = {}
        pending = set(spec_of)
        while pending:
            done, pending = cf.wait(pending, timeout=0.25, return_when=cf.FIRST_COMPLETED)
            self._drain(queue, totals)
            for fut in done:
                run_id = spec_of[fut].run_id
                if run_id in totals:  # a run that stopped early, or failed, is over too
                    self.months(run_id, totals[run_id], totals[run_id])
                yield fut.result()

    def _drain(self, queue: Any, totals: dict[str, int]) -> None:
        import queue as stdlib_queue

        while True:
            try:
                run_id, done, total = queue.get_nowait()
            except stdlib_queue.Empty:
                return
            totals[run_id] = total
            if self.months is not None:
                self.months(run_id, done, total)

    def close(self) -> None:
        """Stop the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._manager is not None:
            self._manager.shutdown()
            self._manager = None

    def abort(self) -> None:
        """Kill the workers mid-run (their partial directories are cleared on a rerun)."""
        # The pool has no public way to stop a running task: terminate its processes, then
        # let shutdown reap them. A run killed mid-write leaves only a .partial directory.
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        for proc in processes:
            proc.terminate()
        for proc in processes:
            proc.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._manager is not None:
            self._manager.shutdown()
            self._manager = None


class DaskExecutor:
    """A Dask cluster: ``"local"`` starts a LocalCluster here, else a scheduler address.

    Args:
        cluster: ``"local"`` or an address such as ``tcp://10.0.0.5:8786``.
        workers: Workers of a LocalCluster (default: the number of cores).
    """

    name = "dask"

    def __init__(self, cluster: str, workers: int | None = None):
        from distributed import Client, LocalCluster

        self.months: Months | None = None  # not relayed: the bar counts finished runs
        self._cluster: Any = None
        self._futures: list[Any] = []
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

        self._futures = self._client.map(execute, list(specs), root=root, pure=False)
        for fut in as_completed(self._futures):
            yield fut.result()

    def close(self) -> None:
        """Disconnect, and stop a LocalCluster this executor started."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def abort(self) -> None:
        """Cancel every run not yet done; a LocalCluster's workers are stopped with it."""
        if self._futures:
            self._client.cancel(self._futures, force=True)
        self.close()


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
