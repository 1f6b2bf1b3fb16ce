"""Progress reporting for long stages, decoupled from any terminal library.

The engine calls ``progress.task(description, total)`` and advances the handle it
gets; the CLI passes a rich-backed reporter, tests and flows the silent default.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = ["NullProgress", "Progress", "ProgressTask", "RichProgress"]


class ProgressTask(Protocol):
    """A handle on one running stage."""

    def advance(self, amount: int = 1) -> None:
        """Record ``amount`` more units of work done."""


class Progress(Protocol):
    """Something that shows the progress of named stages."""

    def task(self, description: str, total: int | None) -> ProgressTask:
        """Start showing a stage; ``total`` is None when unknown."""

    def done(self, handle: ProgressTask) -> None:
        """Stop showing a stage."""


class _NullTask:
    def advance(self, amount: int = 1) -> None:
        return None


class NullProgress:
    """Shows nothing."""

    def task(self, description: str, total: int | None) -> ProgressTask:
        """Return a handle that ignores every update."""
        return _NullTask()

    def done(self, handle: ProgressTask) -> None:
        """Nothing to stop."""


class _RichTask:
    def __init__(self, progress: object, task_id: int) -> None:
        self._progress = progress
        self.task_id = task_id

    def advance(self, amount: int = 1) -> None:
        self._progress.advance(self.task_id, amount)  # type: ignore[attr-defined]


class RichProgress:
    """Progress bars on stderr through rich; transient, so they do not tear logs."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import (
            Progress as _Bars,
        )

        self._bars = _Bars(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )

    @contextmanager
    def running(self) -> Iterator[RichProgress]:
        """Show the bars for the duration of the block."""
        with self._bars:
            yield self

    def task(self, description: str, total: int | None) -> ProgressTask:
        """Add a bar."""
        return _RichTask(self._bars, self._bars.add_task(description, total=total))

    def done(self, handle: ProgressTask) -> None:
        """Remove a bar."""
        if isinstance(handle, _RichTask):
            self._bars.remove_task(handle.task_id)  # type: ignore[arg-type]
