"""The README's promises: the two commands, the exit codes, every CLI command."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from ledgerlens.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def test_the_readme_starts_with_what_it_is_and_the_two_commands() -> None:
    head = README[:2500]

    assert head.startswith("# ledgerlens")
    assert "make demo" in head and "make test" in head


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_every_command_is_documented_in_the_readme() -> None:
    commands = sorted(main.commands)

    undocumented = [c for c in commands if f"ledgerlens {c}" not in README]

    assert not undocumented, undocumented


def test_every_documented_exit_code_is_real() -> None:
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, flags=re.MULTILINE))

    assert set(table) == {"0", "1", "2", "3", "4", "70"}


def test_the_help_lists_the_commands_the_readme_names() -> None:
    result = CliRunner().invoke(main, ["--help"])

    for command in main.commands:
        assert command in result.output
