"""Progress of long waits: plain lines where output is kept (CI, pipes), a live line only on a terminal."""

from __future__ import annotations

import io

import pytest
from guardduty_alerts_review.progress import Progress, live_output


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_prints_each_new_status_once_as_a_plain_line_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(stream) as progress:
        assert not progress.live
        progress.status("step 1: 0 of 2 stacks done")
        progress.status("step 1: 0 of 2 stacks done")  # unchanged: a CI log keeps one line
        progress.note("  applied a in 3.0 s")
        progress.status("step 1: 1 of 2 stacks done")
    assert stream.getvalue().splitlines() == [
        "step 1: 0 of 2 stacks done",
        "  applied a in 3.0 s",
        "step 1: 1 of 2 stacks done",
    ]


@pytest.mark.parametrize(("ci", "live"), [(None, True), ("true", False), ("1", False), ("false", True)])
def test_a_terminal_gets_a_live_line_unless_ci_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, ci: str | None, live: bool
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    assert live_output(Terminal()) is live
    assert live_output(io.StringIO()) is False


def test_the_live_line_is_redrawn_in_place_and_notes_stay() -> None:
    terminal = Terminal()
    with Progress(terminal, live=True) as progress:
        progress.status("step 1: running a")
        progress.note("  applied a in 3.0 s")
    output = terminal.getvalue()
    # Drawn with terminal control codes (rich hides the cursor and erases the line when the wait ends); the
    # note stays as a line of its own.
    assert "\x1b[?25l" in output
    assert "  applied a in 3.0 s\n" in output
