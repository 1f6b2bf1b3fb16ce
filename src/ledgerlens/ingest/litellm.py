"""``litellm-payload``: LiteLLM's ``StandardLoggingPayload``, one per call.

LiteLLM hands every logging callback one ``StandardLoggingPayload`` object per
call; it is found as JSON Lines (a callback writing one per line), a JSON list,
or a single JSON document. Each payload is one unit (``raw`` is the line, or
the object re-serialised with sorted keys inside a list or document).

``startTime`` / ``endTime`` are epoch seconds in some LiteLLM versions and
naive wall times (``2025-01-24 09:20:46.847371``) in others: naive ones are
read in the source's ``naive_tz`` and otherwise quarantined
(``naive_timestamp``), never guessed. ``guardrail_information`` becomes
policy results. Every other field stays in ``extra``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from ledgerlens.ingest._build import Draft
from ledgerlens.ingest._chat import (
    map_openai_response,
    normalised_provider,
    openai_messages,
)
from ledgerlens.ingest._units import UnitMaker, dump_unit, json_values
from ledgerlens.ingest.interface import (
    IngestOptions,
    Sample,
    SourceFile,
    Unit,
    UnitOutcome,
    UnitRejected,
)
from ledgerlens.ingest.timeparse import parse_timestamp

__all__ = ["LITELLM_PAYLOAD", "LiteLLMPayloadAdapter", "guardrail_results"]

logger = logging.getLogger(__name__)

_SNIFF_KEYS: Final = frozenset({"call_type", "startTime", "custom_llm_provider"})
_STATUSES: Final = {"success": "ok", "failure": "error"}
# LiteLLM's guardrail_status values -> policy outcomes.
_GUARDRAIL_OUTCOMES: Final = {
    "success": "pass",
    "guardrail_intervened": "block",
    "guardrail_failed_to_respond": "flag",
    "not_run": "flag",
}
_TAKEN: Final = frozenset(
    {
        "startTime",
        "endTime",
        "model",
        "custom_llm_provider",
        "prompt_tokens",
        "completion_tokens",
        "response_cost",
        "status",
        "messages",
        "response",
        "trace_id",
        "model_group",
        "model_id",
        "api_base",
        "error_str",
        "error_information",
    }
)


@dataclass(frozen=True)
class LiteLLMPayloadAdapter:
    """``litellm-payload``: one unit per ``StandardLoggingPayload``."""

    name: str = "litellm-payload"

    def sniff(self, sample: Sample) -> int:
        """Sure when the first object carries LiteLLM's call fields."""
        first = sample.first_object
        if first is not None:
            return 85 if set(first) >= _SNIFF_KEYS else 0
        head = sample.head[:8192]
        if all(f'"{key}"'.encode() in head for key in _SNIFF_KEYS):
            return 80
        return 0

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Yield one unit per payload; a value that is not one is quarantined."""
        maker = UnitMaker(source, self.name, options)
        for value in json_values(source):
            if value.reason is not None:
                yield maker.quarantined(value.offset, 0, value.raw, value.reason)
                continue
            if isinstance(value.value, list):
                for index, item in enumerate(value.value):
                    yield maker.built(
                        value.offset,
                        index,
                        dump_unit(item),
                        partial(_draft, item, options.naive_tz),
                    )
                continue
            payload = value.value
            yield maker.built(
                value.offset,
                0,
                value.raw,
                partial(_draft, payload, options.naive_tz),
            )


LITELLM_PAYLOAD: Final = LiteLLMPayloadAdapter()


def guardrail_results(information: Any) -> list[dict[str, Any]]:
    """LiteLLM ``guardrail_information`` (one object or a list) as policy results."""
    items = information if isinstance(information, list) else [information]
    results = []
    for item in items:
        if not isinstance(item, dict):
            continue
        status = item.get("guardrail_status")
        mode = item.get("guardrail_mode")
        results.append(
            {
                "policy": str(item.get("guardrail_name") or "litellm.guardrail"),
                "version": None,
                "outcome": _GUARDRAIL_OUTCOMES.get(str(status), "flag"),
                "category": str(mode) if mode is not None else None,
                "score": None,
            }
        )
    return results


def _draft(payload: Any, naive_tz: str | None) -> tuple[Draft, UnitOutcome]:
    if not isinstance(payload, dict):
        raise UnitRejected("not_an_object")
    draft = Draft()
    columns = draft.columns
    columns["ts_start"] = parse_timestamp(payload.get("startTime"), naive_tz)
    end = payload.get("endTime")
    columns["ts_end"] = None if end in (None, "") else parse_timestamp(end, naive_tz)
    provider = _optional_text(payload.get("custom_llm_provider"), "custom_llm_provider")
    columns["provider"] = normalised_provider(provider)
    columns["model"] = _optional_text(payload.get("model"), "model")
    columns["trace_id"] = _optional_text(payload.get("trace_id"), "trace_id")
    columns["tokens_in"] = _count(payload.get("prompt_tokens"), "prompt_tokens")
    columns["tokens_out"] = _count(
        payload.get("completion_tokens"), "completion_tokens"
    )
    columns["cost_usd"] = _cost(payload.get("response_cost"))
    _map_outcome(payload, columns)

    if payload.get("messages") is not None:
        draft.input_messages = openai_messages(payload["messages"], "messages")
    response = payload.get("response")
    if isinstance(response, dict):
        rest = map_openai_response(response, draft)
        if rest:
            draft.extra["response"] = rest
    elif response is not None:
        draft.extra["response"] = response
    _map_guardrails(payload, draft)
    draft.extra.update(_leftovers(payload))
    return draft, "accepted"


def _map_outcome(payload: Mapping[str, Any], columns: dict[str, Any]) -> None:
    status = payload.get("status")
    if status is not None and status not in _STATUSES:
        raise UnitRejected("bad_field:status")
    columns["status"] = _STATUSES.get(str(status), "ok")
    info = payload.get("error_information")
    if not isinstance(info, dict):
        return
    error_class = info.get("error_class") or info.get("error_code")
    if error_class:
        columns["error_type"] = str(error_class)
    code = str(info.get("error_code") or "")
    if code.isascii() and code.isdigit() and len(code) == 3 and 100 <= int(code) <= 599:
        columns["http_status"] = int(code)


def _map_guardrails(payload: Mapping[str, Any], draft: Draft) -> None:
    information = payload.get("guardrail_information")
    if information is None:
        metadata = payload.get("metadata")
        if isinstance(metadata, dict):
            information = metadata.get("guardrail_information")
    results = guardrail_results(information) if information is not None else []
    if results:
        draft.columns["policy_results"] = results


def _leftovers(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Every field no column took, and the taken ones that say more than it."""
    extra = {k: v for k, v in payload.items() if k not in _TAKEN}
    for key in ("model_group", "model_id", "api_base", "error_str"):
        if payload.get(key) not in (None, ""):
            extra[key] = payload[key]
    info = payload.get("error_information")
    if isinstance(info, dict) and any(info.values()):
        extra["error_information"] = info
    return extra


def _optional_text(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise UnitRejected(f"bad_field:{name}")
    return value


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnitRejected(f"bad_field:{name}")
    return value


def _cost(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise UnitRejected("bad_field:response_cost")
    return float(value)
