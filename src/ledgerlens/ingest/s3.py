"""``s3://bucket/prefix`` sources: objects listed, streamed, hashed and spooled.

Each object under the prefix (or matching a glob in the key, such as
``s3://logs/2024-06-01/*.jsonl.gz``) becomes a :class:`SourceFile` whose
``uri`` is its ``s3://`` address. The object is streamed once into a local
spool file while its SHA-256 is computed (an ETag is not a SHA-256: it is an
MD5, or a hash of part hashes for multipart uploads), so adapters read it like
any local file and every later read is checked against that hash.

Keys are sorted by their path components, as local files are; keys ending in
``/`` (folder markers) and keys with a hidden component (``.name``) are
skipped. The endpoint and credentials come from :class:`S3Options`, else from
the usual environment variables (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION`` /
``AWS_DEFAULT_REGION``, ``AWS_PROFILE``) through boto3's own chain. boto3 is
imported only when an ``s3://`` source is used.
"""

from __future__ import annotations

import atexit
import fnmatch
import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

from ledgerlens.errors import StartError
from ledgerlens.ingest.interface import SourceFile

__all__ = ["S3Options", "discover_s3", "is_s3_uri"]

logger = logging.getLogger(__name__)

_SCHEME: Final = "s3://"
_CHUNK: Final = 1 << 20
_GLOB_MAGIC: Final = frozenset("*?[")
_REMEDY: Final = (
    "check the bucket and prefix, AWS_ENDPOINT_URL and the AWS_* credentials"
)


@dataclass(frozen=True, slots=True)
class S3Options:
    """Where and as whom to read S3; ``None`` fields fall back to the environment.

    ``spool_dir`` is where objects are streamed to (a private temporary
    directory, removed at exit, when not given).
    """

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    spool_dir: Path | None = None


def is_s3_uri(logs: str | Path) -> bool:
    """Whether ``logs`` names S3 objects (``s3://bucket/prefix``)."""
    return str(logs).startswith(_SCHEME)


def discover_s3(uri: str, options: S3Options | None = None) -> list[SourceFile]:
    """The objects named by ``uri``, each streamed to the spool and hashed.

    Raises :class:`StartError` when nothing is found or S3 cannot be read.
    """
    options = options or S3Options()
    bucket, prefix, pattern = _split(uri)
    client = _client(options)
    keys = _keys(client, bucket, prefix, pattern)
    if not keys:
        msg = f"no log objects found at `{uri}`"
        raise StartError(msg, remedy=_REMEDY)

    spool = options.spool_dir or _private_spool()
    sources = [_fetch(client, bucket, key, spool) for key in keys]
    logger.info("found %d S3 object(s) at %s", len(sources), uri)
    return sources


def _split(uri: str) -> tuple[str, str, str | None]:
    rest = uri[len(_SCHEME) :]
    bucket, _, key = rest.partition("/")
    if not bucket:
        msg = f"`{uri}` names no bucket"
        raise StartError(msg, remedy="write s3://bucket/prefix")
    magic = [i for i, c in enumerate(key) if c in _GLOB_MAGIC]
    if not magic:
        return bucket, key, None
    # List from the fixed part of the key, then match the whole key.
    return bucket, key[: magic[0]], key


def _client(options: S3Options) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # pragma: no cover - a declared dependency
        msg = "reading s3:// sources needs boto3"
        raise StartError(
            msg, remedy="install ledgerlens with its dependencies"
        ) from exc
    session = boto3.session.Session(
        aws_access_key_id=options.access_key_id,
        aws_secret_access_key=options.secret_access_key,
        aws_session_token=options.session_token,
        region_name=options.region or os.environ.get("AWS_REGION"),
    )
    endpoint = options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    config = Config(retries={"max_attempts": 3, "mode": "standard"})
    return session.client("s3", endpoint_url=endpoint, config=config)


def _keys(client: Any, bucket: str, prefix: str, pattern: str | None) -> list[str]:
    from botocore.exceptions import BotoCoreError, ClientError

    keys: list[str] = []
    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"]
                if _wanted(key, pattern):
                    keys.append(key)
    except (BotoCoreError, ClientError) as exc:
        msg = f"cannot list s3://{bucket}/{prefix}: {_why(exc)}"
        raise StartError(msg, remedy=_REMEDY) from exc
    return sorted(keys, key=lambda k: PurePosixPath(k).parts)


def _wanted(key: str, pattern: str | None) -> bool:
    if key.endswith("/"):
        return False
    if any(part.startswith(".") for part in PurePosixPath(key).parts):
        return False
    return pattern is None or fnmatch.fnmatchcase(key, pattern)


def _fetch(client: Any, bucket: str, key: str, spool: Path) -> SourceFile:
    from botocore.exceptions import BotoCoreError, ClientError

    digest = hashlib.sha256()
    size = 0
    target = spool / hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()
    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        with target.open("wb") as out:
            while chunk := body.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
    except (BotoCoreError, ClientError, OSError) as exc:
        msg = f"cannot read s3://{bucket}/{key}: {_why(exc)}"
        raise StartError(msg, remedy=_REMEDY) from exc
    return SourceFile(
        uri=f"{_SCHEME}{bucket}/{key}",
        path=target,
        sha256=digest.hexdigest(),
        size=size,
    )


def _private_spool() -> Path:
    spool = Path(tempfile.mkdtemp(prefix="ledgerlens-s3-"))
    atexit.register(shutil.rmtree, spool, True)
    return spool


def _why(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__
