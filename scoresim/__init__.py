"""scoresim: a simulation laboratory for citizen-scoring systems on synthetic societies.

Typical use::

    import scoresim
    scenario = scoresim.load_scenario("default", {"society.agents": 5000, "steps": 24})
    result = scoresim.Simulation(scenario).run()
    print(result.final()["expression_rate"])

Importing the package registers the built-in modules (``scoresim.modules``), so that any
part of scoresim, whatever its layer, finds them in the registry by name.
"""

import scoresim.modules  # noqa: F401  (registers the built-in modules)
from scoresim.core.context import Context
from scoresim.core.declare import Mark, Measure, Module, Params, Phase, Read, State, param
from scoresim.core.errors import InputError, ScenarioError, ScoresimError
from scoresim.core.registry import register
from scoresim.core.version import __version__, code_version
from scoresim.engine.checkpoint import load_checkpoint, save_checkpoint
from scoresim.engine.simulation import Simulation
from scoresim.results import RunResult
from scoresim.scenario import Scenario, load_scenario, parse_scenario

__all__ = [
    "Context",
    "InputError",
    "Mark",
    "Measure",
    "Module",
    "Params",
    "Phase",
    "Read",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "ScoresimError",
    "Simulation",
    "State",
    "__version__",
    "code_version",
    "load_checkpoint",
    "load_scenario",
    "param",
    "parse_scenario",
    "register",
    "save_checkpoint",
]
