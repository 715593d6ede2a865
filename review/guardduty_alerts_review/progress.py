"""Progress of a long wait (Terraform applies, verify's sample polling): a live status line on a terminal, plain
lines where output is kept (CI, a pipe, a file), so that a log shows what happened and when.

On a terminal the status line is rich's (`Console.status`: a spinner and the text, redrawn in place, on
standard error); `note()` prints a permanent line above it. Elsewhere (standard error not a TTY, or CI=true as
every common CI service sets it) `status()` prints its text as a line whenever the text changes.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import IO, Any

__all__ = ["Progress", "live_output"]


def live_output(stream: IO[str]) -> bool:
    """Whether a status line may be redrawn in place: a terminal, and not CI (whose logs keep every redraw)."""
    if os.environ.get("CI", "").lower() in ("true", "1"):
        return False
    return stream.isatty()


class Progress:
    """`with Progress() as progress: progress.status("...")`; `progress.note("...")` for lines to keep."""

    def __init__(self, stream: IO[str] | None = None, *, live: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = live_output(self.stream) if live is None else live
        self._status: Any = None
        self._last = ""

    def __enter__(self) -> Progress:
        if self.live:
            from rich.console import Console

            # Forced: `live` already says the stream is a terminal (or the caller asked for a live line), and
            # rich would otherwise draw nothing until the end into a stream it does not take for one.
            self._console = Console(file=self.stream, force_terminal=True)
            self._status = self._console.status("")
            self._status.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def status(self, text: str) -> None:
        """What is going on now; replaces the previous status."""
        if text == self._last:
            return
        self._last = text
        if self._status is not None:
            self._status.update(text)
        else:
            print(text, file=self.stream, flush=True)

    def note(self, text: str) -> None:
        """A line to keep (a stack finished, a step started)."""
        if self._status is not None:
            self._console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.stream, flush=True)
