"""Command families of the ``ledgerlens`` CLI, one module each.

Every module here exposes ``COMMANDS`` (a list of click commands) and imports
only click and :mod:`ledgerlens._cli_support` at module level, so ``ledgerlens
--help`` and the verify commands stay fast; the work is imported inside each
command.
"""
