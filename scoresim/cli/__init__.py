"""The ``scoresim`` command: a thin layer over the Python API.

One file per concept: ``app`` (the Typer app, its commands in --help order), ``entry``
(``main``), the commands by what they act on (``running``, ``studies``, ``directories``,
``info``), and what they share (``options``, ``output``, ``progress``, ``batch``,
``comparison``).
"""

from scoresim.cli.app import app
from scoresim.cli.entry import main

__all__ = ["app", "main"]
