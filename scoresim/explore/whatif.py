"""What if: a policy changed by a few knobs, run against the unchanged one, live.

A user picks a preset, moves a handful of policy knobs (each bounded by its parameter's
documented plausible range, or a switch between two presets' settings) and runs both
worlds on a small society with common random numbers. Jobs run in worker processes, one
or two at a time, behind a bounded queue; look-ups never wait for them. Each job is an
ordinary comparison stored under ``RESULTS/whatif/JOB_ID`` (so ``scoresim report`` reads it
too), and the id is a hash of what was asked, so a shared URL finds the stored answer.
"""

from __future__ import annotations

import shutil
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from scoresim.experiments.executors import worker_context
from scoresim.explore.whatif_request import REPLICATES, SUMMARY_FILE, JobRequest
from scoresim.explore.whatif_result import run_job
from scoresim.scenario import load_scenario

__all__ = ["Job", "Jobs", "QueueFullError"]

Status = Literal["queued", "running", "done", "failed", "cancelled"]


@dataclass
class Job:
    """A what-if in the queue, running, or finished in this process's lifetime."""

    id: str
    request: JobRequest
    status: Status = "queued"
    error: str = ""
    process: Any = None
    months: Any = None  # a shared counter the worker advances
    total: int = 0


def _work(request: JobRequest, out: str, months: Any) -> None:
    """A worker process: run both worlds and write the job's summary."""
    run_job(request, Path(out), months)


class Jobs:
    """What-if jobs over one results directory: a bounded queue, a few worker processes.

    Args:
        root: The results directory (jobs are stored under ``root/whatif``).
        workers: Jobs run at once.
        queue: Jobs that may wait beyond those running; more are refused.
    """

    def __init__(self, root: Path, workers: int = 1, queue: int = 3):
        self.root = root / "whatif"
        self.workers, self.queue_size = workers, queue
        self._jobs: dict[str, Job] = {}
        self._waiting: deque[str] = deque()
        self._lock = threading.Lock()
        self._ctx: Any = worker_context()  # forkserver: workers start in milliseconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._schedule, daemon=True)
        self._thread.start()

    def directory(self, job_id: str) -> Path:
        """Where a job's comparison and summary are stored."""
        return self.root / job_id

    def submit(self, request: JobRequest) -> dict[str, Any]:
        """Queue a what-if, or find its stored answer.

        Raises:
            QueueFullError: If the queue is full.
            OSError: If the results directory cannot hold what-ifs.
        """
        job_id = request.job_id()
        if (self.directory(job_id) / SUMMARY_FILE).is_file():
            return {"id": job_id, "status": "done"}
        self.root.mkdir(parents=True, exist_ok=True)  # OSError: the directory is read-only
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.status in ("queued", "running"):
                return self._state(job)
            running = sum(j.status == "running" for j in self._jobs.values())
            if len(self._waiting) + running >= self.workers + self.queue_size:
                raise QueueFullError(
                    f"{running} what-if(s) running and {len(self._waiting)} waiting: try again "
                    "in a minute"
                )
            burn_in = load_scenario(request.preset).burn_in
            job = Job(job_id, request, total=REPLICATES * 2 * (burn_in + 12 * request.years))
            self._jobs[job_id] = job
            self._waiting.append(job_id)
        return self._state(job)

    def state(self, job_id: str) -> dict[str, Any]:
        """A job's status and progress (``done`` once its summary is stored).

        Raises:
            KeyError: If there is no such job.
        """
        if (self.directory(job_id) / SUMMARY_FILE).is_file():
            return {"id": job_id, "status": "done"}
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise KeyError(job_id)
            return self._state(job)

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Stop a queued or running job (its partial results are removed).

        Raises:
            KeyError: If there is no such job in this process.
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise KeyError(job_id)
            process = job.process if job.status == "running" else None
            if job.status == "queued":
                self._waiting.remove(job_id)
            if job.status in ("queued", "running"):
                job.status, job.process = "cancelled", None
            state = self._state(job)
        # Stopped outside the lock: look-ups and other requests never wait for it.
        self._stop_process(process, job_id)
        return state

    def close(self) -> None:
        """Stop the scheduler and any running job."""
        self._stop.set()
        self._thread.join(5)
        with self._lock:
            running = [(j.process, j.id) for j in self._jobs.values() if j.status == "running"]
            for job in self._jobs.values():
                if job.status in ("queued", "running"):
                    job.status, job.process = "cancelled", None
            self._waiting.clear()
        for process, job_id in running:
            self._stop_process(process, job_id)

    def _stop_process(self, process: Any, job_id: str) -> None:
        if process is None:
            return
        if process.pid is not None:
            process.terminate()
            process.join(5)
        process.close()
        shutil.rmtree(self.directory(job_id), ignore_errors=True)

    def _state(self, job: Job) -> dict[str, Any]:
        done = int(job.months.value) if job.months is not None else 0
        out: dict[str, Any] = {
            "id": job.id,
            "status": job.status,
            "months_done": min(done, job.total),
            "months_total": job.total,
        }
        if job.status == "queued":
            out["ahead"] = list(self._waiting).index(job.id)
        if job.error:
            out["error"] = job.error
        return out

    def _schedule(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                for job in self._jobs.values():
                    if job.status == "running" and not job.process.is_alive():
                        self._reap(job)
                running = sum(j.status == "running" for j in self._jobs.values())
                while self._waiting and running < self.workers:
                    job = self._jobs[self._waiting.popleft()]
                    if self._start(job):
                        running += 1

    def _reap(self, job: Job) -> None:
        """A job whose worker ended: done if its summary is stored, else failed."""
        job.process.join()
        code = job.process.exitcode
        job.process.close()  # its file descriptors, at once
        job.process = None
        if (self.directory(job.id) / SUMMARY_FILE).is_file():
            job.status = "done"
            return
        job.status = "failed"
        error = self.directory(job.id) / "error.txt"
        try:
            job.error = error.read_text(encoding="utf-8")[:500]
        except (OSError, UnicodeDecodeError):
            job.error = f"the worker stopped (exit code {code})"

    def _start(self, job: Job) -> bool:
        """Start a job's worker; a job that cannot start fails, the scheduler goes on."""
        try:
            job.months = self._ctx.Value("q", 0, lock=False)  # one writer: no lock to orphan
            process = self._ctx.Process(
                target=_work,
                args=(job.request, str(self.directory(job.id)), job.months),
                daemon=True,
            )
            process.start()
        except OSError as exc:  # e.g. too many open files or processes
            job.status, job.error = "failed", f"could not start a worker: {exc}"
            return False
        job.process, job.status = process, "running"
        return True


class QueueFullError(Exception):
    """Too many what-ifs running and waiting."""
