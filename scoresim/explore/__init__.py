"""The web explorer: look up any simulated citizen, browse the blacklist, compare policies."""

from scoresim.explore.app import create_app
from scoresim.explore.data import ExplorerData, open_results

__all__ = ["ExplorerData", "create_app", "open_results"]
