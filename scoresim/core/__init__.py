"""The ground floor: errors, random streams, declarations, the Context protocol, the registry.

Nothing here imports any other part of scoresim.
"""
