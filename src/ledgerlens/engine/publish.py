"""Signing a run's outputs: the report's bundle and one evidence pack, one session."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ledgerlens.engine._jsonio import write_json

__all__ = ["sign_outputs", "signing_options"]


def signing_options(
    *,
    signing_key: str | None,
    trust_config: str | None,
    instance: str | None,
    no_sign: bool,
) -> Any:
    """The signing options of a run (the identity token comes from the environment)."""
    from ledgerlens.signing import SigningOptions

    return SigningOptions(
        key_path=Path(signing_key) if signing_key else None,
        identity_token=None,
        trust_config=Path(trust_config) if trust_config else None,
        instance=instance,
        no_sign=no_sign,
    )


def sign_outputs(
    out: Path,
    artefacts: Sequence[Path],
    report: Path,
    predicate: Mapping[str, Any],
    options: Any,
    before: Callable[[Any], list[Path]] | None = None,
) -> bool:
    """Sign ``report`` and pack every artefact; False when signing is off.

    ``before`` signs what else the run signs in the same session (a checkpoint)
    and returns the files it added, which join the pack.
    """
    from ledgerlens.signing import PACK_FILE, open_signer, write_pack

    # Signatures an earlier run wrote here no longer apply to the new artefacts.
    # Only ours are removed: --out may be a folder that holds other bundles.
    for name in (
        report.name + ".sigstore.json",
        PACK_FILE,
        "checkpoint.note.sigstore.json",
    ):
        (out / name).unlink(missing_ok=True)
    with open_signer(options) as signer:
        if signer is None:
            return False
        listed = list(artefacts)
        if before is not None:
            listed += before(signer)
        bundle_path = report.with_name(report.name + ".sigstore.json")
        write_json(bundle_path, signer.sign_blob(report.read_bytes()))
        listed += [bundle_path, *_verification_material(options, out)]
        write_pack(out, listed, dict(predicate), signer)
    return True


def _verification_material(options: Any, out: Path) -> list[Path]:
    """Put the public key or trust configuration used beside the pack."""
    if options.key_path is not None:
        public = options.key_path.with_suffix(".pub")
        if public.is_file():
            shutil.copyfile(public, out / "signing-key.pub")
            return [out / "signing-key.pub"]
    if options.trust_config is not None:
        shutil.copyfile(options.trust_config, out / "trust-config.json")
        return [out / "trust-config.json"]
    return []
