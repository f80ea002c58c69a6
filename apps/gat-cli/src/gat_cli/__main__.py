"""``python -m gat_cli`` runs the ``gat`` command."""

from gat_cli.main import main

main()
