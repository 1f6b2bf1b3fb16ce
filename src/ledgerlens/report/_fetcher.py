"""The only way WeasyPrint may load a resource while rendering the report.

WeasyPrint's own fetcher follows http(s) and ``file://`` URLs. A log value that
reached a ``src``, ``href`` or stylesheet could then make the renderer call out
to the network or embed a local file in a signed PDF. This fetcher serves files
of the templates snapshot and ``data:`` URIs (our charts), and refuses
everything else with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
import urllib.request
from pathlib import Path
from typing import Any

from weasyprint.urls import URLFetcher, URLFetcherResponse

from ledgerlens.report._templates import TemplateSet

__all__ = ["RefusedResource", "TemplateFetcher"]

logger = logging.getLogger(__name__)

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


class RefusedResource(ValueError):
    """A resource the report may not load; WeasyPrint skips it and goes on."""


class TemplateFetcher(URLFetcher):  # type: ignore[misc]
    """Serve files of a TemplateSet and ``data:`` URIs; refuse every other URL."""

    def __init__(self, templates: TemplateSet) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self._templates = templates
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Return the resource at ``url`` or raise RefusedResource."""
        match = _SCHEME.match(url)
        scheme = match[1].lower() if match else ""
        if scheme == "data":
            return _decode_data_uri(url)
        if scheme == "file" and (path := _local_path(url)) is not None:
            name = self._templates.name_of(path)
            data = None if name is None else self._templates.read(name)
            if name is not None and data is not None:
                return _response(url, data, name)
        return self._refuse(url, scheme)

    def _refuse(self, url: str, scheme: str) -> URLFetcherResponse:
        """Log and raise; the URL itself may carry log text, so only a hash."""
        digest = hashlib.sha256(url.encode("utf-8", "replace")).hexdigest()[:16]
        self.refused.append(url)
        logger.warning(
            "report renderer refused a %s resource outside its templates "
            "(url sha256 %s)",
            scheme or "relative",
            digest,
        )
        msg = f"resource refused: only files of the templates directory ({digest})"
        raise RefusedResource(msg)


def _local_path(url: str) -> Path | None:
    """The local path of a ``file:`` URL; None when it names another host."""
    path = url.split("?", 1)[0].split("#", 1)[0].removeprefix("file:")
    if path.startswith("//"):
        host, _, rest = path[2:].partition("/")
        if host not in ("", "localhost"):
            return None
        path = "/" + rest
    return Path(urllib.request.url2pathname(path))


def _response(url: str, data: bytes, name: str) -> URLFetcherResponse:
    """Wrap a template file's bytes with the MIME type its name implies."""
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})


def _decode_data_uri(url: str) -> URLFetcherResponse:
    """Decode a ``data:`` URI with the standard library, which reads no network."""
    with urllib.request.DataHandler().data_open(urllib.request.Request(url)) as raw:
        body = raw.read()
        mime = raw.headers.get("Content-Type", "text/plain")
    return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})
