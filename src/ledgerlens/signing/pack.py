"""The evidence pack: one signed in-toto statement listing a run's artefacts.

``evidence.intoto.sigstore.json`` in a run's directory is a Sigstore bundle
whose DSSE envelope holds an in-toto Statement v1. Its subjects are every
artefact of the run, named by POSIX path relative to that directory, each with
the SHA-256 of its bytes. Verifying the pack checks the signature first, then
rehashes every subject: each is ``ok``, ``changed`` or ``missing``, and files in
the directory the statement does not list are ``unlisted``.

Single files are signed beside themselves: ``report.pdf`` gets
``report.pdf.sigstore.json`` (:func:`sign_file`, :func:`verify_file`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final, Literal

from ledgerlens.errors import SigningError, VerificationError
from ledgerlens.signing import _format
from ledgerlens.signing.api import (
    ArtifactSigner,
    VerifyOptions,
    verify_digest,
    verify_statement,
)
from ledgerlens.signing.dsse import STATEMENT_TYPE

__all__ = [
    "BUNDLE_SUFFIX",
    "EVIDENCE_PREDICATE_TYPE",
    "PACK_FILE",
    "PackReport",
    "SubjectState",
    "SubjectStatus",
    "build_statement",
    "file_sha256",
    "sign_file",
    "verify_file",
    "verify_pack",
    "write_pack",
]

logger = logging.getLogger(__name__)

PACK_FILE: Final = "evidence.intoto.sigstore.json"
BUNDLE_SUFFIX: Final = ".sigstore.json"
EVIDENCE_PREDICATE_TYPE: Final = "https://ledgerlens.dev/evidence-pack/v1"

SubjectState = Literal["ok", "changed", "missing", "unlisted"]


@dataclass(frozen=True)
class SubjectStatus:
    """One file of a pack as verification found it."""

    name: str
    state: SubjectState
    expected_sha256: str | None = None
    actual_sha256: str | None = None


@dataclass(frozen=True)
class PackReport:
    """The outcome of :func:`verify_pack`; the signature itself verified."""

    bundle_path: Path
    signer: str
    predicate_type: str
    predicate: Mapping[str, Any] = field(repr=False)
    subjects: tuple[SubjectStatus, ...]

    @property
    def ok(self) -> bool:
        """Every listed artefact is present and unchanged."""
        return all(s.state in ("ok", "unlisted") for s in self.subjects)

    @property
    def problems(self) -> tuple[SubjectStatus, ...]:
        """Changed and missing artefacts, in name order."""
        return tuple(s for s in self.subjects if s.state in ("changed", "missing"))

    @property
    def unlisted(self) -> tuple[str, ...]:
        """Files beside the pack that it does not list."""
        return tuple(s.name for s in self.subjects if s.state == "unlisted")


def build_statement(
    root_dir: Path,
    artefacts: Sequence[Path],
    predicate: Mapping[str, Any],
    *,
    predicate_type: str = EVIDENCE_PREDICATE_TYPE,
) -> dict[str, Any]:
    """The in-toto statement listing ``artefacts`` (files inside ``root_dir``).

    Relative artefact paths are taken from the current directory, as usual;
    subjects are named relative to ``root_dir`` and sorted by name.
    """
    root = _absolute(Path(root_dir))
    digests: dict[str, str] = {}
    for artefact in artefacts:
        name = _subject_name(root, Path(artefact))
        try:
            digests[name] = file_sha256(root / name).hex()
        except OSError as exc:
            raise SigningError(
                f"cannot read artefact `{name}`: {exc.strerror or exc}",
                remedy="the run did not write all its outputs; run it again",
            ) from exc
    if not digests:
        raise SigningError(
            "an evidence pack needs at least one artefact",
            remedy="this is a bug in the caller; report it",
        )
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": name, "digest": {"sha256": digests[name]}}
            for name in sorted(digests)
        ],
        "predicateType": predicate_type,
        "predicate": dict(predicate),
    }


def write_pack(
    root_dir: Path,
    artefacts: Sequence[Path],
    predicate: Mapping[str, Any],
    signer: ArtifactSigner,
) -> Path:
    """Sign the statement over ``artefacts`` and write it as the run's pack."""
    statement = build_statement(root_dir, artefacts, predicate)
    bundle = signer.sign_statement(statement)
    path = Path(root_dir) / PACK_FILE
    _write_json_atomically(path, bundle)
    logger.info(
        "wrote evidence pack %s: %d artefacts, signed by %s",
        path,
        len(statement["subject"]),
        signer.description,
    )
    return path


def verify_pack(root_dir_or_file: Path, options: VerifyOptions) -> PackReport:
    """Check the pack's signature, then every artefact it lists.

    ``root_dir_or_file`` is the run directory or the pack file itself; the
    artefacts are looked up beside the pack file.
    """
    target = Path(root_dir_or_file)
    bundle_path = target / PACK_FILE if target.is_dir() else target
    bundle = _read_bundle(bundle_path, for_what="evidence pack")
    statement, signer = verify_statement(bundle, options)

    root = bundle_path.parent
    expected = _expected_digests(statement)
    statuses = [_check_subject(root, name, sha) for name, sha in expected.items()]
    statuses += [
        SubjectStatus(name, "unlisted")
        for name in _files_under(root)
        if name not in expected and root / name != bundle_path
    ]
    statuses.sort(key=lambda status: status.name)
    return PackReport(
        bundle_path=bundle_path,
        signer=signer,
        predicate_type=statement["predicateType"],
        predicate=statement.get("predicate", {}),
        subjects=tuple(statuses),
    )


def sign_file(path: Path, signer: ArtifactSigner) -> Path:
    """Sign one file and write its bundle beside it as ``<name>.sigstore.json``."""
    path = Path(path)
    bundle = signer.sign_blob(path.read_bytes())
    bundle_path = path.with_name(path.name + BUNDLE_SUFFIX)
    _write_json_atomically(bundle_path, bundle)
    return bundle_path


def verify_file(path: Path, options: VerifyOptions) -> str:
    """Check ``path`` against the bundle beside it; return who signed it."""
    path = Path(path)
    bundle_path = path.with_name(path.name + BUNDLE_SUFFIX)
    if not bundle_path.exists():
        raise VerificationError(
            f"missing bundle for `{path}`",
            remedy=f"expected `{bundle_path.name}` beside it; fetch it from the signer",
        )
    bundle = _read_bundle(bundle_path, for_what="bundle")
    try:
        digest = file_sha256(path)
    except OSError as exc:
        raise VerificationError(
            f"cannot read `{path}`: {exc.strerror or exc}",
            remedy="fetch the file again from the signer",
        ) from exc
    try:
        return verify_digest(digest, bundle, options)
    except VerificationError as exc:
        # The signing layer knows bundles, not files: say which file failed.
        raise VerificationError(
            f"`{path.name}`: {exc.message}", remedy=exc.remedy
        ) from exc


def file_sha256(path: Path) -> bytes:
    """SHA-256 of a file's bytes, read in chunks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").digest()


def _absolute(path: Path) -> Path:
    # Not resolve(): a symlinked artefact keeps its name inside the run.
    return Path(os.path.abspath(path))


def _subject_name(root: Path, artefact: Path) -> str:
    try:
        relative = _absolute(artefact).relative_to(root)
    except ValueError:
        raise SigningError(
            f"artefact `{artefact}` is outside the pack directory `{root}`",
            remedy="write every artefact of a run inside its directory",
        ) from None
    name = relative.as_posix()
    if name in (".", PACK_FILE):
        raise SigningError(
            f"`{artefact}` cannot be a subject of the evidence pack",
            remedy="list the run's output files, not its directory or pack",
        )
    return name


def _expected_digests(statement: Mapping[str, Any]) -> dict[str, str]:
    expected: dict[str, str] = {}
    for subject in statement["subject"]:
        name = subject["name"]
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts or "\\" in name:
            raise _format.malformed(f"subject `{name}` leaves the pack directory")
        sha = subject["digest"]["sha256"]
        if expected.setdefault(name, sha) != sha:
            raise _format.malformed(f"subject `{name}` is listed twice")
    return expected


def _check_subject(root: Path, name: str, expected: str) -> SubjectStatus:
    try:
        actual = file_sha256(root / name).hex()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return SubjectStatus(name, "missing", expected_sha256=expected)
    state: SubjectState = "ok" if actual == expected else "changed"
    return SubjectStatus(name, state, expected_sha256=expected, actual_sha256=actual)


def _files_under(root: Path) -> list[str]:
    names = []
    for directory, _subdirs, files in os.walk(root):
        for file_name in files:
            names.append((Path(directory) / file_name).relative_to(root).as_posix())
    return names


def _read_bundle(path: Path, *, for_what: str) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise VerificationError(
            f"missing {for_what} `{path}`",
            remedy="fetch it from the signer, or pass the right directory",
        ) from None
    except OSError as exc:
        raise VerificationError(
            f"cannot read {for_what} `{path}`: {exc.strerror or exc}",
            remedy="check the file's permissions",
        ) from exc
    try:
        return json.loads(data)
    except ValueError:
        raise _format.malformed(f"`{path.name}` is not JSON") from None


def _write_json_atomically(path: Path, document: Mapping[str, Any]) -> None:
    """Write ``document`` so a reader sees the old file or the new, never half."""
    data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp makes the file private; a bundle is meant to be shared.
            os.fchmod(handle.fileno(), 0o644)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
