"""ledgerlens: offline batch audit of production LLM traffic.

The public surface is the command line (``ledgerlens --help``) and the engine
functions in :mod:`ledgerlens.engine`; everything else is internal.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Read lazily: importlib.metadata costs ~0.1 s, and verify commands start fast.
    if name == "__version__":
        from importlib import metadata

        try:
            return metadata.version("ledgerlens")
        except metadata.PackageNotFoundError:  # running from a source tree
            return "0.0.0+unknown"
    raise AttributeError(name)
