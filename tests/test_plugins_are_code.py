"""A scenario's plugins are code: they run only when the scenario runs, never on reading.

Results and checkpoints sent by someone else must be safe to report on and explore: the
stored scenario is read as data, whatever plugins it names.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = '''
from pathlib import Path
Path("{marker}").write_text("imported")
from scoresim.core.declare import Module, Params, Phase
from scoresim.core.registry import register


@register
class Echo(Module):
    """A do-nothing module that proves the plugin ran."""

    name = "echo"
    phase = Phase.OUTCOMES

    class Params(Params):
        loud: int = 1

    def step(self, ctx):
        pass
'''


def _scoresim(
    args: list[str], cwd: Path, path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(path) if path else ""}
    return subprocess.run(
        [sys.executable, "-m", "scoresim", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("plugins")
    code = base / "code"
    code.mkdir()
    marker = base / "ran-at-run"
    (code / "echo_plugin.py").write_text(PLUGIN.format(marker=marker), encoding="utf-8")
    scenario = base / "s.toml"
    scenario.write_text(
        'extends = "no-score"\nname = "with-plugin"\nplugins = ["echo_plugin"]\nsteps = 2\n'
        "burn_in = 0\n[society]\nagents = 200\n[modules.echo]\nloud = 3\n",
        encoding="utf-8",
    )
    done = _scoresim(["run", str(scenario), "--out", str(base / "out")], base, code)
    assert done.returncode == 0, done.stderr
    assert marker.is_file()  # the plugin ran when the scenario ran
    marker.unlink()
    return base, marker


def test_reading_results_never_imports_a_plugin(results: tuple[Path, Path]) -> None:
    base, marker = results
    # The plugin is importable from where the reader stands, as if sent along: still not run.
    for args in (["report", str(base / "out")], ["runs", str(base / "out")]):
        done = _scoresim(args, base, base / "code")
        assert done.returncode == 0, done.stderr
        assert not marker.exists(), args


def test_results_whose_plugin_is_missing_are_still_readable(results: tuple[Path, Path]) -> None:
    base, _ = results
    done = _scoresim(["report", str(base / "out")], base)  # echo_plugin not on the path
    assert done.returncode == 0, done.stderr
    from scoresim.store import load_results

    runs = load_results(base / "out")
    stored = runs.first.scenario
    assert stored.plugins == ["echo_plugin"] and stored.modules["echo"] == {"loud": 3}


def test_zen_is_not_printed_by_a_report(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'extends = "no-score"\nplugins = ["this"]\nsteps = 1\nburn_in = 0\n'
        "[society]\nagents = 100\n",
        encoding="utf-8",
    )
    assert _scoresim(["run", str(scenario), "--out", str(tmp_path / "o")], tmp_path).returncode == 0
    done = _scoresim(["report", str(tmp_path / "o")], tmp_path)
    assert done.returncode == 0 and "Beautiful is better than ugly" not in done.stdout


def test_a_checkpoint_is_read_without_importing_its_plugins(results: tuple[Path, Path]) -> None:
    base, marker = results
    make = (
        "import echo_plugin\n"
        "from scoresim import Simulation, load_scenario\n"
        "from scoresim.engine.checkpoint import save_checkpoint\n"
        f"sim = Simulation(load_scenario({str(base / 's.toml')!r}))\n"
        "sim.run(until=1)\n"
        f"save_checkpoint(sim, {str(base / 'c.npz')!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(base / "code")}
    done = subprocess.run([sys.executable, "-c", make], cwd=base, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    marker.unlink()
    read = (
        "from scoresim.core.errors import InputError\n"
        "from scoresim.engine.checkpoint import load_checkpoint\n"
        "try:\n"
        f"    load_checkpoint({str(base / 'c.npz')!r})\n"
        "except InputError as exc:\n"
        "    print(exc)\n"
    )
    # Even with the plugin importable, reading the checkpoint does not run it.
    done = subprocess.run(
        [sys.executable, "-c", read], cwd=base, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (
        "come from the plugins ['echo_plugin']" in done.stdout and "import_plugins" in done.stdout
    )
    assert not marker.exists()
