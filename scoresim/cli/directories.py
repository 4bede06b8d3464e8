"""The commands over a results directory: report, explore, runs and repair."""

from __future__ import annotations

import json
import sys
from contextlib import suppress
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scoresim.cli.batch import _writing
from scoresim.cli.options import AsJson, Control, Wait
from scoresim.cli.output import _fail, _fmt, _out, _warn
from scoresim.core.errors import InputError
from scoresim.store import list_runs
from scoresim.store.manifest import STATUSES
from scoresim.store.repair import repair as repair_store
from scoresim.store.repair import run_state


def report(
    results: Annotated[Path, typer.Argument(help="A results directory (run or comparison).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file (default RESULTS/report.html).")
    ] = None,
    calibration: Annotated[
        Path | None, typer.Option("--calibration", help="A calibration's directory to include.")
    ] = None,
    robustness: Annotated[
        Path | None,
        typer.Option("--robustness", help="A robustness study's directory to include."),
    ] = None,
    control: Control = None,
) -> None:
    """Write a self-contained HTML report (figures embedded) and print its path.

    "How sure are we?" checks the runs against the published targets, and shows a
    calibration's posterior and a robustness study's claims when given their directories.
    """
    from scoresim.report.html import write_report

    try:
        path = write_report(results, out, calibration, robustness, control)
    except InputError as exc:
        raise _fail(exc) from None
    typer.echo(f"report written to {path}")


def explore(
    results: Annotated[Path, typer.Argument(help="A results directory.")],
    port: Annotated[
        int, typer.Option("--port", "-p", help="Port (0: any free one).", min=0, max=65535)
    ] = 8765,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on (default: this machine only; any other is reachable "
            "from the network, without authentication).",
        ),
    ] = "127.0.0.1",
    control: Control = None,
) -> None:
    """Start the web explorer over a results directory and print its address.

    Every effect it shows is a scenario minus the control (--control, else the experiment's,
    else no-score when present, else the first). A sweep's design points are its entries;
    a calibration's or robustness study's directory is for `scoresim report`.
    """
    import threading

    from scoresim.explore import create_app, open_results
    from scoresim.explore.guard import allowed_hosts
    from scoresim.explore.server import ListenError, exposure_warning, listen, serve, url

    try:
        data = open_results(results, control)
    except InputError as exc:
        raise _fail(exc) from None
    for line in data.warnings:
        _warn(line)
    # Bound before the address is printed: a port in use is said, not a dead address.
    try:
        sock = listen(host, port)
    except ListenError as exc:
        raise _fail(InputError(str(exc))) from None
    # What the socket is bound to, not how --host spelled it: "127.1", "0" and "2130706433"
    # are addresses too, and browsers send the address in its usual form.
    bound, port = str(sock.getsockname()[0]), int(sock.getsockname()[1])
    if (exposed := exposure_warning(bound)) is not None:
        _warn(exposed)
    hosts = allowed_hosts(bound, port)
    if hosts is not None:  # and the name it was asked for, as a browser would send it
        hosts = hosts | (allowed_hosts(host, port) or frozenset())
    # Load the default citizen view in the background: at 10M citizens that takes seconds.
    threading.Thread(target=data.warm, daemon=True).start()
    typer.echo(f"scoresim explorer at {url(bound, port)} (Ctrl-C to stop)")
    serve(create_app(data, hosts=hosts), sock)


def runs(
    results: Annotated[Path, typer.Argument(help="A results directory.")],
    status: Annotated[
        str | None, typer.Option("--status", help="Only runs with this status.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List the runs recorded in a results directory (the manifest)."""
    if status is not None and status not in STATUSES:
        raise _fail(InputError(f"--status = {status!r}: allowed: {', '.join(STATUSES)}"))
    try:
        rows = list_runs(results, status)
    except InputError as exc:
        raise _fail(exc) from None
    for r in rows:  # the manifest keeps params as JSON text: give them as JSON
        with suppress(json.JSONDecodeError):
            r["params"] = json.loads(r["params"]) if isinstance(r["params"], str) else r["params"]
        # A complete row is only as good as its files: say where they are gone or damaged.
        r["status"] = run_state(results, r)
    broken = sum(r["status"] in ("missing", "damaged") for r in rows)
    if broken:
        _warn(
            f"{broken} run(s) recorded complete have missing or damaged files; "
            f"`scoresim repair {results}` records that, and --resume reruns them"
        )
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    table = Table(title=f"{len(rows)} runs in {results}", title_justify="left")
    # Whole run ids: they name the directories, so a cut one is of no use.
    table.add_column("run_id", no_wrap=True, overflow="fold")
    for col in ("scenario", "seed", "status", "elapsed_s", "error"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["run_id"],
            r["scenario"],
            str(r["seed"]),
            r["status"],
            _fmt(r["elapsed_s"]),
            (r["error"] or "")[:60],
        )
    _out().print(table)


def repair(
    results: Annotated[Path, typer.Argument(help="A results directory.")],
    wait: Wait = False,
    as_json: AsJson = False,
) -> None:
    """Rebuild a results directory's manifest from its run files, which are the truth.

    Runs whose files match their run.json (sizes and checksums) are recorded complete; damaged
    ones and complete rows whose files are gone are recorded failed, so --resume reruns
    them; a manifest that cannot be read is moved aside and rebuilt.
    """
    try:
        with _writing(results if results.is_dir() else None, wait):
            done = repair_store(results)
    except InputError as exc:
        raise _fail(exc) from None
    summary = {
        "complete": done.complete,
        "restored": done.restored,
        "damaged": done.damaged,
        "missing": done.missing,
        "leftovers_removed": done.leftovers,
        "manifest_moved_to": str(done.moved_db) if done.moved_db else None,
    }
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    if done.moved_db is not None:
        typer.echo(f"unreadable manifest moved to {done.moved_db}; rebuilt from the run files")
    typer.echo(
        f"{done.complete} complete runs ({done.restored} newly recorded), "
        f"{len(done.damaged)} damaged, {len(done.missing)} missing, "
        f"{done.leftovers} leftovers of interrupted runs removed"
    )
    for run_id, reason in list(done.damaged.items())[:10]:
        typer.echo(f"  damaged {run_id}: {reason}")
    for run_id in done.missing[:10]:
        typer.echo(f"  missing {run_id}")
    if done.damaged or done.missing:
        typer.echo("--resume on the experiment reruns the damaged and missing runs")
