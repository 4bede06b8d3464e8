"""Faults in a results directory: two writers, damaged files, a lost manifest, interrupts.

Every command runs as users run it (``python -m scoresim`` in a subprocess), so a traceback
or a hang would show; each case ends in the correct result or one line and an exit code.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from scoresim.experiments import InProcessExecutor, compare
from scoresim.experiments.batch import done_ids
from scoresim.results import MANIFEST_FILE, MEASURES_FILE, verify_run
from scoresim.store import DB_FILE, list_runs
from scoresim.store.lock import LOCK_FILE, writer_lock
from scoresim.store.repair import repair
from tests.conftest import write_design

SMALL = {"society.agents": 300, "steps": 12}


def scoresim(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the command as users do, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "scoresim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line(res: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    """The command failed with ``code`` and one line on stderr holding every word."""
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == code, res.stderr
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    for w in words:
        assert w in lines[0], lines[0]


def digests(root: Path) -> dict[str, str]:
    """SHA-256 of every run's measures, by run id."""
    return {
        d.name: hashlib.sha256((d / MEASURES_FILE).read_bytes()).hexdigest()
        for d in sorted((root / "runs").iterdir())
        if not d.name.startswith(".")
    }


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A comparison of two policies, two replicates each, kept pristine for copies."""
    out = tmp_path_factory.mktemp("store") / "cmp"
    compare(["social-credit", "no-score"], SMALL, 2, InProcessExecutor(), out=out)
    return out


@pytest.fixture
def cmp(made: Path, tmp_path: Path) -> Path:
    out = tmp_path / "cmp"
    shutil.copytree(made, out)
    return out


COMPARE = ("compare", "social-credit", "no-score", "-n", "300", "-t", "12", "-r", "2")


# --- completion means verified files -------------------------------------------------------


def test_run_json_records_every_file_with_its_size_and_checksum(cmp: Path) -> None:
    for d in (cmp / "runs").iterdir():
        files = json.loads((d / MANIFEST_FILE).read_text())["files"]
        on_disk = {p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file()}
        assert set(files) == on_disk - {MANIFEST_FILE}
        for name, want in files.items():
            data = (d / name).read_bytes()
            assert want == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_a_truncated_run_is_not_complete_and_resume_reruns_it_alone(cmp: Path) -> None:
    before = digests(cmp)
    victim = sorted(before)[1]
    measures = cmp / "runs" / victim / MEASURES_FILE
    measures.write_bytes(measures.read_bytes()[:-100])
    assert "bytes where" in (verify_run(measures.parent) or "")
    assert victim not in done_ids(cmp)
    # Readers say what is wrong in one line instead of an Arrow traceback.
    one_line(scoresim("report", cmp), 2, "damaged run", victim, "--resume")
    listed = scoresim("runs", cmp, "--json")
    assert listed.returncode == 0 and "repair" in listed.stderr
    states = {r["run_id"]: r["status"] for r in json.loads(listed.stdout)}
    assert states[victim] == "damaged" and list(states.values()).count("complete") == 3
    others = {
        r: (cmp / "runs" / r / MEASURES_FILE).stat().st_mtime_ns for r in before if r != victim
    }
    res = scoresim(*COMPARE, "--out", cmp, "--resume", "--json")
    assert res.returncode == 0, res.stderr
    assert digests(cmp) == before  # rerun byte for byte; the others untouched
    assert {r: (cmp / "runs" / r / MEASURES_FILE).stat().st_mtime_ns for r in others} == others


def test_a_changed_byte_of_the_same_size_is_caught_by_the_checksum(cmp: Path) -> None:
    victim = sorted(digests(cmp))[0]
    measures = cmp / "runs" / victim / MEASURES_FILE
    data = bytearray(measures.read_bytes())
    data[len(data) // 2] ^= 0xFF
    measures.write_bytes(bytes(data))
    assert verify_run(measures.parent, checksums=False) is None  # same size
    assert "checksum" in (verify_run(measures.parent) or "")
    assert victim not in done_ids(cmp)


@pytest.mark.parametrize(
    "files",
    [
        {"../../../etc/passwd": {"bytes": 1, "sha256": "x"}, MEASURES_FILE: {}},
        {"/etc/passwd": {"bytes": 1, "sha256": "x"}, MEASURES_FILE: {}},
        ["measures.parquet"],
        {"ego_nodes.parquet": {"bytes": 1}},
        {MEASURES_FILE: "big"},
    ],
)
def test_a_crafted_list_of_files_is_damage_and_never_read_outside(cmp: Path, files: object) -> None:
    d = next(p for p in (cmp / "runs").iterdir())
    info = json.loads((d / MANIFEST_FILE).read_text())
    info["files"] = files
    (d / MANIFEST_FILE).write_text(json.dumps(info))
    assert verify_run(d) is not None
    one_line(scoresim("report", cmp), 2, "damaged run")


@pytest.mark.parametrize("content", ["", "{", "[1, 2]", '{"files": 3}', "\x00\xff" * 50])
def test_a_damaged_run_json_is_one_line(cmp: Path, content: str) -> None:
    d = next(p for p in (cmp / "runs").iterdir())
    (d / MANIFEST_FILE).write_text(content, encoding="utf-8", errors="surrogateescape")
    assert d.name not in done_ids(cmp)
    one_line(scoresim("report", cmp), 2, d.name)


# --- the manifest: damaged, lost, rebuilt ---------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"not a database" * 100, os.urandom(20_000)])
def test_a_damaged_manifest_is_one_line_and_repair_rebuilds_it(cmp: Path, content: bytes) -> None:
    runs_before = {r["run_id"]: r for r in list_runs(cmp)}
    (cmp / DB_FILE).write_bytes(content)
    for command in (("runs", cmp), ("report", cmp), (*COMPARE, "--out", cmp, "--resume")):
        # At once, not after waiting 30 s for a lock that is not there.
        one_line(scoresim(*command, timeout=20), 2, "repair", DB_FILE)
    res = scoresim("repair", cmp, "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["complete"] == 4 and summary["manifest_moved_to"]
    assert Path(summary["manifest_moved_to"]).read_bytes() == content  # kept, not deleted
    after = {r["run_id"]: r for r in list_runs(cmp)}
    assert after.keys() == runs_before.keys()
    for run_id, row in runs_before.items():  # rebuilt from run.json alone
        for key in ("experiment", "scenario", "scenario_hash", "seed", "replicate", "status"):
            assert after[run_id][key] == row[key], key
        assert json.loads(after[run_id]["params"]) == json.loads(row["params"])
    assert scoresim("report", cmp).returncode == 0


def test_a_foreign_duckdb_file_is_one_line(cmp: Path) -> None:
    import duckdb

    (cmp / DB_FILE).unlink()
    with duckdb.connect(str(cmp / DB_FILE)) as con:
        con.execute("CREATE TABLE runs (x INTEGER)")
    one_line(scoresim("runs", cmp), 2, "repair")
    one_line(scoresim("report", cmp), 2, "repair")


def test_deleted_and_damaged_runs_are_listed_as_such_and_repair_records_it(cmp: Path) -> None:
    ids = sorted(digests(cmp))
    shutil.rmtree(cmp / "runs" / ids[0])
    (cmp / "runs" / ids[1] / MEASURES_FILE).write_bytes(b"PAR1")
    (cmp / "runs" / f".{ids[2]}.partial").mkdir()  # an interrupted run's leftovers
    states = {r["run_id"]: r["status"] for r in json.loads(scoresim("runs", cmp, "--json").stdout)}
    assert (states[ids[0]], states[ids[1]], states[ids[2]]) == ("missing", "damaged", "complete")
    done = repair(cmp)
    assert (done.complete, done.missing, list(done.damaged), done.leftovers) == (
        2,
        [ids[0]],
        [ids[1]],
        1,
    )
    rows = {r["run_id"]: r for r in list_runs(cmp)}
    assert rows[ids[0]]["status"] == "failed" and rows[ids[0]]["error"] == "files missing"
    assert rows[ids[1]]["status"] == "failed" and "damaged" in rows[ids[1]]["error"]
    assert not (cmp / "runs" / f".{ids[2]}.partial").exists()
    # A report now stands on the complete runs; resume brings back the two.
    res = scoresim(*COMPARE, "--out", cmp, "--resume", "--json")
    assert res.returncode == 0, res.stderr
    assert len(done_ids(cmp)) == 4 and len(list_runs(cmp, "complete")) == 4


def test_repair_refuses_what_is_not_a_results_directory(tmp_path: Path) -> None:
    one_line(scoresim("repair", tmp_path), 2, "not a scoresim results directory")
    one_line(scoresim("repair", tmp_path / "nowhere"), 2, "not a scoresim results directory")


def test_sensitivity_on_a_damaged_sweep_is_one_line(tmp_path: Path) -> None:
    design = write_design(
        tmp_path / "d.toml",
        'name = "s"\nscenario = "no-score"\nmethod = "lhs"\nsamples = 4\nseed = 3\n'
        'outputs = ["expression_rate", "mean_degree"]\n'
        '[overrides]\n"society.agents" = 300\nsteps = 12\n'
        '[parameters]\n"modules.expression.base_rate" = { low = 0.05, high = 0.3 }\n',
    )
    out = tmp_path / "sw"
    assert scoresim("sweep", design, "--out", out, "--workers", "1").returncode == 0
    victim = sorted(digests(out))[0]
    measures = out / "runs" / victim / MEASURES_FILE
    data = bytearray(measures.read_bytes())
    data[4:200] = b"\xff" * 196  # the first pages' headers; the footer still reads
    measures.write_bytes(bytes(data))
    one_line(scoresim("sensitivity", out), 2, "repair")
    assert scoresim("repair", out).returncode == 0
    res = scoresim("sensitivity", out)
    assert res.returncode == 0, res.stderr


# --- one writer at a time -------------------------------------------------------------------


def test_a_second_writer_gets_one_line_naming_the_first(cmp: Path) -> None:
    with writer_lock(cmp):
        res = scoresim(*COMPARE, "--out", cmp, "--resume")
        one_line(res, 2, "another scoresim process is writing here", f"pid {os.getpid()}")
    before = digests(cmp)
    assert done_ids(cmp) == set(before)  # the refused writer touched nothing


def test_wait_starts_when_the_first_writer_is_done(cmp: Path) -> None:
    released = threading.Event()

    def hold() -> None:
        with writer_lock(cmp):
            time.sleep(3)
        released.set()

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.5)
    res = scoresim(*COMPARE, "--out", cmp, "--resume", "--wait", "--json")
    holder.join()
    assert res.returncode == 0, res.stderr
    assert released.is_set() and "waiting for" in res.stderr


def test_the_same_resume_started_twice_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "twice"
    cmd = [sys.executable, "-m", "scoresim", *COMPARE, "--out", str(out), "--resume", "--wait"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in (1, 2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    assert len(done_ids(out)) == 4 and len(list_runs(out, "complete")) == 4
    assert scoresim("report", out).returncode == 0


def test_without_wait_one_of_two_writers_stops_with_one_line(tmp_path: Path) -> None:
    out = tmp_path / "two"
    cmd = [sys.executable, "-m", "scoresim", *COMPARE, "--out", str(out), "--resume"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in (1, 2)]
    results = [(p.wait(timeout=300), p.stderr.read().decode()) for p in procs if p.stderr]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2])  # the second may start after the first ended
    for code, err in results:
        if code == 2:
            assert "another scoresim process is writing here" in err and "Traceback" not in err
    assert len(done_ids(out)) == 4 and len(list_runs(out, "complete")) == 4


def test_a_lock_of_a_killed_writer_does_not_stick(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    code = (
        "import time\nfrom pathlib import Path\nfrom scoresim.store.lock import writer_lock\n"
        f"with writer_lock(Path({str(out)!r})):\n"
        "    print('held', flush=True)\n    time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    one_line(scoresim(*COMPARE, "--out", out), 2, f"pid {proc.pid}")
    proc.kill()
    proc.wait()
    assert (out / LOCK_FILE).exists()  # left behind, but the kernel's lock went with it
    res = scoresim(*COMPARE, "--out", out, "--json")
    assert res.returncode == 0, res.stderr


def test_a_command_stopped_on_bad_input_leaves_no_directory(tmp_path: Path) -> None:
    one_line(scoresim("compare", "social-credit", "no-such-preset", "--out", tmp_path / "x"), 2)
    assert not (tmp_path / "x").exists()


def test_an_unwritable_out_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    for command in ("compare", "run"):
        args = ("social-credit", "no-score") if command == "compare" else ("no-score",)
        res = scoresim(command, *args, "-n", "300", "-t", "2", "--out", tmp_path / "file" / "o")
        one_line(res, 2, "cannot write results here")


# --- interrupts -----------------------------------------------------------------------------


def _long_design(tmp_path: Path) -> Path:
    """Six runs of a few seconds each."""
    return write_design(
        tmp_path / "d.toml",
        'name = "long"\nscenario = "social-credit"\nmethod = "factorial"\nreplicates = 1\n'
        '[overrides]\n"society.agents" = 2500\nsteps = 36\n'
        '[parameters]\n"modules.expression.base_rate" = { values = [0.1, 0.15, 0.2, 0.25, '
        "0.3, 0.35] }\n",
    )


def _interrupted_sweep(
    tmp_path: Path, send: signal.Signals, twice: bool = False
) -> tuple[Path, list[str]]:
    """Start a 6-run sweep on two workers, interrupt it after two runs, return its cmd."""
    design = _long_design(tmp_path)
    out = tmp_path / "sw"
    cmd = [sys.executable, "-m", "scoresim", "sweep", str(design), "-o", str(out), "-w", "2"]
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    parent = psutil.Process(proc.pid)
    children: set[int] = set()
    deadline = time.monotonic() + 180
    while len(done_ids(out)) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the sweep made no progress"
        children |= {c.pid for c in parent.children(recursive=True)}
        time.sleep(0.1)
    children |= {c.pid for c in parent.children(recursive=True)}
    if send == signal.SIGINT:  # as a terminal's Ctrl-C: to the whole process group
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(send)
    if twice:  # impatient: again while it stops
        time.sleep(0.01)
        proc.send_signal(send)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + send, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines and "stopped:" in lines[-1] and "--resume" in lines[-1], err
    assert "Traceback" not in err
    _, alive = psutil.wait_procs(
        [psutil.Process(p) for p in children if psutil.pid_exists(p)], timeout=10
    )
    assert not alive, f"workers left running: {alive}"
    return out, cmd


@pytest.mark.parametrize("send", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_stops_the_workers_and_leaves_the_manifest_consistent(
    tmp_path: Path, send: signal.Signals
) -> None:
    out, cmd = _interrupted_sweep(tmp_path, send)
    on_disk = done_ids(out)
    complete = {r["run_id"] for r in list_runs(out, "complete")}
    assert 2 <= len(on_disk) < 6
    assert complete == on_disk  # every finished run recorded, nothing more
    res = subprocess.run([*cmd, "--resume", "--json"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["skipped"] == len(on_disk)
    assert len(done_ids(out)) == 6 and len(list_runs(out, "complete")) == 6


def test_a_sweep_with_failed_runs_exits_1(tmp_path: Path) -> None:
    (tmp_path / "base.toml").write_text(
        'extends = "no-score"\nplugins = ["tests.plugins.fault"]\n[modules.fault]\n'
    )
    design = write_design(
        tmp_path / "d.toml",
        'name = "faulty"\nscenario = "base.toml"\nmethod = "factorial"\n'
        '[overrides]\n"society.agents" = 300\nsteps = 4\n'
        '[parameters]\n"modules.fault.fail_at_step" = { values = [2, 3, 2, -1] }\n',
    )
    res = scoresim("sweep", design, "--out", tmp_path / "o", "-w", "1")
    assert res.returncode == 1, res.stderr
    assert "3 of 4 runs failed" in res.stderr and "Traceback" not in res.stderr


def test_another_code_version_is_one_warning(cmp: Path) -> None:
    import pyarrow.parquet as pq

    from scoresim.results import fingerprint

    d = next(p for p in sorted((cmp / "runs").iterdir()))
    table = pq.read_table(d / MEASURES_FILE)
    meta = dict(table.schema.metadata)
    meta[b"scoresim.code_version"] = b"0.0.1+gdeadbeef"
    pq.write_table(table.replace_schema_metadata(meta), d / MEASURES_FILE)
    info = json.loads((d / MANIFEST_FILE).read_text())
    info["files"][MEASURES_FILE] = fingerprint(d / MEASURES_FILE)
    (d / MANIFEST_FILE).write_text(json.dumps(info))
    res = scoresim("report", cmp)
    assert res.returncode == 0, res.stderr
    warned = [ln for ln in res.stderr.splitlines() if "warning:" in ln]
    assert len(warned) == 1 and "0.0.1+gdeadbeef" in warned[0], res.stderr


# --- found in review: links, odd run.json values, threads, a dying worker --------------------


def test_a_lock_file_that_is_a_link_is_refused_and_its_target_untouched(
    cmp: Path, tmp_path: Path
) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("precious")
    lock = cmp / LOCK_FILE
    lock.unlink(missing_ok=True)
    lock.symlink_to(precious)
    one_line(scoresim("repair", cmp), 2, LOCK_FILE, "is a link")
    lock.unlink()
    os.link(precious, lock)  # a hard link: the same file under two names
    one_line(scoresim(*COMPARE, "--out", cmp, "--resume"), 2, "not a plain file of its own")
    assert precious.read_text() == "precious"


def _edit_run_json(cmp: Path, edit: dict[str, object]) -> Path:
    d = first_run_dir(cmp)
    info = json.loads((d / MANIFEST_FILE).read_text())
    for key, value in edit.items():
        if key.startswith("files/"):
            info["files"][key[6:]] = value
        else:
            info[key] = value
    (d / MANIFEST_FILE).write_text(json.dumps(info))
    return d


def first_run_dir(cmp: Path) -> Path:
    return sorted(d for d in (cmp / "runs").iterdir() if not d.name.startswith("."))[0]


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "."])
def test_a_listed_file_that_is_no_plain_file_is_damage_not_a_hang(cmp: Path, target: str) -> None:
    d = first_run_dir(cmp)
    if target == "fifo":
        os.mkfifo(d / "extra.parquet")
        name = "extra.parquet"
    elif target == ".":
        name = "."
    else:
        (d / "extra.parquet").symlink_to(target)
        name = "extra.parquet"
    _edit_run_json(cmp, {f"files/{name}": {"bytes": 0, "sha256": "0"}})
    assert "not a plain file" in (verify_run(d) or "")
    res = scoresim("repair", cmp, "--json", timeout=60)
    assert res.returncode == 0, res.stderr
    assert d.name in json.loads(res.stdout)["damaged"]


@pytest.mark.parametrize(
    "edit",
    [
        {"files/a\u0000b": {"bytes": 1, "sha256": "x"}},
        {"started": 10**400, "finished": 10**400, "elapsed_s": -(10**400)},
        {"replicate": 2**40, "seed": -1},
        {"replicate": True, "params": [1, 2], "experiment": 5},
    ],
)
def test_odd_values_in_run_json_are_damage_or_ignored_never_a_traceback(
    cmp: Path, edit: dict[str, object]
) -> None:
    _edit_run_json(cmp, edit)
    for command in (("repair", cmp), ("report", cmp), ("runs", cmp)):
        res = scoresim(*command)
        assert res.returncode in (0, 2) and "Traceback" not in res.stderr, (command, res.stderr)
    assert len(list_runs(cmp, "complete")) in (3, 4)  # a damaged run out, none lost


def test_another_thread_is_another_writer(tmp_path: Path) -> None:
    from scoresim import InputError

    root = tmp_path / "threads"
    said: list[str] = []
    inside = threading.Event()
    release = threading.Event()

    def first() -> None:
        with writer_lock(root):
            inside.set()
            release.wait(10)

    t = threading.Thread(target=first)
    t.start()
    inside.wait(10)
    try:
        with writer_lock(root):
            said.append("both in")
    except InputError as exc:
        said.append(str(exc))
    release.set()
    t.join()
    assert len(said) == 1 and "another scoresim process is writing here" in said[0]
    with writer_lock(root), writer_lock(root):  # the same thread again: nested, fine
        pass


def test_repair_waits_its_turn_with_wait(cmp: Path) -> None:
    with writer_lock(cmp):
        one_line(scoresim("repair", cmp), 2, "add --wait")
    assert scoresim("repair", cmp, "--wait").returncode == 0


@pytest.mark.parametrize(
    "experiment",
    [
        {"kind": "sweep"},
        {"kind": "sweep", "method": "sobol", "outputs": ["x"], "points": [], "runs": []},
        {
            "kind": "sweep",
            "method": "morris",
            "outputs": ["expression_rate"],
            "problem": {"num_vars": 1, "names": ["a"], "bounds": [[0, 1]]},
            "points": [{"a": "text"}],
            "runs": [["r"]],
        },
        {
            "kind": "sweep",
            "method": "sobol",
            "outputs": ["expression_rate"],
            "problem": {"num_vars": 2, "names": ["a"], "bounds": [[0, 1]]},
            "points": [],
            "runs": [],
        },
    ],
)
def test_sensitivity_on_a_damaged_sweep_description_is_one_line(
    cmp: Path, experiment: dict[str, object]
) -> None:
    (cmp / "experiment.json").write_text(json.dumps(experiment))
    one_line(scoresim("sensitivity", cmp), 2, "experiment.json")


def test_a_second_signal_while_stopping_keeps_the_manifest_consistent(tmp_path: Path) -> None:
    out, _ = _interrupted_sweep(tmp_path, signal.SIGTERM, twice=True)
    assert {r["run_id"] for r in list_runs(out, "complete")} == done_ids(out)


def test_a_worker_killed_is_one_line_and_exit_1(tmp_path: Path) -> None:
    design = _long_design(tmp_path)
    out = tmp_path / "k"
    proc = subprocess.Popen(
        [sys.executable, "-m", "scoresim", "sweep", str(design), "-o", str(out), "-w", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    while len(done_ids(out)) < 1:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    # A pool worker: a grandchild through the forkserver, running numba.
    workers = [c for c in parent.children(recursive=True) if "forkserver" not in c.cmdline()]
    busy = max(workers, key=lambda c: c.cpu_times().user)
    busy.kill()
    _, err = proc.communicate(timeout=120)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert "worker process died" in lines[-1], err
    assert {r["run_id"] for r in list_runs(out, "complete")} == done_ids(out)


def test_repair_makes_the_study_tables_again_from_their_files(cmp: Path, tmp_path: Path) -> None:
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from scoresim.store.tables import TABLES_FILE, put_table

    pq.write_table(pa.table({"fear": [0.5, 0.9], "weight": [0.25, 0.75]}), cmp / "post.parquet")
    put_table(cmp, "posterior", cmp / "post.parquet")
    outside = tmp_path / "outside.parquet"
    pq.write_table(pa.table({"x": [1]}), outside)
    (cmp / "linked.parquet").symlink_to(outside)
    listed = json.loads((cmp / TABLES_FILE).read_text())
    assert listed == {"posterior": "post.parquet"}
    # Crafted entries: a path outside, a link, a name that is not an identifier.
    listed |= {"evil": "../outside.parquet", "linked": "linked.parquet", "x; DROP": "post.parquet"}
    (cmp / TABLES_FILE).write_text(json.dumps(listed))
    (cmp / DB_FILE).write_bytes(b"")
    done = repair(cmp)
    assert done.moved_db is not None and done.tables == ["posterior"]
    with duckdb.connect(str(cmp / DB_FILE), read_only=True) as con:
        assert con.execute("SELECT fear, weight FROM posterior ORDER BY fear").fetchall() == [
            (0.5, 0.25),
            (0.9, 0.75),
        ]
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert tables == {"runs", "posterior"}


# --- found in the second review: links planted in a directory someone sent ---------------------


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "thesis.txt").write_text("my thesis")
    (victim / "run.json").write_text("user data")
    (victim / "burn_in.parquet").write_text("user burn")
    return victim


def _untouched(victim: Path) -> None:
    assert sorted(p.name for p in victim.iterdir()) == [
        "burn_in.parquet",
        "run.json",
        "sub",
        "thesis.txt",
    ]
    assert (victim / "run.json").read_text() == "user data"
    assert (victim / "burn_in.parquet").read_text() == "user burn"


def test_a_planted_partial_link_is_removed_not_written_through(cmp: Path, tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    run_id = first_run_dir(cmp).name
    shutil.rmtree(cmp / "runs" / run_id)  # so that the rerun writes its partial directory
    (cmp / "runs" / f".{run_id}.partial").symlink_to(victim)
    (cmp / "runs" / f".{run_id}.replaced").symlink_to(victim)
    res = scoresim(*COMPARE, "--out", cmp, "--resume", "--json")
    assert res.returncode == 0, res.stderr
    _untouched(victim)
    assert (cmp / "runs" / run_id).is_dir() and not (cmp / "runs" / run_id).is_symlink()
    assert len(done_ids(cmp)) == 4


def test_runs_as_a_link_is_refused_by_every_writer(cmp: Path, tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    (victim / ".cache.partial").mkdir()
    (cmp / "runs").rename(tmp_path / "real-runs")
    (cmp / "runs").symlink_to(victim)
    for command in (("repair", cmp), (*COMPARE, "--out", cmp, "--resume")):
        one_line(scoresim(*command), 2, "is a link")
    _untouched_but = sorted(p.name for p in victim.iterdir())
    assert ".cache.partial" in _untouched_but


@pytest.mark.parametrize("which", [DB_FILE, f"{DB_FILE}.wal"])
def test_a_linked_database_file_is_refused_and_its_target_untouched(
    cmp: Path, tmp_path: Path, which: str
) -> None:
    precious = tmp_path / "important.txt"
    precious.write_text("precious")
    if which == DB_FILE:
        (cmp / DB_FILE).unlink()
    (cmp / which).symlink_to(precious)
    for command in (("runs", cmp), (*COMPARE, "--out", cmp, "--resume")):
        one_line(scoresim(*command), 2, "not a plain file of its own")
    assert precious.read_text() == "precious"
    assert scoresim("repair", cmp).returncode == 0
    assert precious.read_text() == "precious"
    assert len(list_runs(cmp, "complete")) == 4


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE runs RENAME TO runs_real; CREATE VIEW runs AS SELECT r.* REPLACE "
        "((SELECT content FROM read_text('{secret}')) AS error) FROM runs_real r",
        "CREATE MACRO leak() AS (SELECT content FROM read_text('{secret}'))",
        "ALTER TABLE runs ADD COLUMN leak VARCHAR DEFAULT 'x'",
    ],
)
def test_a_manifest_holding_code_is_refused_and_repair_moves_it_aside(
    cmp: Path, tmp_path: Path, sql: str
) -> None:
    import duckdb

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET KEY")
    with duckdb.connect(str(cmp / DB_FILE)) as con:
        for statement in sql.format(secret=secret).split("; "):
            con.execute(statement)
    for command in (("runs", cmp, "--json"), ("report", cmp)):
        res = scoresim(*command)
        assert "TOP SECRET" not in res.stdout + res.stderr
        one_line(res, 2, "repair")
    done = json.loads(scoresim("repair", cmp, "--json").stdout)
    assert done["manifest_moved_to"] and done["complete"] == 4
    assert scoresim("report", cmp).returncode == 0


def test_crafted_study_tables_cannot_replace_the_manifest(cmp: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from scoresim.store.tables import TABLES_FILE

    pq.write_table(pa.table({"x": [1]}), cmp / "p.parquet")
    (cmp / "junk.parquet").write_bytes(b"PAR1junk")
    (cmp / TABLES_FILE).write_text(
        json.dumps({"runs": "p.parquet", "select": "p.parquet", "fine": "junk.parquet"})
    )
    (cmp / DB_FILE).write_bytes(b"")
    res = scoresim("repair", cmp, "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["complete"] == 4
    assert scoresim("report", cmp).returncode == 0


def test_manifest_rows_naming_paths_and_linked_run_directories_are_not_runs(
    cmp: Path, tmp_path: Path
) -> None:
    import duckdb

    with duckdb.connect(str(cmp / DB_FILE)) as con:
        first = con.execute("SELECT min(run_id) FROM runs").fetchone()[0]
        con.execute("UPDATE runs SET run_id = '../../elsewhere' WHERE run_id = ?", [first])
    one_line(scoresim("report", cmp), 2, "not a run's directory name")
    assert scoresim("repair", cmp).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(first_run_dir(cmp), elsewhere)
    (cmp / "runs" / "planted").symlink_to(elsewhere)
    assert "planted" not in done_ids(cmp)
    done = repair(cmp)
    assert done.damaged.get("planted") == "its directory is a link"
    assert "planted" not in {r["run_id"] for r in list_runs(cmp, "complete")}


def test_a_what_if_job_directory_planted_as_a_link_is_refused(tmp_path: Path) -> None:
    from scoresim import InputError
    from scoresim.explore.whatif_request import JobRequest
    from scoresim.explore.whatif_result import run_job

    victim = _victim(tmp_path)
    request = JobRequest.parse({"agents": 1000, "years": 1})
    out = tmp_path / "results" / "whatif" / request.job_id()
    out.parent.mkdir(parents=True)
    out.symlink_to(victim)
    with pytest.raises(InputError, match="is a link"):
        run_job(request, out, None)
    _untouched(victim)
