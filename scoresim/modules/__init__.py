"""Built-in mechanisms; importing this package registers them by name."""

from scoresim.modules.demography import Demography
from scoresim.modules.economy import Economy
from scoresim.modules.expression import Expression
from scoresim.modules.friendship import Friendship
from scoresim.modules.network_stats import NetworkStats

__all__ = ["Demography", "Economy", "Expression", "Friendship", "NetworkStats"]
