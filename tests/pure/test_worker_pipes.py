"""A synthesis worker that dies before reading its job must not take the parent with it.

The CLI sets SIGPIPE to its default (a quiet exit when `| head` stops reading). Writing a job into the pipe of a
worker that is already dead then killed the parent by SIGPIPE (exit -13, nothing printed): seen under load in
test_fails_with_exit_1_when_a_worker_is_killed_and_leaves_the_output_folder_as_it_was.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from guardduty_alerts_app.stacks.parallel import _pipes_to_dead_workers_fail_softly

# The parent, as the CLI leaves it: SIGPIPE at its default, then a job larger than a pipe's buffer written to a
# child that exits without reading it.
PARENT = textwrap.dedent(
    """
    import signal, subprocess, sys
    from guardduty_alerts_app.stacks.parallel import _pipes_to_dead_workers_fail_softly
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    child = [sys.executable, "-c", "import os; os._exit(3)"]
    if sys.argv[1] == "guarded":
        with _pipes_to_dead_workers_fail_softly():
            done = subprocess.run(child, input=b"x" * (4 << 20), capture_output=True, check=False)
    else:
        done = subprocess.run(child, input=b"x" * (4 << 20), capture_output=True, check=False)
    print("worker exited", done.returncode)
    """
)


def run_parent(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PARENT, mode], capture_output=True, text=True, timeout=60)


def test_the_parent_outlives_a_worker_that_never_reads_its_job() -> None:
    result = run_parent("guarded")
    assert (result.returncode, result.stdout) == (0, "worker exited 3\n"), result.stderr


def test_without_the_guard_the_parent_dies_by_sigpipe() -> None:
    # What the guard prevents; if this ever passes without it, the guard has become unnecessary.
    assert run_parent("unguarded").returncode == -signal.SIGPIPE


def test_the_guard_restores_the_handler_it_found() -> None:
    before = signal.getsignal(signal.SIGPIPE)
    with _pipes_to_dead_workers_fail_softly():
        assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN
    assert signal.getsignal(signal.SIGPIPE) == before
