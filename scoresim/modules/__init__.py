"""Built-in mechanisms; importing this package registers them by name.

The score-blind mechanisms every society has: economy, expression, opinions, friendship,
demography, network_stats. The scoring system as described in the articles: enrolment,
scoring, perks, purchases, blacklist, tie_cutting, bragging; and a financial list beside
them: debtors (those who default on the instant loan).
"""

from scoresim.modules.blacklist import Blacklist
from scoresim.modules.bragging import Bragging
from scoresim.modules.debtors import Debtors
from scoresim.modules.demography import Demography
from scoresim.modules.economy import Economy
from scoresim.modules.enrolment import Enrolment
from scoresim.modules.expression import Expression
from scoresim.modules.friendship import Friendship
from scoresim.modules.network_stats import NetworkStats
from scoresim.modules.opinions import Opinions
from scoresim.modules.perks import Perks
from scoresim.modules.purchases import Purchases
from scoresim.modules.scoring import Scoring
from scoresim.modules.tie_cutting import TieCutting

__all__ = [
    "Blacklist",
    "Bragging",
    "Debtors",
    "Demography",
    "Economy",
    "Enrolment",
    "Expression",
    "Friendship",
    "NetworkStats",
    "Opinions",
    "Perks",
    "Purchases",
    "Scoring",
    "TieCutting",
]
