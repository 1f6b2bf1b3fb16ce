"""Detection, the format override, and what read_units does with odd files."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from ingest_helpers import (
    GENAI_FILE,
    REAL,
    export_request,
    json_line,
    read_path,
    span,
    write_lines,
)

from ledgerlens.errors import UsageError
from ledgerlens.ingest import FORMATS, IngestOptions, discover_sources, read_units
from ledgerlens.ingest.detect import detect_adapter, sample_source
from ledgerlens.ingest.registry import ADAPTERS

LLM = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}


def _detected(path: Path) -> str | None:
    (source,) = discover_sources(path)
    adapter = detect_adapter(sample_source(source), ADAPTERS)
    return None if adapter is None else adapter.name


def test_registered_formats() -> None:
    assert FORMATS == (
        "ledgerlens-jsonl",
        "otlp-jsonl",
        "otlp-json",
        "vcr-cassette",
        "har",
        "phoenix-spans",
        "litellm-payload",
        "langfuse",
        "openai-batch",
        "parquet",
        "mt-bench",
    )


def test_detection_per_file(tmp_path: Path) -> None:
    request = export_request([span(LLM)])
    pretty = tmp_path / "pretty.json"
    pretty.write_bytes(orjson.dumps(request, option=orjson.OPT_INDENT_2))
    compact = tmp_path / "compact.json"
    compact.write_bytes(orjson.dumps(request))
    one_line_jsonl = write_lines(tmp_path / "one.jsonl", [json_line(request)])
    many = write_lines(tmp_path / "many.log", [json_line(request)] * 2)
    broken_first = write_lines(tmp_path / "b.jsonl", [b"{oops", json_line(request)])
    canonical = write_lines(tmp_path / "c.log", [json_line({"ts_start": 1})])
    texts = write_lines(tmp_path / "t.jsonl", [json_line({"input_text": "x"})])
    other = write_lines(tmp_path / "o.jsonl", [json_line({"question_id": 1})])

    assert _detected(GENAI_FILE) == "otlp-json"
    assert _detected(pretty) == "otlp-json"
    assert _detected(compact) == "otlp-json"
    assert _detected(one_line_jsonl) == "otlp-jsonl"
    assert _detected(many) == "otlp-jsonl"
    assert _detected(broken_first) == "otlp-jsonl"
    assert _detected(canonical) == "ledgerlens-jsonl"
    assert _detected(texts) == "ledgerlens-jsonl"
    assert _detected(other) is None


def test_undetectable_file_is_one_quarantined_unit(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "notes.txt", [b"first note", b"second note"])
    (unit,) = read_path(path)
    assert unit.outcome == "quarantined"
    assert unit.reason == "unsupported_format"
    assert unit.source_format == "unknown"
    assert unit.raw == path.read_bytes()
    assert (unit.offset, unit.index) == (0, 0)


def test_format_override_skips_detection(tmp_path: Path) -> None:
    # Lines with no ts_start are not detected as canonical, but can be forced.
    path = write_lines(tmp_path / "x.jsonl", [json_line({"model": "m"})] * 3)
    assert read_path(path)[0].reason == "unsupported_format"
    units = read_path(path, format="ledgerlens-jsonl")
    assert [u.reason for u in units] == ["missing_timestamp"] * 3


def test_override_with_the_wrong_format_quarantines_instead_of_raising() -> None:
    units = read_path(GENAI_FILE, format="ledgerlens-jsonl")
    assert len(units) == GENAI_FILE.read_bytes().count(b"\n")
    assert {u.outcome for u in units} == {"quarantined"}


def test_unknown_format_name_is_a_usage_error() -> None:
    (source,) = discover_sources(GENAI_FILE)
    with pytest.raises(UsageError) as caught:
        list(read_units(source, IngestOptions(format="csv")))
    assert caught.value.exit_code == 2
    assert "ledgerlens-jsonl, otlp-jsonl, otlp-json" in caught.value.one_line()


def test_unknown_naive_zone_is_a_usage_error() -> None:
    (source,) = discover_sources(GENAI_FILE)
    with pytest.raises(UsageError, match="Nowhere/Land"):
        list(read_units(source, IngestOptions(naive_tz="Nowhere/Land")))


def test_blank_file_gives_no_units(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n  \n")
    assert read_path(path) == []


def test_every_real_fixture_gives_units_with_one_outcome_each() -> None:
    for source in discover_sources(REAL):
        units = list(read_units(source, IngestOptions()))
        assert units, source.uri
        for unit in units:
            assert (unit.reason is None) == (unit.outcome != "quarantined")
            has_record = unit.outcome not in ("quarantined", "merged")
            assert (unit.record is not None) == has_record
            assert (unit.merged_into is not None) == (unit.outcome == "merged")
