"""Rerun the cases that broke when issue 15 was filed, as users meet them, and tabulate them.

    python tests/hostile/matrix.py [--code DIR]

Each case runs ``python -m scoresim`` (or a few lines of the Python API) in a fresh process,
in a scratch directory, against the scoresim in ``--code`` (a checkout; default: the
installed one), and is judged: ``held`` when the outcome is the correct result or one clear
line and exit 2 (exit 1 where runs failed), else ``broke`` with what happened. Run it on an
older checkout (``git worktree add /tmp/before REV``) to compare. Not a test: the tests hold
each case with its exact expectation; this is the issue's table, measured.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

Outcome = tuple[bool, str]
REPO = Path(__file__).resolve().parents[2]
#: A small comparison with replicates: the results directory most cases damage.
COMPARE = ("compare", "social-credit", "no-score", "-n", "300", "-t", "6", "-r", "2")


@dataclass
class Env:
    """Where a case runs and which scoresim it runs."""

    code: Path | None
    work: Path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.code is not None:
            env["PYTHONPATH"] = str(self.code)
        return env

    def run(self, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scoresim", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.work,
            env=self.env(),
        )

    def py(self, code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.work,
            env=self.env(),
        )


def one_line(res: subprocess.CompletedProcess[str], code: int = 2) -> Outcome:
    """Held when the command exited with ``code`` and said one line, no traceback."""
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    if res.returncode == code and len(lines) == 1 and "Traceback" not in res.stderr:
        return True, lines[0][:90]
    last = lines[-1][:90] if lines else res.stdout.strip()[-90:]
    return False, f"exit {res.returncode}, {len(lines)} lines: {last}"


def compare_dir(e: Env, name: str = "cmp", *extra: str) -> Path:
    out = e.work / name
    res = e.run(*COMPARE, "--out", out, *extra)
    assert res.returncode == 0, res.stderr
    return out


def first_run(out: Path) -> Path:
    return sorted(d for d in (out / "runs").iterdir() if not d.name.startswith("."))[0]


def _rewrite_meta(d: Path, change: Callable[[dict[bytes, bytes]], None]) -> None:
    """Change a run's measures metadata; keep run.json's record of the file, where it has one.

    The attack is on what the file says, not on its integrity, so the run stays verified.
    """
    import hashlib

    path = d / "measures.parquet"
    table = pq.read_table(path)
    meta = dict(table.schema.metadata)
    change(meta)
    pq.write_table(table.replace_schema_metadata(meta), path)
    info = json.loads((d / "run.json").read_text())
    if "files" in info:
        body = path.read_bytes()
        info["files"]["measures.parquet"] = {
            "bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        (d / "run.json").write_text(json.dumps(info))


def _stored_scenario(key: str, value: object) -> Callable[[dict[bytes, bytes]], None]:
    def change(meta: dict[bytes, bytes]) -> None:
        sc = json.loads(meta[b"scoresim.scenario"])
        sc[key] = value
        meta[b"scoresim.scenario"] = json.dumps(sc).encode()

    return change


# --- checkpoints -------------------------------------------------------------------------

CHECKPOINT = """
import sys
from scoresim import Simulation, load_scenario
from scoresim.engine.checkpoint import save_checkpoint
sim = Simulation(load_scenario("social-credit", {"society.agents": 300, "steps": 24}))
sim.run(until=7)
save_checkpoint(sim, sys.argv[1] if len(sys.argv) > 1 else "good.npz")
"""

LOAD = """
import sys
from scoresim import InputError
from scoresim.engine.checkpoint import load_checkpoint
try:
    sim = load_checkpoint("bad.npz")
    r = sim.run()
    print("LOADED", sim.t, r.steps.size)
except InputError as exc:
    print("error:", exc, file=sys.stderr)
    sys.exit(2)
"""


def damaged_checkpoint(e: Env, damage: Callable[[dict[str, np.ndarray]], None]) -> Outcome:
    if not (e.work / "good.npz").exists():
        assert e.py(CHECKPOINT).returncode == 0
    with np.load(e.work / "good.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    damage(arrays)
    np.savez(e.work / "bad.npz", **arrays)
    res = e.py(LOAD)
    if res.returncode == -signal.SIGSEGV or res.returncode == 139:
        return False, "segfault"
    return one_line(res)


def _tie_past(a: dict[str, np.ndarray]) -> None:
    a["net:indices"] = a["net:indices"].copy()
    a["net:indices"][-1] = 10**6


def _indptr(a: dict[str, np.ndarray]) -> None:
    a["net:indptr"] = a["net:indptr"].copy()
    a["net:indptr"][5] = a["net:indptr"][-1] + 50


def _no_indices(a: dict[str, np.ndarray]) -> None:
    del a["net:indices"]


def _short_people(a: dict[str, np.ndarray]) -> None:
    key = next(k for k in a if k.startswith("people:"))
    a[key] = a[key][:-1]


def _short_measures(a: dict[str, np.ndarray]) -> None:
    a["measures"] = a["measures"][:-3]


def _bad_meta(a: dict[str, np.ndarray]) -> None:
    a["meta"] = np.frombuffer(b"{not json", dtype=np.uint8)


def truncated_checkpoint(e: Env) -> Outcome:
    assert e.py(CHECKPOINT).returncode == 0
    data = (e.work / "good.npz").read_bytes()
    (e.work / "bad.npz").write_bytes(data[: len(data) // 2])
    return one_line(e.py(LOAD))


# --- plugins -----------------------------------------------------------------------------


def _results_naming(e: Env, plugin: str, module_code: str | None) -> Path:
    """A comparison whose stored scenario names ``plugin`` (put there after the run)."""
    out = compare_dir(e, "plug")
    for d in (out / "runs").iterdir():
        _rewrite_meta(d, _stored_scenario("plugins", [plugin]))
    if module_code is not None:
        (e.work / f"{plugin}.py").write_text(module_code)
    return out


def plugin_this(e: Env) -> Outcome:
    res = e.run("report", _results_naming(e, "this", None))
    if "Beautiful is better than ugly" in res.stdout + res.stderr:
        return False, "the Zen of Python printed: a plugin imported on read"
    return (res.returncode == 0, f"exit {res.returncode}, nothing imported")


def plugin_in_cwd(e: Env) -> Outcome:
    out = _results_naming(e, "evil_plugin", "open('PWNED', 'w').write('x')\n")
    res = e.run("report", out)
    if (e.work / "PWNED").exists():
        return False, "a plugin file in the working directory ran on `report`"
    return (res.returncode == 0, f"exit {res.returncode}, nothing ran")


def plugin_missing(e: Env) -> Outcome:
    res = e.run("report", _results_naming(e, "no_such_plugin_xyz", None))
    if "Traceback" in res.stderr or "{name!r}" in res.stderr:
        return False, "traceback on read"
    return (res.returncode == 0, f"exit {res.returncode}, read as data")


# --- edge lists --------------------------------------------------------------------------


def _net_run(
    e: Env,
    name: str,
    body: bytes | None = None,
    table: pa.Table | None = None,
    nodes: int | None = None,
    ties: int | None = None,
) -> Outcome:
    path = e.work / name
    if table is not None:
        pq.write_table(table, path)
    else:
        path.write_bytes(body or b"")
    (e.work / "net.toml").write_text(
        f'extends = "no-score"\n[society.network]\nkind = "edgelist"\npath = "{name}"\n'
    )
    res = e.run("run", "net.toml", "-t", "1", "--out", e.work / "netrun", "--json")
    if res.returncode != 0:
        return one_line(res)
    # The society as built from the file, before a month of births, deaths and new ties.
    built = e.py(
        "from scoresim import Simulation, load_scenario\n"
        "net = Simulation(load_scenario('net.toml')).network\n"
        "print(net.indptr.size - 1, net.indices.size // 2)\n"
    )
    pop, got = (int(x) for x in built.stdout.split())
    if nodes is None:
        return False, f"accepted a bad file: {pop} citizens, {got} ties"
    ok = pop == nodes and (ties is None or got == ties)
    return ok, f"{pop} citizens, {got} ties (want {nodes}, {ties})"


def huge_ids(e: Env) -> Outcome:
    ids = [2**64 - 1 - i for i in range(50)]
    body = "\n".join(f"{ids[i]},{ids[(i + 1) % 50]}" for i in range(50)).encode()
    return _net_run(e, "huge.csv", body, nodes=50, ties=50)


def quoted_first(e: Env) -> Outcome:
    return _net_run(e, "q.csv", b'"1","2"\n2,3\n3,1\n', nodes=3, ties=3)


def bom_first(e: Env) -> Outcome:
    return _net_run(e, "bom.csv", b"\xef\xbb\xbf1,2\n2,3\n3,1\n", nodes=3, ties=3)


def decimal_first(e: Env) -> Outcome:
    return _net_run(e, "dec.csv", b"1.0,2.0\n2,3\n3,1\n")


def list_column(e: Env) -> Outcome:
    t = pa.table({"u": [[1], [2], [3]], "v": [[2], [3], [1]]})
    return _net_run(e, "list.parquet", table=t)


def double_space(e: Env) -> Outcome:
    return _net_run(e, "sp.txt", b"1  2\n2  3\n3  1\n", nodes=3, ties=3)


# --- results directories -----------------------------------------------------------------


def two_writers(e: Env) -> Outcome:
    out = e.work / "twice"
    cmd = [sys.executable, "-m", "scoresim", *COMPARE, "--out", str(out), "--resume"]
    procs = [
        subprocess.Popen(
            cmd, cwd=e.work, env=e.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in (1, 2)
    ]
    codes = sorted(p.wait(timeout=300) for p in procs)
    listed = e.run("runs", out, "--json")
    complete = [r for r in json.loads(listed.stdout or "[]") if r["status"] == "complete"]
    dirs = [d for d in (out / "runs").iterdir() if not d.name.startswith(".")]
    ok = codes in ([0, 0], [0, 2]) and len(complete) == 4 and len(dirs) == 4
    return ok, f"exits {codes}, {len(complete)} complete rows, {len(dirs)} run directories"


def _truncate(out: Path) -> Path:
    m = first_run(out) / "measures.parquet"
    m.write_bytes(m.read_bytes()[:-100])
    return m


def truncated_resume(e: Env) -> Outcome:
    out = compare_dir(e)
    m = _truncate(out)
    e.run(*COMPARE, "--out", out, "--resume")
    try:
        pq.read_table(m)
        return True, "the truncated run was run again"
    except Exception:
        return False, "--resume kept the truncated run as complete"


def truncated_report(e: Env) -> Outcome:
    out = compare_dir(e)
    _truncate(out)
    return one_line(e.run("report", out))


def truncated_explore(e: Env) -> Outcome:
    out = compare_dir(e)
    _truncate(out)
    return _explore_starts(e, out)


def truncated_sensitivity(e: Env) -> Outcome:
    design = e.work / "d.toml"
    design.write_text(
        'name = "s"\nscenario = "no-score"\nmethod = "lhs"\nsamples = 4\nseed = 3\n'
        'outputs = ["expression_rate"]\n[overrides]\n"society.agents" = 300\nsteps = 6\n'
        '[parameters]\n"modules.expression.base_rate" = { low = 0.05, high = 0.3 }\n'
    )
    out = e.work / "sw"
    assert e.run("sweep", design, "--out", out, "-w", "1").returncode == 0
    _truncate(out)
    res = e.run("sensitivity", out)
    return (True, "answered") if res.returncode == 0 else one_line(res)


def empty_db(e: Env) -> Outcome:
    out = compare_dir(e)
    (out / "scoresim.duckdb").write_bytes(b"")
    start = time.monotonic()
    res = e.run("runs", out)
    took = time.monotonic() - start
    ok, said = one_line(res)
    return ok and took < 15, f"{took:.0f} s; {said}"


def corrupt_db_repair(e: Env) -> Outcome:
    out = compare_dir(e)
    (out / "scoresim.duckdb").write_bytes(os.urandom(20_000))
    res = e.run("repair", out)
    if res.returncode != 0:
        return False, "no way to rebuild the manifest" if "No such command" in res.stderr else (
            one_line(res)[1]
        )
    listed = e.run("runs", out, "--json")
    n = sum(r["status"] == "complete" for r in json.loads(listed.stdout))
    return n == 4, f"repair rebuilt {n} of 4 complete runs"


def deleted_run(e: Env) -> Outcome:
    out = compare_dir(e)
    gone = first_run(out)
    shutil.rmtree(gone)
    rows = json.loads(e.run("runs", out, "--json").stdout)
    state = next(r["status"] for r in rows if r["run_id"] == gone.name)
    return state != "complete", f"listed as {state}"


def _sweep_design(e: Env) -> Path:
    design = e.work / "long.toml"
    design.write_text(
        'name = "long"\nscenario = "social-credit"\nmethod = "factorial"\n'
        '[overrides]\n"society.agents" = 2500\nsteps = 36\n'
        '[parameters]\n"modules.expression.base_rate" = { values = [0.1, 0.15, 0.2, 0.25, '
        "0.3, 0.35] }\n"
    )
    return design


def sigterm_sweep(e: Env) -> Outcome:
    import psutil

    out = e.work / "sig"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scoresim",
            "sweep",
            str(_sweep_design(e)),
            "-o",
            str(out),
            "-w",
            "2",
        ],
        cwd=e.work,
        env=e.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    parent = psutil.Process(proc.pid)
    kids: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        kids |= {c.pid for c in parent.children(recursive=True)}
        done = [d for d in (out / "runs").glob("*/run.json")] if (out / "runs").is_dir() else []
        if len(done) >= 2:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    time.sleep(3)
    alive = [p for p in kids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    files = {d.parent.name for d in (out / "runs").glob("*/run.json")}
    rows = json.loads(e.run("runs", out, "--json").stdout or "[]")
    complete = {r["run_id"] for r in rows if r["status"] == "complete"}
    for p in alive:
        os.kill(p, signal.SIGKILL)
    ok = not alive and files == complete
    return ok, f"{len(alive)} processes left; {len(files)} runs on disk, {len(complete)} recorded"


def failing_sweep(e: Env) -> Outcome:
    (e.work / "base.toml").write_text(
        'extends = "no-score"\nplugins = ["tests.plugins.fault"]\n[modules.fault]\n'
    )
    design = e.work / "f.toml"
    design.write_text(
        'name = "faulty"\nscenario = "base.toml"\nmethod = "factorial"\n'
        '[overrides]\n"society.agents" = 300\nsteps = 4\n'
        '[parameters]\n"modules.fault.fail_at_step" = { values = [2, 3, 2, -1] }\n'
    )
    env = e.env()  # the repository's test plugin, which fails at a chosen month
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(REPO)) if p)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "scoresim",
            "sweep",
            str(design),
            "-o",
            str(e.work / "fo"),
            "-w",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=e.work,
        env=env,
        timeout=120,
    )
    return res.returncode != 0, f"exit {res.returncode} with 3 of 4 runs failed"


# --- tracebacks --------------------------------------------------------------------------


def scenario_file(e: Env, body: str) -> Outcome:
    (e.work / "s.toml").write_text(body)
    return one_line(e.run("run", "s.toml", "-n", "300", "-t", "2", "--out", e.work / "r"))


def unwritable_out(e: Env) -> Outcome:
    (e.work / "file").write_text("x")
    return one_line(
        e.run("run", "no-score", "-n", "300", "-t", "2", "--out", e.work / "file" / "o")
    )


def corrupt_experiment(e: Env) -> Outcome:
    out = compare_dir(e)
    (out / "experiment.json").write_text("{broken")
    return one_line(e.run("report", out))


def unknown_stored_key(e: Env) -> Outcome:
    out = compare_dir(e)
    for d in (out / "runs").iterdir():
        _rewrite_meta(d, _stored_scenario("from_the_future", 1))
    res = e.run("report", out)
    return (True, "read") if res.returncode == 0 else one_line(res)


def explore_host(e: Env, host: str) -> Outcome:
    out = compare_dir(e)
    return one_line(e.run("explore", out, "--host", host, "--port", "0", timeout=20))


# --- silently wrong ----------------------------------------------------------------------


def until_huge(e: Env) -> Outcome:
    res = e.py(
        "import sys\nfrom scoresim import Simulation, load_scenario, InputError\n"
        "sim = Simulation(load_scenario('no-score', {'society.agents': 300, 'steps': 12}))\n"
        "try:\n    r = sim.run(until=10**9)\n    print(r.steps.size)\n"
        "except InputError as exc:\n    print('error:', exc, file=sys.stderr); sys.exit(2)\n"
    )
    return (False, f"returned {res.stdout.strip()} steps") if res.returncode == 0 else one_line(res)


def other_version(e: Env) -> Outcome:
    out = compare_dir(e)

    def change(meta: dict[bytes, bytes]) -> None:
        meta[b"scoresim.code_version"] = b"0.0.1+gdeadbeef"

    _rewrite_meta(first_run(out), change)
    res = e.run("report", out)
    warned = "0.0.1+gdeadbeef" in res.stderr
    return warned and res.returncode == 0, "warned" if warned else "no warning"


def many_keys(e: Env) -> Outcome:
    keys = "\n".join(f"junk{i} = 1" for i in range(500_000))
    (e.work / "k.toml").write_text(f'extends = "no-score"\n[modules.economy]\n{keys}\n')
    start = time.monotonic()
    res = e.run("run", "k.toml", "--out", e.work / "k", timeout=600)
    took = time.monotonic() - start
    lines = len(res.stderr.splitlines())
    return res.returncode == 2 and lines <= 10 and took < 20, f"{took:.0f} s, {lines} lines"


def big_description(e: Env) -> Outcome:
    (e.work / "big.toml").write_text(
        'extends = "no-score"\ndescription = "' + "x" * 10_000_000 + '"\n'
    )
    res = e.run("run", "big.toml", "-n", "300", "-t", "1", "--out", e.work / "big")
    if res.returncode == 0:
        return False, "a 10 MB description stored in every Parquet file"
    return one_line(res)


# --- the explorer ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(e: Env, out: Path, *extra: str) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scoresim", "explore", str(out), "--port", str(port), *extra],
        cwd=e.work,
        env=e.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, port


def _get(
    port: int, path: str, host: str | None = None, deadline_s: float = 60
) -> tuple[int, dict[str, str], str]:
    import httpx

    headers = {"Host": host} if host else {}
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            r = httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=20)
            return r.status_code, dict(r.headers), r.text
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _explored(e: Env, check: Callable[[int], Outcome], out: Path | None = None) -> Outcome:
    proc, port = _serve(e, out or compare_dir(e))
    try:
        return check(port)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def host_header(e: Env) -> Outcome:
    def check(port: int) -> Outcome:
        code, _, _ = _get(port, "/api/overview", host="evil.example")
        return code == 400, f"Host: evil.example answered {code}"

    return _explored(e, check)


def security_headers(e: Env) -> Outcome:
    def check(port: int) -> Outcome:
        _, h, _ = _get(port, "/")
        want = ("x-content-type-options", "content-security-policy", "x-frame-options")
        missing = [k for k in want if k not in h]
        return not missing, f"missing {missing}" if missing else "all set"

    return _explored(e, check)


def cdn_docs(e: Env) -> Outcome:
    def check(port: int) -> Outcome:
        code, _, body = _get(port, "/api/docs")
        cdn = "cdn.jsdelivr" in body or "unpkg" in body
        return not cdn, f"/api/docs {code}" + (" loads Swagger from a CDN" if cdn else "")

    return _explored(e, check)


def _explore_starts(e: Env, out: Path) -> Outcome:
    proc, port = _serve(e, out)
    try:
        code, _, body = _get(port, "/api/overview")
        leaked = str(out) in body
        return code == 200 and not leaked, f"/api/overview {code}"
    except Exception as exc:  # the server died
        proc.wait(timeout=20)
        return False, f"start-up failed: exit {proc.returncode} ({type(exc).__name__})"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def corrupt_snapshot(e: Env) -> Outcome:
    out = compare_dir(e)
    snaps = sorted(first_run(out).glob("snapshots/step-*.parquet"))
    snaps[-1].write_bytes(b"\x00" * snaps[-1].stat().st_size)
    return _explore_starts(e, out)


def odd_name(e: Env) -> Outcome:
    (e.work / "v2.toml").write_text('extends = "social-credit"\nname = "policy (v2)"\n')
    out = e.work / "v2"
    res = e.run("compare", "v2.toml", "no-score", "-n", "300", "-t", "6", "--out", out)
    assert res.returncode == 0, res.stderr

    def check(port: int) -> Outcome:
        import urllib.parse

        code, _, _ = _get(port, "/api/blacklist?scenario=" + urllib.parse.quote("policy (v2)"))
        return code == 200, f"/api/blacklist for 'policy (v2)': {code}"

    return _explored(e, check, out)


def port_taken(e: Env) -> Outcome:
    out = compare_dir(e)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = e.run("explore", out, "--port", str(port), timeout=30)
    printed = "explorer at" in res.stdout
    ok, said = one_line(res)
    return ok and not printed, ("printed its address first; " if printed else "") + said


def wildcard_warning(e: Env, host: str = "0.0.0.0") -> Outcome:
    out = compare_dir(e)
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scoresim",
            "explore",
            str(out),
            "--host",
            host,
            "--port",
            str(port),
        ],
        cwd=e.work,
        env=e.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        code, _, _ = _get(port, "/api/overview", deadline_s=20)
    except Exception:
        code = 0
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    if "Traceback" in err:
        return False, "traceback: " + err.strip().splitlines()[-1][:80]
    warned = "network" in err.lower()
    return warned and code == 200, f"served {code}, " + ("warned" if warned else "no warning")


CASES: dict[str, Callable[[Env], Outcome]] = {
    "checkpoint: tie past the population": lambda e: damaged_checkpoint(e, _tie_past),
    "checkpoint: inconsistent indptr": lambda e: damaged_checkpoint(e, _indptr),
    "checkpoint: missing ties array": lambda e: damaged_checkpoint(e, _no_indices),
    "checkpoint: a citizens' array too short": lambda e: damaged_checkpoint(e, _short_people),
    "checkpoint: measures truncated (relabelled steps)": lambda e: damaged_checkpoint(
        e, _short_measures
    ),
    "checkpoint: metadata not JSON": lambda e: damaged_checkpoint(e, _bad_meta),
    "checkpoint: file truncated": truncated_checkpoint,
    "plugins = ['this'] in results, then report": plugin_this,
    "a plugin file in the working directory, then report": plugin_in_cwd,
    "a missing plugin in results, then report": plugin_missing,
    "edge list: 50 ids near 2^64": huge_ids,
    "edge list: quoted first row": quoted_first,
    "edge list: UTF-8 BOM": bom_first,
    "edge list: decimal first row": decimal_first,
    "edge list: Parquet list columns": list_column,
    "edge list: double-space separator": double_space,
    "the same compare --resume started twice": two_writers,
    "truncated measures, then compare --resume": truncated_resume,
    "truncated measures, then report": truncated_report,
    "truncated measures, then explore": truncated_explore,
    "truncated measures, then sensitivity": truncated_sensitivity,
    "empty scoresim.duckdb, then runs": empty_db,
    "corrupt scoresim.duckdb, rebuild the manifest": corrupt_db_repair,
    "deleted run directory, then runs": deleted_run,
    "SIGTERM to a 2-worker sweep": sigterm_sweep,
    "sweep with 3 of 4 runs failing": failing_sweep,
    "TOML nested 600 deep": lambda e: scenario_file(e, "a = " + "[" * 600 + "]" * 600 + "\n"),
    "[modules.blacklist] without scoring": lambda e: scenario_file(
        e, 'extends = "no-score"\n[modules.blacklist]\n'
    ),
    "[modules.perks] without scoring": lambda e: scenario_file(
        e, 'extends = "no-score"\n[modules.perks]\n'
    ),
    "score_min > score_max": lambda e: scenario_file(
        e, 'extends = "social-credit"\n[modules.scoring]\nscore_min = 900\nscore_max = 400\n'
    ),
    "unwritable --out": unwritable_out,
    "corrupt experiment.json, then report": corrupt_experiment,
    "stored scenario with an unknown key, then report": unknown_stored_key,
    "explore --host ::": lambda e: wildcard_warning(e, "::"),
    "explore --host no.such.host.invalid": lambda e: explore_host(e, "no.such.host.invalid"),
    "run(until=10**9) of a 12-month scenario": until_huge,
    "results of another code version": other_version,
    "mean_degree = 500 with 100 agents": lambda e: scenario_file(
        e, 'extends = "no-score"\n[society]\nagents = 100\n[society.network]\nmean_degree = 500\n'
    ),
    "all five score weights 0": lambda e: scenario_file(
        e,
        'extends = "social-credit"\n[modules.scoring]\nw_credit_history = 0\n'
        "w_fulfilment = 0\nw_behaviour = 0\nw_identity = 0\nw_relationships = 0\n",
    ),
    "500,000 unknown keys": many_keys,
    "a 10 MB description": big_description,
    "explorer: Host: evil.example": host_header,
    "explorer: security headers": security_headers,
    "explorer: /api/docs from a CDN": cdn_docs,
    "explorer: last snapshot corrupt": corrupt_snapshot,
    "explorer: scenario named 'policy (v2)'": odd_name,
    "explorer: port taken": port_taken,
    "explorer: --host 0.0.0.0 warns": wildcard_warning,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, help="a scoresim checkout to run instead")
    parser.add_argument("-k", default="", help="only cases whose name holds this")
    args = parser.parse_args()
    held = broke = 0
    for name, case in CASES.items():
        if args.k not in name:
            continue
        with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
            try:
                ok, said = case(Env(args.code, Path(tmp)))
            except Exception as exc:  # the case itself could not be set up on this code
                ok, said = False, f"{type(exc).__name__}: {str(exc)[:80]}"
        held, broke = held + ok, broke + (not ok)
        print(f"| {name} | {'held' if ok else 'BROKE'} | {said.replace('|', '/')} |", flush=True)
    print(f"\n{held} held, {broke} broke")


if __name__ == "__main__":
    main()
