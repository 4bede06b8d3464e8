"""scoresim: a simulation laboratory for citizen-scoring systems on synthetic societies.

Typical use::

    import scoresim
    scenario = scoresim.load_scenario("default", {"society.agents": 5000, "steps": 24})
    result = scoresim.Simulation(scenario).run()
    print(result.final()["expression_rate"])
"""

from scoresim.engine.checkpoint import load_checkpoint, save_checkpoint
from scoresim.engine.module import Measure, Module, Params, Phase, State
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
from scoresim.errors import InputError, ScenarioError, ScoresimError
from scoresim.results import RunResult
from scoresim.scenario import Scenario, load_scenario, parse_scenario
from scoresim.version import __version__, code_version

__all__ = [
    "InputError",
    "Measure",
    "Module",
    "Params",
    "Phase",
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
    "parse_scenario",
    "register",
    "save_checkpoint",
]
