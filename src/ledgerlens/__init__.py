"""ledgerlens: offline batch audit of production LLM traffic.

The public surface is the command line (``ledgerlens --help``) and the engine
functions in :mod:`ledgerlens.engine`; everything else is internal.
"""

from importlib import metadata

__all__ = ["__version__"]

try:
    __version__ = metadata.version("ledgerlens")
except metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"
