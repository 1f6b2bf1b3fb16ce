"""Benchmark: ingest throughput per format against the parse-and-hash floor.

For each format a synthetic file of N calls is written (same prompts and
answers in every format), then in this process:

* ingest: ``discover_sources`` + ``read_units`` over the file, every unit
  consumed (records built, texts canonicalised and hashed);
* floor: ``orjson.loads`` + ``hashlib.sha256`` of every line of the same
  (decompressed) bytes, the least any reader of these bytes must do; for a
  one-document format (HAR, VCR) the floor is one parse and one hash of the
  document; for Parquet it is pyarrow's read into Python rows plus a hash of
  each row's JSON.

Prints records/s and MB/s (of the file's bytes as stored) for both, and the
ratio floor/ingest (how many times slower than the floor ingest is).

    .venv/bin/python bench/bench_ingest.py [--records 100000] [--work bench/out]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ledgerlens.ingest import IngestOptions, discover_sources, read_units

_START = datetime(2026, 11, 24, tzinfo=UTC)


def _call(i: int) -> dict[str, Any]:
    return {
        "prompt": f"Question {i}: how do I reset my password for account {i % 977}?",
        "answer": "Open Settings, choose Security, then Reset password. " * 3,
        "start": _START + timedelta(milliseconds=37 * i),
        "tokens": (40 + i % 13, 60 + i % 17),
    }


def _canonical(i: int) -> bytes:
    c = _call(i)
    return orjson.dumps(
        {
            "ts_start": c["start"].isoformat(),
            "model": "gpt-4o",
            "provider": "openai",
            "input_text": c["prompt"],
            "output_text": c["answer"],
            "tokens_in": c["tokens"][0],
            "tokens_out": c["tokens"][1],
            "latency_ms": 812.5,
        }
    )


def _otlp_line(first: int, count: int) -> bytes:
    spans = []
    for i in range(first, first + count):
        c = _call(i)
        nanos = int(c["start"].timestamp() * 1e9)
        attributes = {
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": c["tokens"][0],
            "gen_ai.usage.output_tokens": c["tokens"][1],
            "gen_ai.input.messages": orjson.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": c["prompt"]}]}]
            ).decode(),
            "gen_ai.output.messages": orjson.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": c["answer"]}],
                    }
                ]
            ).decode(),
        }
        spans.append(
            {
                "traceId": f"{i:032x}",
                "spanId": f"{i + 1:016x}",
                "startTimeUnixNano": str(nanos),
                "endTimeUnixNano": str(nanos + 812_500_000),
                "attributes": [
                    {
                        "key": k,
                        "value": {"intValue": str(v)}
                        if isinstance(v, int)
                        else {"stringValue": v},
                    }
                    for k, v in attributes.items()
                ],
            }
        )
    request = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": spans}]}]}
    return orjson.dumps(request)


def _litellm(i: int) -> bytes:
    c = _call(i)
    start = c["start"].timestamp()
    return orjson.dumps(
        {
            "id": f"call-{i}",
            "call_type": "completion",
            "status": "success",
            "custom_llm_provider": "openai",
            "startTime": start,
            "endTime": start + 0.8125,
            "model": "gpt-4o",
            "prompt_tokens": c["tokens"][0],
            "completion_tokens": c["tokens"][1],
            "response_cost": 0.0001,
            "messages": [{"role": "user", "content": c["prompt"]}],
            "response": {
                "model": "gpt-4o-2024-08-06",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": c["answer"]},
                        "finish_reason": "stop",
                    }
                ],
            },
        }
    )


def _chat_bodies(i: int) -> tuple[str, str]:
    c = _call(i)
    request = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": c["prompt"]}],
    }
    answer = {
        "id": f"chatcmpl-{i}",
        "created": int(c["start"].timestamp()),
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": c["answer"]},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": c["tokens"][0], "completion_tokens": c["tokens"][1]},
    }
    return orjson.dumps(request).decode(), orjson.dumps(answer).decode()


def _batch_line(i: int) -> bytes:
    _, answer = _chat_bodies(i)
    return orjson.dumps(
        {
            "id": f"batch_req_{i}",
            "custom_id": f"request-{i}",
            "response": {
                "status_code": 200,
                "request_id": f"r{i}",
                "body": orjson.loads(answer),
            },
            "error": None,
        }
    )


def _har(n: int) -> bytes:
    entries = []
    for i in range(n):
        request, answer = _chat_bodies(i)
        entries.append(
            {
                "startedDateTime": _call(i)["start"].isoformat(),
                "time": 812.5,
                "request": {
                    "method": "POST",
                    "url": "https://api.openai.com/v1/chat/completions",
                    "headers": [{"name": "content-type", "value": "application/json"}],
                    "postData": {"mimeType": "application/json", "text": request},
                },
                "response": {
                    "status": 200,
                    "headers": [{"name": "content-type", "value": "application/json"}],
                    "content": {"mimeType": "application/json", "text": answer},
                },
            }
        )
    return orjson.dumps({"log": {"version": "1.2", "entries": entries}})


def _vcr(n: int) -> bytes:
    interactions = []
    for i in range(n):
        request, answer = _chat_bodies(i)
        interactions.append(
            {
                "request": {
                    "method": "POST",
                    "uri": "https://api.openai.com/v1/chat/completions",
                    "body": request,
                    "headers": {},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {
                        "Date": ["Tue, 24 Nov 2026 10:00:00 GMT"],
                        "openai-processing-ms": ["812"],
                    },
                    "body": {"string": answer},
                },
            }
        )
    return yaml.dump(
        {"interactions": interactions, "version": 1}, Dumper=yaml.CSafeDumper
    ).encode()


def _parquet(path: Path, n: int) -> None:
    rows = [orjson.loads(_canonical(i)) for i in range(n)]
    pq.write_table(pa.Table.from_pylist(rows), path)


def _write(work: Path, n: int) -> dict[str, Path]:
    work.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def lines(name: str, make: Callable[[int], bytes], count: int) -> None:
        path = work / name
        if not path.exists():
            path.write_bytes(b"".join(make(i) + b"\n" for i in range(count)))
        files[name] = path

    lines("canonical.jsonl", _canonical, n)
    lines("otlp.jsonl", lambda j: _otlp_line(j * 1000, 1000), n // 1000)
    lines("litellm.jsonl", _litellm, n)
    lines("openai-batch.jsonl", _batch_line, n)
    gz = work / "canonical.jsonl.gz"
    if not gz.exists():
        gz.write_bytes(gzip.compress(files["canonical.jsonl"].read_bytes(), 6))
    files["canonical.jsonl.gz"] = gz
    small = max(1, n // 10)
    for name, make in (("calls.har", _har), ("cassette.yaml", _vcr)):
        path = work / name
        if not path.exists():
            path.write_bytes(make(small))
        files[name] = path
    parquet = work / "canonical.parquet"
    if not parquet.exists():
        _parquet(parquet, n)
    files["canonical.parquet"] = parquet
    return files


def _ingest(path: Path) -> int:
    (source,) = discover_sources(path)
    return sum(1 for _ in read_units(source, IngestOptions()))


def _floor(path: Path) -> int:
    if path.suffix == ".parquet":
        count = 0
        for batch in pq.ParquetFile(path).iter_batches():
            for row in batch.to_pylist():
                hashlib.sha256(orjson.dumps(row, default=str)).digest()
                count += 1
        return count
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    if path.suffix in (".har", ".yaml"):
        document = (
            yaml.load(data, Loader=yaml.CSafeLoader)
            if path.suffix == ".yaml"
            else orjson.loads(data)
        )
        hashlib.sha256(data).digest()
        return len(
            document["interactions"]
            if path.suffix == ".yaml"
            else document["log"]["entries"]
        )
    count = 0
    for line in data.splitlines():
        value = orjson.loads(line)
        hashlib.sha256(line).digest()
        # A Collector line holds many spans: count the records it carries.
        count += _spans(value) if "resourceSpans" in value else 1
    return count


def _spans(request: dict[str, Any]) -> int:
    return sum(
        len(scope.get("spans", []))
        for resource in request["resourceSpans"]
        for scope in resource.get("scopeSpans", [])
    )


def _timed(run: Callable[[Path], int], path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    count = run(path)
    return count, time.perf_counter() - started


def main() -> None:
    """Write the files, measure each format, print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("bench/out/ingest"))
    args = parser.parse_args()
    files = _write(args.work, args.records)

    print(
        f"{'file':22} {'MB':>7} {'units':>8} {'ingest rec/s':>13} {'MB/s':>7} "
        f"{'floor rec/s':>12} {'MB/s':>7} {'ingest/floor':>12}"
    )
    for name, path in files.items():
        megabytes = path.stat().st_size / 1e6
        units, seconds = _timed(_ingest, path)
        lines, floor_seconds = _timed(_floor, path)
        print(
            f"{name:22} {megabytes:7.1f} {units:8d} {units / seconds:13,.0f} "
            f"{megabytes / seconds:7.1f} {lines / floor_seconds:12,.0f} "
            f"{megabytes / floor_seconds:7.1f} {seconds / floor_seconds:11.1f}x"
        )


if __name__ == "__main__":
    main()
