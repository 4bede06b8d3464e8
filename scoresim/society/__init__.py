"""Synthetic societies: citizens as a struct of arrays and a CSR social network."""

from scoresim.society.network import Network
from scoresim.society.people import BARRABLE_OCCUPATIONS, OCCUPATIONS, People
from scoresim.society.society import Society, build_society

__all__ = ["BARRABLE_OCCUPATIONS", "OCCUPATIONS", "Network", "People", "Society", "build_society"]
