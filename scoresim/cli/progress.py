"""The progress bar of a batch of runs, shown on a terminal only."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from scoresim.cli.output import err_console


def _show_progress(as_json: bool) -> bool:
    return not as_json and err_console.is_terminal


class _RunBar:
    """One progress bar for a batch of runs.

    It counts months simulated where the executor tells them (in this process and in the
    local pool), else finished runs; and shows runs finished and failed, and the ETA.
    """

    def __init__(self, label: str, enabled: bool):
        self.enabled = enabled
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[unit]}"),
            TextColumn("· {task.fields[runs]} runs · [red]{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=not enabled,
        )
        self.task = self.bar.add_task(label, total=None, failed=0, runs="0", unit="")
        self._runs = (0, 0, 0)
        self._months: dict[str, int] = {}
        self._per_run = 0

    def __call__(self, ok: int, failed: int, total: int) -> None:
        self._runs = (ok, failed, total)
        self._update()

    def months(self, run_id: str, done: int, total: int) -> None:
        """Told by the executor as a run advances (burn-in months included)."""
        self._months[run_id] = done
        self._per_run = max(self._per_run, total)
        self._update()

    def describe(self, label: str) -> None:
        """Name the stage the runs belong to (e.g. a calibration's wave)."""
        self.bar.update(self.task, description=label)
        self._months.clear()

    def _update(self) -> None:
        ok, failed, total = self._runs
        runs = f"{ok + failed}/{total}"
        if self._per_run:  # months known: the bar moves month by month
            done, whole = sum(self._months.values()), total * self._per_run
            self.bar.update(
                self.task,
                completed=done,
                total=whole,
                failed=failed,
                runs=runs,
                unit=f"{done:,}/{whole:,} months",
            )
        else:
            self.bar.update(
                self.task, completed=ok + failed, total=total, failed=failed, runs=runs, unit=""
            )

    def __enter__(self) -> _RunBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)
