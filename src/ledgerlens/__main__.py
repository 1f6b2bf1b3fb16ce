"""``python -m ledgerlens``: the same as the ``ledgerlens`` command."""

from ledgerlens.cli import main

main()
