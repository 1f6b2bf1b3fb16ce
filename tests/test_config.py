"""Settings: file with profiles, then environment, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlens.config import Settings, load_settings
from ledgerlens.errors import UsageError

TOML = """
[default]
store = "/data/store"
reference_days = 5

[profile.ci]
store = "/ci/store"
"""


def test_profile_overrides_default_and_environment_overrides_both(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledgerlens.toml"
    path.write_text(TOML)

    plain = load_settings(str(path), env={})
    profiled = load_settings(str(path), "ci", env={})
    from_env = load_settings(
        str(path),
        "ci",
        env={"LEDGERLENS_STORE": "/env/store", "LEDGERLENS_REFERENCE_DAYS": "3"},
    )

    assert (plain.store, plain.reference_days) == ("/data/store", 5)
    assert profiled.store == "/ci/store"
    assert (from_env.store, from_env.reference_days) == ("/env/store", 3)
    assert from_env.override({"store": "/flag"}).store == "/flag"


def test_defaults_without_any_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert load_settings(env={}) == Settings()


@pytest.mark.parametrize(
    ("text", "profile", "message"),
    [
        ("[default]\nstroe = 1\n", None, "unknown setting `stroe`"),
        ("[default]\nreference_days = '7'\n", None, "must be a whole number"),
        ("[default\n", None, "not valid TOML"),
        ("[default]\n", "prod", "profile `prod` is not in"),
    ],
)
def test_bad_settings_are_usage_errors(
    tmp_path: Path, text: str, profile: str | None, message: str
) -> None:
    path = tmp_path / "ledgerlens.toml"
    path.write_text(text)

    with pytest.raises(UsageError, match=message):
        load_settings(str(path), profile, env={})


def test_a_bad_number_in_the_environment_is_named() -> None:
    with pytest.raises(UsageError, match="LEDGERLENS_REFERENCE_DAYS"):
        load_settings(env={"LEDGERLENS_REFERENCE_DAYS": "seven"})
