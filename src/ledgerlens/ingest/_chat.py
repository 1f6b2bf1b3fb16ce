"""Chat API bodies (OpenAI, Azure OpenAI, Anthropic) mapped onto record columns.

HTTP captures, LiteLLM payloads, Langfuse generations and OpenAI Batch output
all carry the same request and response bodies. This module turns those bodies
into GenAI-schema message lists and columns, so one call gives the same
``input_text`` / ``output_text`` whichever log carried it:

* a text becomes ``{"type": "text", "content"}``; an empty text beside tool
  calls is left out, as in the span dialects (``genai``);
* a tool call becomes ``{"type": "tool_call", "id", "name", "arguments"}``
  with ``arguments`` parsed from its JSON string when it is JSON;
* a tool answer becomes ``{"type": "tool_call_response", "id", "response"}``;
* an answer's finish reason is kept on its message.

Azure OpenAI's ``content_filter_results`` / ``prompt_filter_results`` (and the
``content_filter_result`` of a filtered-prompt error) become policy results.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

import orjson

from ledgerlens.ingest._build import Draft
from ledgerlens.ingest.genai import normalise_provider
from ledgerlens.ingest.interface import UnitRejected

__all__ = [
    "FILTER_POLICIES",
    "anthropic_messages",
    "anthropic_response",
    "content_filter_results",
    "map_error_body",
    "map_openai_response",
    "normalised_provider",
    "openai_message",
    "openai_messages",
    "provider_of_url",
    "split_url",
]

# Policy names given to Azure OpenAI's filter results: on the prompt, on an answer.
FILTER_POLICIES: Final = ("azure.prompt_filter", "azure.content_filter")
_OUTCOME_RANK: Final = {"pass": 0, "flag": 1, "block": 2}
_HOST_PROVIDERS: Final = (
    (".openai.azure.com", "azure.ai.openai"),
    ("api.openai.com", "openai"),
    ("api.anthropic.com", "anthropic"),
    (".services.ai.azure.com", "azure.ai.inference"),
    ("api.mistral.ai", "mistral_ai"),
    ("api.groq.com", "groq"),
    ("api.deepseek.com", "deepseek"),
    ("api.x.ai", "x_ai"),
    ("generativelanguage.googleapis.com", "gcp.gemini"),
)
# Keys of a chat message that the parts already hold.
_MESSAGE_KEYS: Final = frozenset(
    {"role", "content", "tool_calls", "tool_call_id", "function_call"}
)


def split_url(url: str | None) -> SplitResult:
    """The parts of a logged request URL; one that cannot be split is a bad field."""
    try:
        return urlsplit(url or "")
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 host)
        raise UnitRejected("bad_field:url") from None


def provider_of_url(url: str | None) -> str | None:
    """The provider serving ``url``, from its host; ``None`` if unknown."""
    if not url:
        return None
    host = (split_url(url).hostname or "").lower()
    for suffix, provider in _HOST_PROVIDERS:
        if host == suffix.lstrip(".") or host.endswith(suffix):
            return provider
    return None


def openai_messages(messages: Any, name: str) -> list[dict[str, Any]]:
    """OpenAI chat ``messages`` as a GenAI-schema message list."""
    if isinstance(messages, str):
        return [_text_message("user", messages)]
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise UnitRejected(f"bad_field:{name}")
    return [openai_message(message) for message in messages]


def openai_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """One OpenAI chat message (request or answer) in the GenAI schema."""
    calls = list(message.get("tool_calls") or [])
    if message.get("function_call"):
        calls.append({"function": message["function_call"]})
    parts: list[dict[str, Any]] = []
    content = message.get("content")
    if message.get("role") == "tool" and message.get("tool_call_id") is not None:
        parts.append(
            {
                "type": "tool_call_response",
                "id": message["tool_call_id"],
                "response": content,
            }
        )
    else:
        parts.extend(_content_parts(content, has_calls=bool(calls)))
    parts.extend(_openai_tool_call(call) for call in calls if isinstance(call, dict))

    result: dict[str, Any] = {"role": message.get("role"), "parts": parts}
    for key, value in message.items():
        # Other fields (name, refusal, annotations) stay on the message; a null
        # one says nothing and is left out, as the span dialects leave it out.
        if key not in _MESSAGE_KEYS and value not in (None, [], {}):
            result[key] = value
    return result


def map_openai_response(body: Mapping[str, Any], draft: Draft) -> dict[str, Any]:
    """Take an OpenAI / Azure chat-completion body into ``draft``.

    Sets ``model_version``, tokens, ``finish_reason``, the output messages and
    Azure's filter results; returns the body's fields no column took.
    """
    rest = dict(body)
    columns = draft.columns
    model = rest.pop("model", None)
    if model is not None and not isinstance(model, str):
        raise UnitRejected("bad_field:model")
    if model:
        columns["model_version"] = model
    _map_usage(rest, columns)

    choices = rest.pop("choices", None)
    if isinstance(choices, list):
        outputs, reasons, leftovers = _choices(choices, draft)
        draft.output_messages = outputs
        columns["finish_reason"] = reasons[0] if reasons else None
        if leftovers:
            rest["choices"] = leftovers
    prompt_filters = rest.pop("prompt_filter_results", None)
    if prompt_filters is not None:
        for item in prompt_filters if isinstance(prompt_filters, list) else []:
            if isinstance(item, dict):
                _add_policies(
                    draft, FILTER_POLICIES[0], item.get("content_filter_results")
                )
    return rest


def map_error_body(error: Mapping[str, Any], draft: Draft) -> None:
    """An API error object: ``status`` error, its code as ``error_type``.

    A filtered prompt (code ``content_filter``) also gives the prompt filter's
    verdicts as policy results.
    """
    columns = draft.columns
    columns["status"] = "error"
    kind = error.get("code") or error.get("type")
    columns["error_type"] = str(kind) if kind is not None else "error"
    inner = error.get("innererror")
    if isinstance(inner, dict):
        _add_policies(draft, FILTER_POLICIES[0], inner.get("content_filter_result"))


def content_filter_results(policy: str, results: Any) -> list[dict[str, Any]]:
    """Azure filter results as policy results, one per category.

    ``filtered`` is ``block``; a severity other than ``safe``, or ``detected``
    (jailbreak, protected material), is ``flag``; otherwise ``pass``. Both
    spellings of a category (``self_harm``, ``self-harm``) become one.
    """
    if not isinstance(results, dict):
        return []
    policies = []
    for category, verdict in sorted(results.items()):
        if not isinstance(verdict, dict):
            continue
        policies.append(
            {
                "policy": policy,
                "version": None,
                "outcome": _filter_outcome(verdict),
                "category": category.strip().lower().replace("-", "_"),
                "score": None,
            }
        )
    return policies


def anthropic_messages(body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The input of an Anthropic Messages request (system first), GenAI schema."""
    messages = body.get("messages")
    if messages is None:
        return None
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise UnitRejected("bad_field:messages")
    result = []
    system = body.get("system")
    if system is not None:
        result.append({"role": "system", "parts": _anthropic_parts(system)})
    for message in messages:
        converted = {
            "role": message.get("role"),
            "parts": _anthropic_parts(message.get("content")),
        }
        result.append(converted)
    return result


def anthropic_response(message: Mapping[str, Any], draft: Draft) -> dict[str, Any]:
    """Take an Anthropic Messages answer (``type: message``) into ``draft``.

    Returns the fields no column took.
    """
    rest = dict(message)
    columns = draft.columns
    model = rest.pop("model", None)
    if model is not None and not isinstance(model, str):
        raise UnitRejected("bad_field:model")
    if isinstance(model, str):
        columns["model_version"] = model
    usage = rest.pop("usage", None)
    if isinstance(usage, dict):
        columns["tokens_in"] = _count(usage.pop("input_tokens", None), "input_tokens")
        columns["tokens_out"] = _count(
            usage.pop("output_tokens", None), "output_tokens"
        )
        if usage:
            rest["usage"] = usage
    reason = rest.pop("stop_reason", None)
    columns["finish_reason"] = reason
    output: dict[str, Any] = {
        "role": rest.pop("role", "assistant"),
        "parts": _anthropic_parts(rest.pop("content", None)),
    }
    if reason is not None:
        output["finish_reason"] = reason
    draft.output_messages = [output]
    return rest


def _anthropic_parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if not isinstance(content, list):
        raise UnitRejected("bad_field:content")
    parts = []
    for block in content:
        if not isinstance(block, dict):
            raise UnitRejected("bad_field:content")
        kind = block.get("type")
        if kind == "text":
            parts.append({"type": "text", "content": block.get("text")})
        elif kind == "tool_use":
            parts.append(
                {
                    "type": "tool_call",
                    "id": block.get("id"),
                    "name": block.get("name"),
                    "arguments": block.get("input"),
                }
            )
        elif kind == "tool_result":
            parts.append(
                {
                    "type": "tool_call_response",
                    "id": block.get("tool_use_id"),
                    "response": block.get("content"),
                }
            )
        else:
            parts.append(dict(block))
    return parts


def _choices(
    choices: list[Any], draft: Draft
) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    """Output messages, finish reasons and each choice's unmapped fields."""
    outputs: list[dict[str, Any]] = []
    reasons: list[str] = []
    leftovers: list[dict[str, Any]] = []
    for choice in sorted(
        (c for c in choices if isinstance(c, dict)), key=lambda c: c.get("index") or 0
    ):
        rest = dict(choice)
        message = rest.pop("message", None) or rest.pop("delta", None) or {}
        output = openai_message(message) if isinstance(message, dict) else {}
        if "text" in rest and not message:  # the legacy completions API
            output = _text_message("assistant", rest.pop("text"))
        reason = rest.pop("finish_reason", None)
        if reason is not None:
            output["finish_reason"] = reason
            reasons.append(str(reason))
        outputs.append(output)
        _add_policies(
            draft, FILTER_POLICIES[1], rest.pop("content_filter_results", None)
        )
        rest.pop("index", None)
        if any(value is not None for value in rest.values()):
            leftovers.append(rest)
    return outputs, reasons, leftovers


def _map_usage(rest: dict[str, Any], columns: dict[str, Any]) -> None:
    usage = rest.get("usage")
    if not isinstance(usage, dict):
        return
    tokens_in = usage.get("prompt_tokens", usage.get("input_tokens"))
    tokens_out = usage.get("completion_tokens", usage.get("output_tokens"))
    if tokens_in is not None:
        columns["tokens_in"] = _count(tokens_in, "usage.prompt_tokens")
    if tokens_out is not None:
        columns["tokens_out"] = _count(tokens_out, "usage.completion_tokens")


def _add_policies(draft: Draft, policy: str, results: Any) -> None:
    """Add filter verdicts, keeping the strictest per (policy, category)."""
    found = content_filter_results(policy, results)
    if not found:
        return
    existing: list[dict[str, Any]] = draft.columns.setdefault("policy_results", [])
    for item in found:
        for index, old in enumerate(existing):
            same = (old["policy"], old["category"]) == (
                item["policy"],
                item["category"],
            )
            if same:
                if _OUTCOME_RANK[item["outcome"]] > _OUTCOME_RANK[old["outcome"]]:
                    existing[index] = item
                break
        else:
            existing.append(item)


def _filter_outcome(verdict: Mapping[str, Any]) -> str:
    if verdict.get("filtered") is True:
        return "block"
    severity = verdict.get("severity")
    if (isinstance(severity, str) and severity.lower() != "safe") or verdict.get(
        "detected"
    ) is True:
        return "flag"
    return "pass"


def _content_parts(content: Any, *, has_calls: bool) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        if content == "" and has_calls:
            return []
        return [{"type": "text", "content": content}]
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append({"type": "text", "content": part.get("text")})
            elif isinstance(part, str):
                parts.append({"type": "text", "content": part})
            else:
                parts.append(part)
        return parts
    raise UnitRejected("bad_field:content")


def _openai_tool_call(call: Mapping[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    part: dict[str, Any] = {"type": "tool_call"}
    if call.get("id") is not None:
        part["id"] = call["id"]
    if isinstance(function, dict):
        if function.get("name") is not None:
            part["name"] = function["name"]
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            # Not JSON: the producer's string is kept as it was.
            with contextlib.suppress(orjson.JSONDecodeError):
                arguments = orjson.loads(arguments)
        if arguments is not None:
            part["arguments"] = arguments
    return part


def _text_message(role: str, text: Any) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnitRejected(f"bad_field:{name}")
    return value


def normalised_provider(name: Any) -> str | None:
    """A provider spelling normalised, or ``None`` when absent or empty."""
    if not isinstance(name, str) or not name.strip():
        return None
    return normalise_provider(name)
