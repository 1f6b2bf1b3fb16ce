"""``vcr-cassette``: HTTP exchanges recorded by VCR.py (YAML, or its JSON form).

A cassette is a document ``{"interactions": [...], "version": 1}``; each
interaction (a request and its response) is one unit, whose ``raw`` is the
interaction re-serialised by orjson with sorted keys. A call to a model API
(known host, or a path such as ``/chat/completions``) is ``accepted``; any
other exchange is ``lineage_only``. What each exchange gives is described in
``_exchange`` and ``docs/ingest-formats.md``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import orjson
import yaml

from ledgerlens.ingest._exchange import (
    Exchange,
    exchange_draft,
    is_model_call,
    redacted_unit,
)
from ledgerlens.ingest._units import UnitMaker, dump_unit
from ledgerlens.ingest.interface import (
    IngestOptions,
    Sample,
    SourceFile,
    Unit,
    UnitOutcome,
    UnitRejected,
)
from ledgerlens.ingest.sources import read_exact

__all__ = ["VCR_CASSETTE", "VcrCassetteAdapter"]

logger = logging.getLogger(__name__)

_YAML_MARK: Final = re.compile(rb"(?m)^interactions:\s*$")
_SUFFIXES: Final = (".yaml", ".yml")


@dataclass(frozen=True)
class VcrCassetteAdapter:
    """``vcr-cassette``: one unit per recorded interaction."""

    name: str = "vcr-cassette"

    def sniff(self, sample: Sample) -> int:
        """Sure when the file starts a top-level ``interactions`` list."""
        if _YAML_MARK.search(sample.head):
            return 85 if sample.name.lower().endswith(_SUFFIXES) else 70
        first = sample.first_object
        if first is not None and isinstance(first.get("interactions"), list):
            return 70
        head = sample.head.lstrip()
        if head.startswith(b"{") and b'"interactions"' in head[:200]:
            return 60
        return 0

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Yield one unit per interaction; an unreadable cassette is one unit."""
        maker = UnitMaker(source, self.name, options)
        data = read_exact(source)
        try:
            document = yaml.load(data, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            yield maker.quarantined(0, 0, data, "invalid_yaml")
            return
        interactions = (
            document.get("interactions") if isinstance(document, dict) else None
        )
        if not isinstance(interactions, list):
            yield maker.quarantined(0, 0, data, "bad_field:interactions")
            return
        for index, interaction in enumerate(interactions):
            raw = dump_unit(redacted_unit(interaction))
            yield maker.built(0, index, raw, partial(_draft, interaction))


VCR_CASSETTE: Final = VcrCassetteAdapter()


def _draft(interaction: Any) -> tuple[Any, UnitOutcome]:
    exchange = _exchange(interaction)
    model_call = is_model_call(exchange)
    draft = exchange_draft(exchange, model_call=model_call)
    return draft, "accepted" if model_call else "lineage_only"


def _exchange(interaction: Any) -> Exchange:
    if not isinstance(interaction, dict):
        raise UnitRejected("not_an_object")
    request = interaction.get("request")
    response = interaction.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise UnitRejected("bad_field:interaction")
    status = response.get("status")
    code = status.get("code") if isinstance(status, dict) else status
    if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
        raise UnitRejected("bad_field:status")
    return Exchange(
        method=_optional_text(request.get("method")),
        url=_optional_text(request.get("uri")),
        status=code,
        request_headers=_headers(request.get("headers")),
        request_body=_body(request.get("body")),
        response_headers=_headers(response.get("headers")),
        response_body=_body(response.get("body")),
    )


def _body(body: Any) -> bytes | str | None:
    """A recorded body: text, bytes (``!!binary``), or ``{"string": ...}``."""
    if isinstance(body, dict):
        body = body.get("string")
    if body is None or isinstance(body, str | bytes):
        return body
    # VCR's JSON serialiser may keep a parsed body; its JSON text is the body.
    return orjson.dumps(body)


def _headers(headers: Any) -> dict[str, list[str]]:
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise UnitRejected("bad_field:headers")
    result: dict[str, list[str]] = {}
    for name, values in headers.items():
        items = values if isinstance(values, list) else [values]
        result.setdefault(str(name).lower(), []).extend(str(v) for v in items)
    return result


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnitRejected("bad_field:request")
    return value
