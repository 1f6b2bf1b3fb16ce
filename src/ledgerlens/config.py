"""Settings: ``ledgerlens.toml`` (with profiles), then the environment, then flags.

::

    [default]
    store = "./ledgerlens-store"
    origin = "ledgerlens/acme-prod"

    [profile.ci]
    store = "/data/ledgerlens"

Each key may also come from ``LEDGERLENS_<KEY>`` (``LEDGERLENS_STORE``...). The
file is ``--config``, else ``$LEDGERLENS_CONFIG``, else ``./ledgerlens.toml`` if
present; the profile is ``--profile``, else ``$LEDGERLENS_PROFILE``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ledgerlens.errors import UsageError

__all__ = ["Settings", "load_settings"]


@dataclass(frozen=True)
class Settings:
    """Every setting a command may read, with its default."""

    store: str = "./ledgerlens-store"
    out: str = "./ledgerlens-out"
    origin: str = "ledgerlens/default"
    day_tz: str = "UTC"
    reference_days: int = 7
    naive_tz: str | None = None
    checks: str | None = None
    templates: str | None = None
    signing_key: str | None = None
    trust_config: str | None = None
    instance: str | None = None
    cert_identity: str | None = None
    cert_oidc_issuer: str | None = None
    logs: str | None = None
    grace_hours: int = 2

    def override(self, values: Mapping[str, Any]) -> Settings:
        """A copy with every non-None value of ``values`` applied."""
        known = {f.name for f in fields(self)}
        return replace(
            self, **{k: v for k, v in values.items() if k in known and v is not None}
        )


def load_settings(
    config: str | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from the config file and profile, then the environment."""
    env = os.environ if env is None else env
    path = config or env.get("LEDGERLENS_CONFIG")
    profile = profile or env.get("LEDGERLENS_PROFILE")
    settings = Settings()

    if path is None and Path("ledgerlens.toml").is_file():
        path = "ledgerlens.toml"
    if path is not None:
        settings = settings.override(_from_file(Path(path), profile))
    elif profile:
        msg = f"profile `{profile}` was asked for but there is no ledgerlens.toml"
        raise UsageError(msg, remedy="pass --config FILE")
    return settings.override(_from_env(env))


def _from_file(path: Path, profile: str | None) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        msg = f"config file {path} is not UTF-8 text"
        raise UsageError(msg, remedy="save it as UTF-8") from exc
    except OSError as exc:
        msg = f"cannot read config file {path} ({exc.strerror})"
        raise UsageError(msg, remedy="check --config or LEDGERLENS_CONFIG") from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"config file {path} is not valid TOML: {exc}"
        raise UsageError(msg, remedy="fix the file") from exc

    values = dict(data.get("default", {}))
    if profile:
        profiles = data.get("profile", {})
        if profile not in profiles:
            msg = f"profile `{profile}` is not in {path}"
            raise UsageError(msg, remedy=f"use one of: {', '.join(profiles) or 'none'}")
        values.update(profiles[profile])
    _check_keys(values, str(path))
    return values


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in fields(Settings):
        raw = env.get(f"LEDGERLENS_{item.name.upper()}")
        if raw is not None:
            values[item.name] = _coerce(
                item.name, raw, f"LEDGERLENS_{item.name.upper()}"
            )
    return values


def _check_keys(values: Mapping[str, Any], where: str) -> None:
    known = {f.name: f for f in fields(Settings)}
    for key, value in values.items():
        if key not in known:
            msg = f"unknown setting `{key}` in {where}"
            raise UsageError(msg, remedy=f"known settings: {', '.join(sorted(known))}")
        if key in ("reference_days", "grace_hours") and not isinstance(value, int):
            msg = f"setting `{key}` in {where} must be a whole number"
            raise UsageError(msg, remedy="write it without quotes")


def _coerce(name: str, raw: str, where: str) -> Any:
    if name in ("reference_days", "grace_hours"):
        try:
            return int(raw)
        except ValueError as exc:
            msg = f"{where} must be a whole number, not {raw!r}"
            raise UsageError(msg, remedy="fix the environment variable") from exc
    return raw
