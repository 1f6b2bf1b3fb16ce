"""Tamper-evidence commands an auditor runs alone, offline.

``verify-store`` re-verifies a whole store; ``prove`` exports one record's
inclusion proof and ``check-proof`` verifies it with no store; ``verify-chain``
checks producer hash chains in canonical JSONL files; ``consistency`` exports
a proof that one checkpoint extends another, and ``witness`` checks such a
proof and cosigns the newer checkpoint with the auditor's own key.

None of these imports Prefect, Great Expectations or Evidently: the modules
they need are imported inside each command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ledgerlens._cli_support import guarded, parse_day, settings_of, verify_options

if TYPE_CHECKING:
    from ledgerlens.integrity.chain import ChainProblem

__all__ = ["COMMANDS"]


def _identity_options(func: Any) -> Any:
    """The shared ``--key`` / keyless identity flags of the verify commands."""
    for option in reversed(
        [
            click.option(
                "--key",
                type=click.Path(dir_okay=False),
                help="Public key of the checkpoints.",
            ),
            click.option(
                "--cert-identity", help="Identity the checkpoints must be signed by."
            ),
            click.option("--cert-oidc-issuer", help="OIDC issuer of that identity."),
            click.option(
                "--trust-config",
                type=click.Path(dir_okay=False),
                help="Trust config on disk.",
            ),
            click.option("--instance", type=click.Choice(["staging", "production"])),
        ]
    ):
        func = option(func)
    return func


def _bundle_checker(
    key: str | None,
    cert_identity: str | None,
    cert_oidc_issuer: str | None,
    trust_config: str | None,
    instance: str | None,
) -> Any:
    """A function checking a bundle over bytes, or ``None`` with no key given."""
    if not (key or cert_identity or cert_oidc_issuer):
        return None
    from ledgerlens.signing import verify_blob

    options = verify_options(
        key, cert_identity, cert_oidc_issuer, trust_config, instance
    )

    def check(data: bytes, bundle: dict[str, Any]) -> str:
        return verify_blob(data, bundle, options)

    return check


# --- verify-store -------------------------------------------------------------------


@click.command("verify-store")
@click.option("--store", help="Store directory [./ledgerlens-store].")
@click.option("--from", "first", help="First day whose records are recomputed.")
@click.option("--to", "last", help="Last day whose records are recomputed.")
@_identity_options
@click.option(
    "--witness-key",
    "witness_keys",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Public key of a witness whose cosignatures to verify (repeatable).",
)
@click.pass_context
@guarded
def verify_store_command(
    ctx: click.Context,
    store: str | None,
    first: str | None,
    last: str | None,
    key: str | None,
    cert_identity: str | None,
    cert_oidc_issuer: str | None,
    trust_config: str | None,
    instance: str | None,
    witness_keys: tuple[str, ...],
) -> None:
    """Recompute every sealed day and check hashes, checkpoints and signatures."""
    from ledgerlens.store import open_store
    from ledgerlens.verification import verify_store
    from ledgerlens.verification.witness import stray_witnesses, witness_checker

    settings = settings_of(ctx).override({"store": store})
    check_bundle = _bundle_checker(
        key, cert_identity, cert_oidc_issuer, trust_config, instance
    )
    opened = open_store(Path(settings.store))
    result = verify_store(
        opened,
        first=parse_day(first) if first else None,
        last=parse_day(last) if last else None,
        check_bundle=check_bundle,
        check_witnesses=witness_checker([Path(k) for k in witness_keys]),
    )
    result.problems.extend(stray_witnesses(opened))
    for problem in result.problems:
        click.echo(f"store: {problem}")
    for day in result.days:
        status = "ok" if day.ok else "FAILED"
        signer = f", signed by {day.signer}" if day.signer else ""
        click.echo(
            f"{day.seal}: {status} ({day.records} records, tree size "
            f"{day.tree_size}{signer}){'' if day.current else ' [superseded]'}"
        )
        if day.witnesses:
            click.echo(f"  witnessed by: {', '.join(day.witnesses)}")
        for problem in day.problems:
            click.echo(f"  - {problem}")
    if result.gaps:
        click.echo("no seal for: " + ", ".join(d.isoformat() for d in result.gaps))
    for note in result.notes:
        click.echo(f"note: {note}")
    if check_bundle is None:
        click.echo(
            "note: checkpoint signatures not checked (pass --key or an identity)"
        )
    click.echo("verified" if result.ok else "verification FAILED")
    sys.exit(0 if result.ok else 1)


# --- prove / check-proof --------------------------------------------------------


@click.command("prove")
@click.option("--store", help="Store directory [./ledgerlens-store].")
@click.option("--record-id", required=True, help="Id of the sealed record.")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False), help="Proof file."
)
@click.option(
    "--hash-only", is_flag=True, help="Export the leaf hash, not the leaf bytes."
)
@click.option(
    "--leaf", type=int, help="Log leaf index, when several records share the id."
)
@click.pass_context
@guarded
def prove_command(
    ctx: click.Context,
    store: str | None,
    record_id: str,
    out: str,
    hash_only: bool,
    leaf: int | None,
) -> None:
    """Write a self-contained inclusion proof of one sealed record."""
    from ledgerlens.store import open_store
    from ledgerlens.verification.proof import build_proof

    settings = settings_of(ctx).override({"store": store})
    proof = build_proof(
        open_store(Path(settings.store)), record_id, hash_only=hash_only, leaf=leaf
    )
    _write_json(Path(out), proof)
    latest = proof.get("latest")
    click.echo(
        f"proof of leaf {proof['leaf_index']} in {proof['checkpoint']['seal']} "
        f"(tree size {proof['checkpoint']['tree_size']}"
        + (f"; latest tree size {latest['tree_size']}" if latest else "")
        + f"): {out}"
    )


@click.command("check-proof")
@click.argument("proof_file", type=click.Path(dir_okay=False))
@_identity_options
@guarded
def check_proof_command(
    proof_file: str,
    key: str | None,
    cert_identity: str | None,
    cert_oidc_issuer: str | None,
    trust_config: str | None,
    instance: str | None,
) -> None:
    """Verify a record's proof offline: leaf, inclusion, checkpoint signature."""
    from ledgerlens.verification.proof import check_proof

    options = verify_options(
        key, cert_identity, cert_oidc_issuer, trust_config, instance
    )
    from ledgerlens.signing import verify_blob

    def check(data: bytes, bundle: dict[str, Any]) -> str:
        return verify_blob(data, bundle, options)

    result = check_proof(_read_json(Path(proof_file)), check)
    click.echo(
        f"record {result.record_id} is leaf {result.leaf_index} of the log at "
        f"tree size {result.tree_size} ({result.seal}), signed by {result.signer}"
    )
    if result.latest_tree_size is not None:
        click.echo(
            f"and of the latest checkpoint, tree size {result.latest_tree_size}, "
            f"signed by {result.latest_signer}"
        )
    if not result.leaf_bytes_given:
        click.echo("note: hash-only proof; the record's content was not shown")
    click.echo("verified")


# --- verify-chain -------------------------------------------------------------------


@click.command("verify-chain")
@click.argument("path", type=click.Path())
@click.option(
    "--from-tips",
    type=click.Path(dir_okay=False),
    help="Chain tips the files continue from (a seal's chain-tips.json).",
)
@click.option(
    "--expect-tips",
    type=click.Path(dir_okay=False),
    help="Chain tips the files must reach (a later seal's chain-tips.json).",
)
@guarded
def verify_chain_command(
    path: str, from_tips: str | None, expect_tips: str | None
) -> None:
    """Check producer hash chains in a canonical JSONL file or folder."""
    from ledgerlens.verification.chains import verify_chain_files

    report = verify_chain_files(
        Path(path),
        start=_tips(from_tips),
        expected_tips=_tips(expect_tips),
    )
    for verdict in report.verdicts:
        span = (
            ""
            if verdict.first_seq is None
            else f", seq {verdict.first_seq}..{verdict.last_seq}"
        )
        status = "ok" if verdict.ok else "FAILED"
        click.echo(f"{verdict.chain_id}: {status} ({verdict.records} units{span})")
        for problem in verdict.problems:
            click.echo(f"  - {_chain_problem(problem, report.record_ids)}")
    for line in report.lines:
        chain = f" [{line.chain_id} seq {line.seq}]" if line.chain_id else ""
        click.echo(f"{line.where}: {line.kind}{chain}: {line.detail}")
    click.echo(
        f"{len(report.verdicts)} chains in {len(report.files)} files: "
        + ("verified" if report.ok else "verification FAILED")
    )
    sys.exit(0 if report.ok else 1)


def _chain_problem(problem: ChainProblem, record_ids: dict[str, str]) -> str:
    def place(where: str) -> str:
        record = record_ids.get(where)
        return f"{where} (record {record})" if record else where

    text: str = f"{problem.kind} seq {problem.seq} at {place(problem.where)}: "
    text += problem.detail
    if problem.related:
        relation = {
            "deleted": "the unit before the gap is",
            "reordered": "the later unit before it is",
            "inserted": "the same seq is claimed by",
        }.get(problem.kind, "see also")
        text += f"; {relation} {place(problem.related)}"
        if problem.kind == "inserted":
            text += " (nothing links to either: the chain alone cannot tell which)"
    return text


def _tips(path: str | None) -> Any:
    if path is None:
        return None
    from ledgerlens.integrity.chain import ChainTip

    data = _read_json(Path(path))
    return {name: ChainTip.from_json(tip) for name, tip in data.items()}


# --- consistency and witnesses ----------------------------------------------


@click.command("consistency")
@click.option("--store", help="Store directory [./ledgerlens-store].")
@click.option(
    "--from-size", required=True, type=int, help="Size of the checkpoint you hold."
)
@click.option("--to-size", type=int, help="Size of a later checkpoint [latest].")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False), help="Proof file."
)
@click.pass_context
@guarded
def consistency_command(
    ctx: click.Context,
    store: str | None,
    from_size: int,
    to_size: int | None,
    out: str,
) -> None:
    """Write a proof that the log at one size extends the log at an older size."""
    from ledgerlens.store import open_store
    from ledgerlens.verification.witness import consistency_file

    settings = settings_of(ctx).override({"store": store})
    proof = consistency_file(open_store(Path(settings.store)), from_size, to_size)
    _write_json(Path(out), proof)
    click.echo(
        f"consistency {from_size} -> {proof['to']['tree_size']} "
        f"({len(proof['proof'])} hashes): {out}"
    )


@click.command("witness")
@click.option(
    "--checkpoint",
    "new",
    type=click.Path(dir_okay=False),
    help="New checkpoint note to cosign [the store's latest, with --store].",
)
@click.option(
    "--last", type=click.Path(dir_okay=False), help="Last checkpoint you cosigned."
)
@click.option(
    "--proof",
    type=click.Path(dir_okay=False),
    help="Consistency proof from --last to the new checkpoint.",
)
@click.option("--store", type=click.Path(file_okay=False), help="Store directory.")
@click.option(
    "--key",
    "witness_key",
    required=True,
    type=click.Path(dir_okay=False),
    help="The witness's own private key.",
)
@click.option(
    "--log-key",
    type=click.Path(dir_okay=False),
    help="Public key the new checkpoint must be signed with.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Cosignature file.")
@guarded
def witness_command(
    new: str | None,
    last: str | None,
    proof: str | None,
    store: str | None,
    witness_key: str,
    log_key: str | None,
    out: str | None,
) -> None:
    """Check that a new checkpoint extends the last one seen, and cosign it."""
    from ledgerlens.errors import UsageError
    from ledgerlens.integrity.checkpoint import Checkpoint
    from ledgerlens.signing import load_private_key, password_from_env_or_prompt
    from ledgerlens.store import open_store
    from ledgerlens.verification import witness

    if out is None and store is None:
        raise UsageError("nowhere to write", remedy="pass --out FILE or --store DIR")
    opened = open_store(Path(store)) if store else None
    note = _new_note(new, opened)
    previous = Checkpoint.parse(Path(last).read_bytes()) if last else None
    consistency = _read_json(Path(proof)) if proof else None
    if previous is not None and consistency is None and opened is not None:
        consistency = witness.consistency_file(
            opened, previous.tree_size, Checkpoint.parse(note).tree_size
        )
    if log_key is not None:
        _check_log_signature(note, new, opened, log_key)

    if opened is not None and Checkpoint.parse(note).origin != opened.origin:
        raise UsageError(
            "the checkpoint is not one of this store's",
            remedy="pass the store the checkpoint came from, or drop --store",
        )
    key = load_private_key(Path(witness_key), password_from_env_or_prompt())
    cosignature = witness.cosign(note, key, last=previous, proof=consistency)
    if out is not None:
        _write_json(Path(out), cosignature.document)
        click.echo(f"cosignature: {out}")
    if opened is not None:
        click.echo(f"kept in store: {witness.store_cosignature(opened, cosignature)}")
    click.echo(
        f"cosigned {cosignature.seal} (tree size "
        f"{cosignature.document['tree_size']}) as witness {cosignature.hint[:16]}"
    )


def _new_note(new: str | None, store: Any) -> bytes:
    from ledgerlens.errors import UsageError

    if new is not None:
        return Path(new).read_bytes()
    if store is None or not store.seals():
        raise UsageError("no checkpoint to cosign", remedy="pass --checkpoint NOTE")
    data: bytes = (store.seals()[-1].path / "checkpoint.note").read_bytes()
    return data


def _check_log_signature(
    note: bytes, new: str | None, store: Any, log_key: str
) -> None:
    from ledgerlens.errors import VerificationError
    from ledgerlens.integrity.checkpoint import Checkpoint
    from ledgerlens.signing import verify_blob

    name = "checkpoint.note.sigstore.json"
    if new is not None:
        bundle_path = Path(f"{new}.sigstore.json")
    else:
        checkpoint = Checkpoint.parse(note)
        seal = f"{checkpoint.seal_seq:06d}-{checkpoint.date.isoformat()}"
        bundle_path = store.seals_dir / seal / name
    if not bundle_path.is_file():
        raise VerificationError(
            "the new checkpoint has no signature bundle beside it",
            remedy=f"put its bundle at {bundle_path}",
        )
    options = verify_options(log_key, None, None, None, None)
    verify_blob(note, _read_json(bundle_path), options)


def _read_json(path: Path) -> Any:
    import json

    from ledgerlens.errors import StartError, UsageError

    try:
        return json.loads(path.read_text())
    except OSError as exc:
        msg = f"cannot read {path}"
        raise StartError(msg, remedy="check the path") from exc
    except ValueError as exc:
        msg = f"{path} is not JSON"
        raise UsageError(msg, remedy="pass the file ledgerlens wrote") from exc


def _write_json(path: Path, value: Any) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")


COMMANDS: list[click.Command] = [
    verify_store_command,
    prove_command,
    check_proof_command,
    verify_chain_command,
    consistency_command,
    witness_command,
]
