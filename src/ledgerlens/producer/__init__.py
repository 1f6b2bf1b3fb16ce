"""A small reference writer for producers: chained canonical JSONL, crash-aware.

See :mod:`ledgerlens.producer.writer` for the flush and fsync policy and for
what survives a crash.
"""

from __future__ import annotations

from ledgerlens.producer.writer import ChainWriter, TornLineError, read_tip

__all__ = ["ChainWriter", "TornLineError", "read_tip"]
