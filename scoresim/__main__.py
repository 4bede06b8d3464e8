"""``python -m scoresim`` runs the command-line interface."""

from scoresim.cli import main

main()
