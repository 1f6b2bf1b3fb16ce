"""Where the report templates come from, and what exactly was used of them.

Every file of the templates directory is read and hashed once, up front. Jinja2
and WeasyPrint are then served those same bytes, so the sha256 recorded for a
file is the hash of what was rendered, even if the file changes on disk
meanwhile, and nothing outside the directory can be served at all.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import jinja2

from ledgerlens._resources import packaged_dir
from ledgerlens.errors import ReportError

__all__ = ["PACKAGED_ORIGIN", "TemplateSet", "default_templates_dir"]

logger = logging.getLogger(__name__)

PACKAGED_ORIGIN = "packaged"
# The templates are a handful of small files; these bounds stop a mistaken
# --templates (a home directory, say) from being read whole into memory.
_MAX_FILES = 200
_MAX_BYTES = 32 * 1024 * 1024
_REQUIRED = "audit.html.j2"


def default_templates_dir() -> Path:
    """The templates shipped with ledgerlens.

    The copy packaged inside the installed distribution (``ledgerlens.
    report_templates``) wins; in a source checkout (an editable install) the
    repository's ``report_templates/`` is used.
    """
    shipped = _shipped_templates()
    if shipped is None:
        msg = "the packaged report templates are missing from this installation"
        raise ReportError(msg, remedy="reinstall ledgerlens or pass --templates DIR")
    return shipped


def _shipped_templates() -> Path | None:
    """The packaged templates (or the checkout's), if they hold a template."""
    shipped = packaged_dir("report_templates")
    return shipped if (shipped / _REQUIRED).is_file() else None


class TemplateSet:
    """The files of one templates directory, read and hashed once.

    ``read`` serves a file by its name relative to the directory and remembers
    that it was used; ``provenance`` lists name, origin and sha256 of the files.
    """

    def __init__(self, root: Path, *, origin: str) -> None:
        self.root = root.resolve()
        self.origin = origin
        self._files = _read_tree(self.root)
        self._used: set[str] = set()

    @classmethod
    def open(cls, templates_dir: Path | None) -> TemplateSet:
        """Snapshot ``templates_dir``, or the packaged templates when None."""
        chosen = default_templates_dir() if templates_dir is None else templates_dir
        root = chosen.resolve()
        if not root.is_dir():
            msg = f"report templates directory `{templates_dir}` does not exist"
            raise ReportError(msg, remedy="pass an existing directory to --templates")

        shipped = _shipped_templates()
        shipped_root = None if shipped is None else shipped.resolve()
        origin = PACKAGED_ORIGIN if root == shipped_root else str(root)
        try:
            return cls(root, origin=origin)
        except OSError as exc:
            msg = f"cannot read the report templates in `{root}`: {exc.strerror}"
            raise ReportError(msg, remedy="check the directory's permissions") from exc

    def names(self) -> list[str]:
        """Every file name of the set, relative to its root, sorted."""
        return sorted(self._files)

    def read(self, name: str) -> bytes | None:
        """The bytes of ``name``, marked as used; None when there is no such file."""
        data = self._files.get(name)
        if data is not None:
            self._used.add(name)
        return data

    def name_of(self, path: Path) -> str | None:
        """The set's name for an absolute ``path``, or None if it is not inside."""
        try:
            relative = path.resolve().relative_to(self.root)
        except (ValueError, OSError, RuntimeError):
            # Outside the root, a NUL byte, or a symlink loop: not ours to serve.
            return None
        name = relative.as_posix()
        return name if name in self._files else None

    def provenance(self, *, used_only: bool) -> list[dict[str, str]]:
        """``{"name", "origin", "sha256"}`` for each (used) file, by name."""
        names = sorted(self._used) if used_only else self.names()
        return [
            {
                "name": name,
                "origin": self.origin,
                "sha256": hashlib.sha256(self._files[name]).hexdigest(),
            }
            for name in names
        ]

    def jinja_loader(self) -> jinja2.BaseLoader:
        """A Jinja2 loader that serves templates from this set only."""
        return _SetLoader(self.read, self.root)


class _SetLoader(jinja2.BaseLoader):
    """Serves Jinja2 templates from a TemplateSet's snapshot."""

    def __init__(self, read: Callable[[str], bytes | None], root: Path) -> None:
        self._read = read
        self._root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """Return the template's text, its path for tracebacks, and 'up to date'."""
        pieces = jinja2.loaders.split_template_path(template)
        data = self._read("/".join(pieces))
        if data is None:
            raise jinja2.TemplateNotFound(template)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            msg = f"report template `{template}` is not UTF-8 text"
            raise ReportError(msg, remedy="save the template as UTF-8") from exc
        # The snapshot never changes, so a loaded template never goes stale.
        return source, str(self._root.joinpath(*pieces)), lambda: True


def _read_tree(root: Path) -> dict[str, bytes]:
    """Read every regular file under ``root`` (hidden entries skipped)."""
    files: dict[str, bytes] = {}
    total = 0
    for directory, subdirs, filenames in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not _hidden(d))
        for filename in sorted(filenames):
            path = Path(directory, filename)
            if _hidden(filename) or not _inside(path, root):
                continue
            data = path.read_bytes()
            total += len(data)
            files[path.relative_to(root).as_posix()] = data
            if len(files) > _MAX_FILES or total > _MAX_BYTES:
                msg = f"report templates directory `{root}` is too large"
                raise ReportError(msg, remedy="point --templates at the templates only")
    return files


def _hidden(name: str) -> bool:
    """Dot files and Python caches are not templates."""
    return name.startswith(".") or name == "__pycache__"


def _inside(path: Path, root: Path) -> bool:
    """True for a regular file whose real location is inside ``root``.

    A symlink pointing out of the directory is skipped, so it cannot smuggle a
    file such as a key into the report.
    """
    real = path.resolve()
    if not real.is_file() or not real.is_relative_to(root):
        logger.warning("skipping template file %s: not a regular file inside", path)
        return False
    return True
