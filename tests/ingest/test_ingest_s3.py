"""S3 sources against a real S3-compatible server on 127.0.0.1 (moto server mode).

No client is mocked: boto3 speaks HTTP to moto's server on loopback, with dummy
credentials. Instance metadata lookups are switched off so no request can
leave loopback.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path

import boto3
import orjson
import pytest
from moto.server import ThreadedMotoServer

from ledgerlens.errors import StartError
from ledgerlens.ingest import IngestOptions, discover_sources, read_units
from ledgerlens.ingest.s3 import S3Options

_LINE = orjson.dumps(
    {"ts_start": "2024-06-01T10:00:00Z", "model": "m", "input_text": "q"}
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture()
def bucket(endpoint: str) -> str:
    client = boto3.client("s3", endpoint_url=endpoint)
    name = f"logs-{hashlib.sha256(endpoint.encode()).hexdigest()[:8]}"
    existing = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
    if name not in existing:
        client.create_bucket(Bucket=name)
    objects = {
        "day/b/2.jsonl": _LINE + b"\n" + _LINE + b"\n",
        "day/a.jsonl.gz": gzip.compress(_LINE + b"\n", mtime=0),
        "day/b/10.jsonl": _LINE + b"\n",
        "day/.hidden/x.jsonl": _LINE,
        "day/folder/": b"",
        "other/z.jsonl": _LINE,
    }
    for key, data in objects.items():
        client.put_object(Bucket=name, Key=key, Body=data)
    return name


def test_prefix_lists_sorted_keys_hashed_while_streamed(
    bucket: str, tmp_path: Path
) -> None:
    sources = discover_sources(f"s3://{bucket}/day/", S3Options(spool_dir=tmp_path))
    assert [s.uri for s in sources] == [
        f"s3://{bucket}/day/a.jsonl.gz",
        f"s3://{bucket}/day/b/10.jsonl",
        f"s3://{bucket}/day/b/2.jsonl",
    ]
    compressed = gzip.compress(_LINE + b"\n", mtime=0)
    # The object's own bytes are hashed (not its ETag, not the decompressed text).
    assert sources[0].sha256 == hashlib.sha256(compressed).hexdigest()
    assert sources[0].size == len(compressed)

    units = [u for s in sources for u in read_units(s, IngestOptions())]
    assert [(u.source_uri.rsplit("/", 1)[1], u.outcome) for u in units] == [
        ("a.jsonl.gz", "accepted"),
        ("10.jsonl", "accepted"),
        ("2.jsonl", "accepted"),
        ("2.jsonl", "accepted"),
    ]
    assert units[0].record is not None
    assert units[0].record["source_uri"] == f"s3://{bucket}/day/a.jsonl.gz"


def test_glob_in_the_key(bucket: str, tmp_path: Path) -> None:
    sources = discover_sources(
        f"s3://{bucket}/day/b/*.jsonl", S3Options(spool_dir=tmp_path)
    )
    assert [s.uri.rsplit("/", 1)[1] for s in sources] == ["10.jsonl", "2.jsonl"]


def test_empty_prefix_and_missing_bucket_are_start_errors(bucket: str) -> None:
    with pytest.raises(StartError, match="no log objects found"):
        discover_sources(f"s3://{bucket}/nothing-here/")
    with pytest.raises(StartError, match="NoSuchBucket"):
        discover_sources("s3://no-such-bucket-here/day/")
