"""What if: a policy changed by a few knobs, run against the unchanged one, live.

A user picks a preset, moves a handful of policy knobs (each bounded by its parameter's
documented plausible range, or a switch between two presets' settings) and runs both
worlds on a small society with common random numbers. Jobs run in worker processes, one
or two at a time, behind a bounded queue; look-ups never wait for them. Each job is an
ordinary comparison stored under ``RESULTS/whatif/JOB_ID`` (so ``scoresim report`` reads it
too), and the id is a hash of what was asked, so a shared URL finds the stored answer.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scoresim.core.errors import InputError
from scoresim.experiments.executors import worker_context
from scoresim.experiments.space import plausible_range
from scoresim.scenario import load_scenario

__all__ = ["KNOBS", "PRESETS", "Jobs", "Knob", "JobRequest"]

#: Presets a what-if may start from: the score as described and its safeguards.
PRESETS = (
    "social-credit",
    "social-credit-private",
    "social-credit-no-network",
    "social-credit-expungement",
)
#: The names the two worlds carry in the job's comparison.
AS_IS, WHAT_IF = "as-is", "what-if"
SUMMARY_FILE = "whatif.json"
#: Per-request limits: a what-if is a small society, quickly.
AGENTS = (1_000, 20_000)
YEARS = (1, 10)
REPLICATES = 3


@dataclass(frozen=True)
class Knob:
    """A policy knob: a parameter over its plausible range, or a switch between settings.

    Attributes:
        name: Its id in requests and URLs.
        label: What it is, for people.
        key: The dotted scenario key of a range knob.
        off: A switch's settings when off (dotted key -> value).
        on: A switch's settings when on.
    """

    name: str
    label: str
    key: str = ""
    off: dict[str, Any] = field(default_factory=dict)
    on: dict[str, Any] = field(default_factory=dict)

    @property
    def switch(self) -> bool:
        """Whether the knob switches between two settings (else it is a range)."""
        return not self.key

    def describe(self, scenario: dict[str, Any]) -> dict[str, Any]:
        """The knob for the page: its bounds (or states) and its value in ``scenario``."""
        if self.switch:
            return {
                "name": self.name,
                "label": self.label,
                "kind": "switch",
                "value": _get(scenario, next(iter(self.on))) == next(iter(self.on.values())),
            }
        rng = plausible_range(self.key)
        return {
            "name": self.name,
            "label": self.label,
            "kind": "range",
            "key": self.key,
            "low": rng.low,
            "high": rng.high,
            "integer": rng.integer,
            "value": _get(scenario, self.key),
        }

    def settings(self, value: Any) -> dict[str, Any]:
        """The scenario keys this knob sets to ``value``.

        Raises:
            InputError: A value outside the knob's range, or not a switch's true/false.
        """
        if self.switch:
            if not isinstance(value, bool):
                raise InputError(f"knobs.{self.name} = {value!r}: must be true or false")
            return dict(self.on if value else self.off)
        rng = plausible_range(self.key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"knobs.{self.name} = {value!r}: must be a number")
        if not rng.low <= value <= rng.high:
            raise InputError(
                f"knobs.{self.name} = {value!r}: must be within its plausible range "
                f"{rng.low:g} to {rng.high:g}"
            )
        return {self.key: round(value) if rng.integer else float(value)}


KNOBS = (
    Knob(
        "spillover",
        "points a friend's violation costs you (the spillover weight)",
        key="modules.scoring.spillover_penalty",
    ),
    Knob(
        "violation_penalty",
        "points one unpermitted post costs",
        key="modules.scoring.violation_penalty",
    ),
    Knob(
        "mandate_step",
        "month enrolment becomes mandatory",
        key="modules.enrolment.mandate_step",
    ),
    Knob(
        "private",
        "scores and the blacklist private (no public look-up or list)",
        off={"modules.scoring.visibility": "public", "modules.blacklist.public": True},
        on={"modules.scoring.visibility": "private", "modules.blacklist.public": False},
    ),
    Knob(
        "expungement",
        "violations expire and the listed can leave (credit repair, two-year term)",
        off={
            "modules.scoring.expire_after": 0,
            "modules.blacklist.allow_exit": False,
            "modules.blacklist.term": 0,
        },
        on={
            "modules.scoring.expire_after": 12,
            "modules.blacklist.allow_exit": True,
            "modules.blacklist.term": 24,
        },
    ),
)
_BY_NAME = {k.name: k for k in KNOBS}


def _get(scenario: dict[str, Any], dotted: str) -> Any:
    node: Any = scenario
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


@dataclass(frozen=True)
class JobRequest:
    """What a user asked: a preset, knob values, and the society's size and length."""

    preset: str
    knobs: dict[str, Any]
    agents: int = AGENTS[1]
    years: int = YEARS[1]
    seed: int = 20260101

    @classmethod
    def parse(cls, body: Any) -> JobRequest:
        """Validate a request body (a JSON object).

        Raises:
            InputError: One line naming the field, the value and what is allowed.
        """
        if not isinstance(body, dict):
            raise InputError("the request must be a JSON object")
        unknown = sorted(set(body) - {"preset", "knobs", "agents", "years", "seed"})
        if unknown:
            raise InputError(
                f"unknown fields {unknown}; allowed: preset, knobs, agents, years, seed"
            )
        preset = body.get("preset", PRESETS[0])
        if preset not in PRESETS:
            raise InputError(f"preset = {preset!r}: allowed: {', '.join(PRESETS)}")
        knobs = body.get("knobs", {})
        if not isinstance(knobs, dict):
            raise InputError("knobs must be an object of knob names to values")
        stray = sorted(set(knobs) - set(_BY_NAME))
        if stray:
            raise InputError(f"knobs {stray}: no such knob; knobs: {', '.join(_BY_NAME)}")
        for name, value in knobs.items():
            _BY_NAME[name].settings(value)  # validates
        out = {}
        for name, (low, high) in (("agents", AGENTS), ("years", YEARS)):
            value = body.get(name, high)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InputError(f"{name} = {value!r}: a whole number from {low:,} to {high:,}")
            out[name] = value
        seed = body.get("seed", 20260101)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise InputError(f"seed = {seed!r}: a whole number from 0 to 2**63 - 1")
        return cls(str(preset), dict(sorted(knobs.items())), out["agents"], out["years"], seed)

    def job_id(self) -> str:
        """The id of the answer: a hash of what was asked."""
        text = json.dumps(self.__dict__, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def overrides(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The two worlds' scenario keys: as the preset is, and with the knobs moved."""
        common = {"society.agents": self.agents, "steps": 12 * self.years, "seed": self.seed}
        changed = dict(common)
        for name, value in self.knobs.items():
            changed.update(_BY_NAME[name].settings(value))
        return {**common, "name": AS_IS}, {**changed, "name": WHAT_IF}


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
    started: float = 0.0


def _work(request: JobRequest, out: str, months: Any) -> None:
    """A worker process: run both worlds and write the job's summary."""
    from scoresim.explore.whatif_result import run_job

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
        """
        job_id = request.job_id()
        if (self.directory(job_id) / SUMMARY_FILE).is_file():
            return {"id": job_id, "status": "done"}
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
            if job.status == "queued":
                self._waiting.remove(job_id)
            elif job.status == "running" and job.process is not None:
                job.process.terminate()
                job.process.join(5)
                shutil.rmtree(self.directory(job_id), ignore_errors=True)
            if job.status in ("queued", "running"):
                job.status = "cancelled"
            return self._state(job)

    def close(self) -> None:
        """Stop the scheduler and any running job."""
        self._stop.set()
        with self._lock:
            for job in self._jobs.values():
                if job.status == "running" and job.process is not None:
                    job.process.terminate()
                    job.process.join(5)
                    shutil.rmtree(self.directory(job.id), ignore_errors=True)
                    job.status = "cancelled"
        self._thread.join(5)

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
                        job.process.join()
                        if (self.directory(job.id) / SUMMARY_FILE).is_file():
                            job.status = "done"
                        else:
                            job.status = "failed"
                            error = self.directory(job.id) / "error.txt"
                            job.error = (
                                error.read_text(encoding="utf-8")[:500]
                                if error.is_file()
                                else f"the worker stopped (exit code {job.process.exitcode})"
                            )
                running = sum(j.status == "running" for j in self._jobs.values())
                while self._waiting and running < self.workers:
                    job = self._jobs[self._waiting.popleft()]
                    job.months = self._ctx.Value("q", 0)
                    job.process = self._ctx.Process(
                        target=_work,
                        args=(job.request, str(self.directory(job.id)), job.months),
                        daemon=True,
                    )
                    job.status, job.started = "running", time.time()
                    job.process.start()
                    running += 1


class QueueFullError(Exception):
    """Too many what-ifs running and waiting."""
