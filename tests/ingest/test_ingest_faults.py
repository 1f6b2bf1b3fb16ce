"""Regressions from the fault-injection run: inputs that used to stop the whole
audit (exit 70) or be read as less than they hold."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard
from ingest_helpers import export_request, otlp_attributes, read_path, span, write_lines

from ledgerlens.errors import IngestError
from ledgerlens.ingest import reader as reader_module
from ledgerlens.ingest.reader import READER_ERROR

_T = "2026-11-23T10:03:00Z"
_LLM = {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}


def _canonical(**fields: Any) -> bytes:
    return orjson.dumps({"ts_start": _T, "model": "m", **fields})


def test_a_line_nested_too_deeply_to_encode_is_one_quarantined_unit(
    tmp_path: Path,
) -> None:
    """Regression: RecursionError in the canonical encoder ended the run."""
    deep = b'{"ts_start": "' + _T.encode() + b'", "deep": '
    deep += b'{"a": ' * 500 + b"1" + b"}" * 500 + b"}"
    lines = [_canonical(record_id="a"), deep, _canonical(record_id="b")]

    units = read_path(write_lines(tmp_path / "deep.jsonl", lines))

    assert [u.outcome for u in units] == ["accepted", "quarantined", "accepted"]
    assert units[1].reason == "bad_field:extra" and units[1].raw == deep


@pytest.mark.parametrize("time", ["²", "١٧٨٨٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠", "9" * 5000])
def test_otlp_times_that_are_not_ascii_digits_are_bad_timestamps(
    tmp_path: Path, time: str
) -> None:
    """Regression: str.isdigit() let "²" through to int(), which raised."""
    path = tmp_path / "spans.json"
    path.write_bytes(orjson.dumps(export_request([span(_LLM, start=time)])))

    (unit,) = read_path(path)

    assert (unit.outcome, unit.reason) == ("quarantined", "bad_timestamp")


def test_a_choice_event_whose_message_is_not_an_object_is_a_bad_field(
    tmp_path: Path,
) -> None:
    """Regression: dict() of a string message raised ValueError."""
    event = {
        "name": "gen_ai.choice",
        "timeUnixNano": "1",
        "attributes": otlp_attributes({"message": "not an object"}),
    }
    path = tmp_path / "events.json"
    path.write_bytes(orjson.dumps(export_request([span(_LLM, events=[event])])))

    (unit,) = read_path(path)

    assert (unit.outcome, unit.reason) == ("quarantined", "bad_field:gen_ai.choice")


def test_a_har_url_that_cannot_be_split_is_a_bad_field(tmp_path: Path) -> None:
    """Regression: urlsplit raised on an unclosed IPv6 host."""
    entry = {
        "startedDateTime": "2024-06-01T12:00:00.250+02:00",
        "time": 10,
        "request": {"method": "POST", "url": "http://[::1/v1/chat/completions"},
        "response": {"status": 200, "content": {"mimeType": "application/json"}},
    }
    path = tmp_path / "calls.har"
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "entries": [entry]}}))

    (unit,) = read_path(path)

    assert (unit.outcome, unit.reason) == ("quarantined", "bad_field:url")


@pytest.mark.parametrize("options", [{}, {"format": "ledgerlens-jsonl"}])
def test_a_gzip_stream_damaged_in_the_middle_is_an_ingest_error(
    tmp_path: Path, options: dict[str, str]
) -> None:
    """Regression: zlib.error escaped as an internal error (exit 70)."""
    data = bytearray(gzip.compress(b"".join(_canonical() + b"\n" for _ in range(400))))
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "day.jsonl.gz"
    path.write_bytes(bytes(data))

    # Found while detecting the format, or while reading when it is forced.
    damaged = "CRC check failed|is not a complete gzip stream"
    with pytest.raises(IngestError, match=damaged):
        read_path(path, **options)


@pytest.mark.parametrize("options", [{}, {"format": "ledgerlens-jsonl"}])
@pytest.mark.parametrize("keep", [0.6, 0.5, 4 / 1000])
def test_a_zstd_stream_cut_short_is_an_ingest_error(
    tmp_path: Path, keep: float, options: dict[str, str]
) -> None:
    """Regression: a truncated zstd file was read as no records, exit 0."""
    lines = b"".join(_canonical(record_id=f"r{i}") + b"\n" for i in range(50))
    data = zstandard.ZstdCompressor().compress(lines)
    path = tmp_path / "day.jsonl.zst"
    path.write_bytes(data[: max(4, int(len(data) * keep))])

    cut = "zstd frame is cut short|is not a complete zstd stream"
    with pytest.raises(IngestError, match=cut):
        read_path(path, **options)


def test_two_zstd_frames_are_read_whole(tmp_path: Path) -> None:
    first = b"".join(_canonical(record_id=f"a{i}") + b"\n" for i in range(3))
    second = b"".join(_canonical(record_id=f"b{i}") + b"\n" for i in range(4))
    compress = zstandard.ZstdCompressor().compress
    path = tmp_path / "day.jsonl.zst"
    path.write_bytes(compress(first) + compress(second))

    units = read_path(path)

    assert [u.record["record_id"] for u in units if u.record] == [
        *(f"a{i}" for i in range(3)),
        *(f"b{i}" for i in range(4)),
    ]


def test_a_reader_that_fails_keeps_the_whole_file_as_one_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Input no adapter rule foresaw: the night goes on, nothing is lost."""
    lines = [_canonical(record_id=f"r{i}") for i in range(3)]
    path = write_lines(tmp_path / "day.jsonl", lines)
    original = reader_module._counted

    def failing_after_two(units: Any, source: Any, name: str) -> Any:
        def units_then_failure() -> Any:
            for index, unit in enumerate(units):
                if index == 2:
                    raise ValueError("a fault no rule foresaw, quoting 'prompt'")
                yield unit

        return original(units_then_failure(), source, name)

    monkeypatch.setattr(reader_module, "_counted", failing_after_two)

    units = read_path(path)

    assert [u.outcome for u in units] == ["accepted", "accepted", "quarantined"]
    assert units[-1].reason == READER_ERROR
    assert units[-1].raw == path.read_bytes()


def test_observations_inside_an_exported_trace_are_units_of_their_own(
    tmp_path: Path,
) -> None:
    """Regression: a generation nested in a trace export was never counted."""
    export = [
        {
            "id": "t-1",
            "timestamp": "2025-01-22T15:31:28Z",
            "sessionId": "s-1",
            "observations": [
                {
                    "id": "obs-1",
                    "type": "GENERATION",
                    "model": "gpt-4o",
                    "startTime": "2025-01-22T15:31:28.100Z",
                    "endTime": "2025-01-22T15:31:29.100Z",
                    "input": [{"role": "user", "content": "Hi"}],
                    "output": {"role": "assistant", "content": "Hello"},
                },
                {
                    "id": "obs-2",
                    "type": "SPAN",
                    "name": "retrieve",
                    "startTime": "2025-01-22T15:31:28Z",
                },
            ],
        }
    ]
    path = tmp_path / "traces.json"
    path.write_bytes(orjson.dumps(export))

    units = read_path(path, format="langfuse")

    outcomes = sorted((u.outcome, u.index) for u in units)
    assert outcomes == [("accepted", 1), ("lineage_only", 2), ("merged", 0)]
    generation = next(u for u in units if u.outcome == "accepted")
    assert generation.record is not None
    assert generation.record["model"] == "gpt-4o"
    assert generation.record["trace_id"] == "t-1"
    assert generation.record["session_id"] == "s-1"


_SSE = (
    Path(__file__).parents[2]
    / "data_fixtures/real/openllmetry-anthropic-sse"
    / "test_anthropic_message_streaming_legacy.yaml"
)


def _sse_events(body: str) -> list[str]:
    return [event for event in body.split("\n\n") if event.strip()]


def _cut_before(events: list[str], name: str) -> list[str]:
    return events[: next(i for i, e in enumerate(events) if f"event: {name}" in e)]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda e: _cut_before(e, "message_delta"), id="cut-before-delta"),
        pytest.param(lambda e: _cut_before(e, "message_stop"), id="no-message-stop"),
        pytest.param(lambda e: [*e[1:], e[0]], id="message-start-last"),
        pytest.param(lambda e: e[1:], id="no-message-start"),
    ],
)
def test_an_anthropic_stream_cut_short_or_out_of_order_is_incomplete(
    tmp_path: Path, change: Any
) -> None:
    """Regression: such streams were sealed as whole calls with placeholder tokens."""
    import yaml

    cassette = yaml.safe_load(_SSE.read_text())
    body = cassette["interactions"][0]["response"]["body"]
    body["string"] = "\n\n".join(change(_sse_events(body["string"]))) + "\n\n"
    path = tmp_path / "cassette.yaml"
    path.write_text(yaml.safe_dump(cassette))

    (unit,) = read_path(path)

    assert (unit.outcome, unit.reason) == ("quarantined", "incomplete_stream")


def test_the_whole_anthropic_stream_is_still_one_accepted_call(
    tmp_path: Path,
) -> None:
    (unit,) = read_path(_SSE)

    assert unit.outcome == "accepted" and unit.record is not None
    assert unit.record["tokens_out"] != 3  # the final count, not the placeholder


def test_a_langfuse_update_of_an_observation_never_created_is_unmatched(
    tmp_path: Path,
) -> None:
    """Regression: it became a second accepted call with no model."""
    time = "2025-01-22T15:31:28.000Z"
    batch = {
        "batch": [
            {
                "id": "e1",
                "type": "generation-create",
                "timestamp": time,
                "body": {
                    "id": "g1",
                    "traceId": "t1",
                    "model": "gpt-4o",
                    "startTime": time,
                },
            },
            {
                "id": "e2",
                "type": "generation-update",
                "timestamp": time,
                "body": {"id": "g1", "usage": {"input": 11, "output": 22}},
            },
            {
                "id": "e3",
                "type": "generation-update",
                "timestamp": time,
                "body": {"id": "nope", "usage": {"input": 11, "output": 22}},
            },
        ]
    }
    path = tmp_path / "batch.json"
    path.write_bytes(orjson.dumps(batch))

    units = sorted(read_path(path, format="langfuse"), key=lambda u: u.index)

    assert [(u.outcome, u.reason) for u in units] == [
        ("accepted", None),
        ("merged", None),
        ("quarantined", "unmatched_reference"),
    ]


@pytest.mark.parametrize(
    ("status", "error_type"), [(200, "unreadable_response"), (502, "http_502")]
)
def test_a_page_where_the_answer_belongs_is_an_error_call(
    tmp_path: Path, status: int, error_type: str
) -> None:
    """Regression: an HTML page on HTTP 200 was sealed as a successful call."""
    entry = {
        "startedDateTime": "2024-06-01T12:00:00.250+02:00",
        "time": 10,
        "request": {
            "method": "POST",
            "url": "https://api.openai.com/v1/chat/completions",
            "postData": {"mimeType": "application/json", "text": '{"model": "m"}'},
        },
        "response": {
            "status": status,
            "content": {"mimeType": "text/html", "text": "<html>gateway</html>"},
        },
    }
    path = tmp_path / "calls.har"
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "entries": [entry]}}))

    (unit,) = read_path(path)

    assert unit.outcome == "accepted" and unit.record is not None
    assert (unit.record["status"], unit.record["error_type"]) == ("error", error_type)


def test_a_model_that_is_not_text_is_a_bad_field_not_a_missing_one(
    tmp_path: Path,
) -> None:
    """Regression: `model: 5` was sealed as a record with no model."""
    line = {
        "id": "batch_req_1",
        "custom_id": "request-1",
        "response": {
            "status_code": 200,
            "body": {
                "created": 1711652795,
                "model": 5,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "Hi"}}
                ],
            },
        },
        "error": None,
    }
    path = write_lines(tmp_path / "out.jsonl", [orjson.dumps(line)])

    (unit,) = read_path(path)

    assert (unit.outcome, unit.reason) == ("quarantined", "bad_field:model")


def test_a_byte_order_mark_is_not_part_of_the_first_record(tmp_path: Path) -> None:
    """Regression: the same line with and without a BOM was two conflicting records."""
    line = _canonical(record_id="r1")
    with_bom = tmp_path / "a.jsonl"
    with_bom.write_bytes(b"\xef\xbb\xbf" + line + b"\n")
    without = write_lines(tmp_path / "b.jsonl", [line])

    (first,) = read_path(with_bom)
    (second,) = read_path(without)

    assert first.raw == second.raw == line
    assert first.offset == 3
    assert first.record is not None and second.record is not None
    assert first.record["source_sha256"] == second.record["source_sha256"]


def test_a_number_too_large_for_a_double_is_non_finite(tmp_path: Path) -> None:
    line = b'{"ts_start": "' + _T.encode() + b'", "cost_usd": 1e400}'

    good, big = read_path(write_lines(tmp_path / "big.jsonl", [_canonical(), line]))

    assert good.outcome == "accepted"
    assert (big.outcome, big.reason) == ("quarantined", "non_finite_number")


@pytest.mark.parametrize(
    "fixture",
    [
        "phoenix-openinference-spans/pxi_turn_trace.json",
        "otel-contrib-openai-vcr/test_chat_completion_with_content.yaml",
    ],
)
def test_a_byte_order_mark_does_not_hide_a_document_format(
    tmp_path: Path, fixture: str
) -> None:
    """Regression: with a BOM these files were one unsupported_format unit."""
    source = Path(__file__).parents[2] / "data_fixtures/real" / fixture
    marked = tmp_path / source.name
    marked.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())

    plain = read_path(source)
    with_bom = read_path(marked)

    assert [(u.outcome, u.reason) for u in with_bom] == [
        (u.outcome, u.reason) for u in plain
    ]
    assert [u.record["record_id"] for u in with_bom if u.record] == [
        u.record["record_id"] for u in plain if u.record
    ]


@pytest.mark.parametrize("indent", [False, True])
def test_a_phoenix_export_under_data_is_detected(tmp_path: Path, indent: bool) -> None:
    """Regression: `{"data": [...]}` was read only with --format."""
    source = Path(__file__).parents[2] / "data_fixtures/real"
    source = source / "phoenix-openinference-spans/pxi_turn_trace.json"
    spans = orjson.loads(source.read_bytes())
    wrapped = tmp_path / "export.json"
    option = orjson.OPT_INDENT_2 if indent else 0
    wrapped.write_bytes(orjson.dumps({"data": spans}, option=option))

    units = read_path(wrapped)
    forced = read_path(wrapped, format="phoenix-spans")

    assert {u.source_format for u in units} == {"phoenix-spans"}
    assert [(u.outcome, u.reason) for u in units] == [
        (u.outcome, u.reason) for u in forced
    ]
