"""The registered log formats, in the order that breaks detection ties.

Adding a format is one module exposing one :class:`Adapter` object, plus one
line here. Nothing else in ledgerlens names a concrete adapter.
"""

from __future__ import annotations

from typing import Final

from ledgerlens.errors import UsageError
from ledgerlens.ingest.canonical import CANONICAL_JSONL
from ledgerlens.ingest.har import HAR
from ledgerlens.ingest.interface import Adapter
from ledgerlens.ingest.langfuse import LANGFUSE
from ledgerlens.ingest.litellm import LITELLM_PAYLOAD
from ledgerlens.ingest.mt_bench import MT_BENCH
from ledgerlens.ingest.openai_batch import OPENAI_BATCH
from ledgerlens.ingest.otlp import OTLP_JSON, OTLP_JSONL
from ledgerlens.ingest.parquet import PARQUET
from ledgerlens.ingest.phoenix import PHOENIX_SPANS
from ledgerlens.ingest.vcr import VCR_CASSETTE

__all__ = ["ADAPTERS", "FORMATS", "adapter_named"]

ADAPTERS: Final[tuple[Adapter, ...]] = (
    CANONICAL_JSONL,
    OTLP_JSONL,
    OTLP_JSON,
    VCR_CASSETTE,
    HAR,
    PHOENIX_SPANS,
    LITELLM_PAYLOAD,
    LANGFUSE,
    OPENAI_BATCH,
    PARQUET,
    MT_BENCH,
)
FORMATS: Final[tuple[str, ...]] = tuple(adapter.name for adapter in ADAPTERS)


def adapter_named(name: str) -> Adapter:
    """The adapter of format ``name``; :class:`UsageError` if there is none."""
    for adapter in ADAPTERS:
        if adapter.name == name:
            return adapter
    msg = f"unknown log format `{name}`"
    raise UsageError(msg, remedy=f"use one of: {', '.join(FORMATS)}")
