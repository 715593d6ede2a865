"""README, "Try it without AWS": its commands, as printed, on a copy of the project's entry points.

The only change to what the README prints is the emulator's port (4566 in the README, a free one here, in the
commands and in config/try-it.yaml), so that the test never collides with an emulator already running."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

pytestmark = pytest.mark.terraform

README_PORT = "4566"


def section_commands() -> tuple[str, str]:
    """The section's two shell blocks: the emulator's, then the session's."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Try it without AWS\n", 1)[1].split("\n## ", 1)[0]
    emulator, session = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return emulator, session


def fresh_project(root: Path, port: str) -> Path:
    """What a fresh clone has at hand after the Quick start: the entry points, the configurations, the fixtures
    and the project venv (linked)."""
    project = root / "project"
    project.mkdir()
    for folder in ("bin", "config", "tools"):
        shutil.copytree(REPO / folder, project / folder)
    shutil.copy(REPO / "main.py", project / "main.py")
    (project / ".venv").symlink_to(REPO / ".venv")
    (project / "tests").symlink_to(REPO / "tests")
    try_it = project / "config" / "try-it.yaml"
    try_it.write_text(try_it.read_text().replace(README_PORT, port))
    return project


def test_the_try_it_section_runs_as_printed_against_the_emulator(terraform_env: dict[str, str], tmp_path: Path) -> None:
    from emulator import _free_port

    port = str(_free_port())
    emulator_block, session = section_commands()
    assert emulator_block.split("#")[0].split() == ["./bin/emulator", "--port", README_PORT]
    assert README_PORT in session
    project = fresh_project(tmp_path, port)
    env = {k: v for k, v in terraform_env.items() if k != "GUARDDUTY_ALERTS_CONFIG"}

    emulator = subprocess.Popen(
        ["bash", "-c", f"exec {emulator_block.replace(README_PORT, port).split('#')[0]}"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        first = emulator.stdout.readline()
        assert (
            first == f"local AWS emulator (moto) on http://127.0.0.1:{port}; nothing is sent to AWS. Ctrl-C stops it.\n"
        )
        script = "set -euo pipefail\n" + session.replace(README_PORT, port)
        result = subprocess.run(
            ["bash", "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=1500
        )
        logs = "\n".join(p.read_text()[-2000:] for p in sorted((project / "logs").glob("*.log")))
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{logs}"
        assert "deploy: 1 applied, 0 failed, 0 skipped in " in result.stdout
        assert "verify: all 10 checks passed in 1 stack" in result.stdout
        assert "No changes in 1 stack: alerting stays as it is." in (project / "comment.md").read_text()
        assert "destroy: 1 destroyed, 0 failed, 0 skipped in " in result.stdout
    finally:
        emulator.send_signal(signal.SIGTERM)
        rest, _ = emulator.communicate(timeout=60)
    # SIGTERM stops it as cleanly as Ctrl-C.
    assert emulator.returncode == 0
    assert rest.rstrip().endswith("emulator stopped")


def test_rejects_a_port_that_is_taken_in_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(REPO / "tools" / "emulator.py"), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ},
        )
    assert result.returncode == 2
    assert result.stderr == (
        f"error: --port {port}: cannot listen on 127.0.0.1:{port} (Address already in use); allowed: a free port, "
        "or no --port for any free one\n"
    )
