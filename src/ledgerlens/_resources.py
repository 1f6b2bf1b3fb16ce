"""Where the packaged check suites and report templates are."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

__all__ = ["file_entry", "packaged_dir"]

_REPO_ROOT = Path(__file__).resolve().parents[2]


def packaged_dir(name: str) -> Path:
    """The folder shipped as ``ledgerlens.<name>`` (``checks``, ``report_templates``).

    An installed wheel carries it as a package; an editable install maps it to the
    repository's top-level folder of the same name.
    """
    try:
        found = resources.files(f"ledgerlens.{name}")
        path = Path(str(found))
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return _REPO_ROOT / name


def file_entry(path: Path, origin: str) -> dict[str, str]:
    """Name, origin and sha256 of a file the run used, for the provenance appendix."""
    return {
        "name": path.name,
        "origin": origin,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
