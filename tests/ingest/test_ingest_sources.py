"""Finding input files, hashing them, and refusing files that changed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from ledgerlens.errors import IngestError, StartError
from ledgerlens.ingest import discover_sources, read_units
from ledgerlens.ingest.interface import IngestOptions
from ledgerlens.ingest.sources import iter_lines, read_exact


def _tree(root: Path) -> None:
    files = {
        "b.jsonl": b"b\n",
        "a/z.jsonl": b"z\n",
        "a/b/c.jsonl": b"c\n",
        "a-1.jsonl": b"a1\n",
        ".hidden.jsonl": b"h\n",
        ".git/config": b"g\n",
        "a/.cache/x.jsonl": b"x\n",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_directory_is_walked_sorted_by_relative_path_without_hidden(
    tmp_path: Path,
) -> None:
    _tree(tmp_path)
    sources = discover_sources(tmp_path)
    names = [s.path.relative_to(tmp_path).as_posix() for s in sources]
    assert names == ["a/b/c.jsonl", "a/z.jsonl", "a-1.jsonl", "b.jsonl"]


def test_each_source_carries_hash_size_and_file_uri(tmp_path: Path) -> None:
    path = tmp_path / "one log.jsonl"
    path.write_bytes(b'{"ts_start": 1}\n' * 1000)
    (source,) = discover_sources(str(path))
    assert source.size == 16_000
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.uri == path.as_uri()
    assert source.uri.endswith("one%20log.jsonl")


def test_glob_with_double_star(tmp_path: Path) -> None:
    _tree(tmp_path)
    sources = discover_sources(f"{tmp_path}/**/*.jsonl")
    names = [s.path.relative_to(tmp_path).as_posix() for s in sources]
    assert names == ["a/b/c.jsonl", "a/z.jsonl", "a-1.jsonl", "b.jsonl"]


@pytest.mark.parametrize("target", ["missing", "empty-dir", "*.nothing"])
def test_nothing_to_read_is_a_start_error(tmp_path: Path, target: str) -> None:
    (tmp_path / "empty-dir").mkdir()
    with pytest.raises(StartError) as caught:
        discover_sources(tmp_path / target)
    assert caught.value.exit_code == 3
    assert "\n" not in caught.value.one_line()
    assert caught.value.remedy


def test_unreadable_file_is_a_start_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "locked.jsonl"
    path.write_bytes(b"x\n")
    real_open = Path.open

    # A mock: the tests may run as root, who can read a file whatever its mode,
    # so a real permission error cannot be produced here.
    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "locked.jsonl":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(StartError, match="locked.jsonl.*Permission denied"):
        discover_sources(tmp_path)


def test_bytes_appended_after_hashing_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_bytes(b'{"ts_start": 1717236000}\n')
    (source,) = discover_sources(path)
    with path.open("ab") as handle:
        handle.write(b'{"ts_start": 1717236001}\n')
    units = list(read_units(source, IngestOptions()))
    assert len(units) == 1


def test_file_rewritten_after_hashing_fails_the_read(tmp_path: Path) -> None:
    path = tmp_path / "edited.jsonl"
    path.write_bytes(b'{"ts_start": 1717236000}\n')
    (source,) = discover_sources(path)
    path.write_bytes(b'{"ts_start": 1717236009}\n')
    with pytest.raises(IngestError, match="changed after it was hashed"):
        list(iter_lines(source))
    with pytest.raises(IngestError):
        read_exact(source)


def test_iter_lines_offsets_and_terminators(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt"
    path.write_bytes(b"one\r\ntwo\n\nthree")
    (source,) = discover_sources(path)
    assert list(iter_lines(source)) == [
        (0, b"one", True),
        (5, b"two", True),
        (9, b"", True),
        (10, b"three", False),
    ]


def test_a_broken_link_in_the_logs_folder_stops_the_run(tmp_path: Path) -> None:
    """Regression: it used to be skipped without a word."""
    (tmp_path / "calls.jsonl").write_text("{}\n")
    (tmp_path / "gone.jsonl").symlink_to(tmp_path / "nowhere")

    with pytest.raises(StartError, match="gone.jsonl` is not a readable file"):
        discover_sources(tmp_path)


def test_a_link_loop_in_the_logs_folder_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "day").mkdir()
    (tmp_path / "day" / "calls.jsonl").write_text("{}\n")
    (tmp_path / "day" / "again").symlink_to(tmp_path)

    with pytest.raises(StartError, match="links back to"):
        discover_sources(tmp_path)


def test_a_link_to_a_file_already_listed_is_read_once(tmp_path: Path) -> None:
    """Regression: a symlinked file was read twice, its records all duplicates."""
    (tmp_path / "a.jsonl").write_bytes(b"{}\n")
    (tmp_path / "b.jsonl").symlink_to(tmp_path / "a.jsonl")
    (tmp_path / "c.jsonl").write_bytes(b"{}\n")  # same bytes, another file

    sources = discover_sources(tmp_path)

    assert [s.path.name for s in sources] == ["a.jsonl", "c.jsonl"]
