"""`python main.py` with a Python other than the project venv's (issue 21: every README example failed with
ModuleNotFoundError outside the venv)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import REPO

# The interpreter the venv was made from: outside the venv, without the project's dependencies.
BASE_PYTHON = Path(sys.base_prefix) / "bin" / "python3"


def run(main: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "GUARDDUTY_ALERTS_CONFIG")}
    return subprocess.run(
        [str(BASE_PYTHON), str(main), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_another_python_re_executes_main_py_with_the_project_venv(tmp_path: Path) -> None:
    result = run(REPO / "main.py", "stacks", "--config", str(REPO / "config" / "guardduty-alerts.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "1  guardduty-alerts-eu-west-1  (credentials' account)  eu-west-1  alerts",
        "1  guardduty-alerts-us-east-1  (credentials' account)  us-east-1  alerts",
    ]


def test_fails_in_one_line_naming_what_to_run_when_there_is_no_venv(tmp_path: Path) -> None:
    shutil.copy(REPO / "main.py", tmp_path / "main.py")  # a fresh clone before ./bin/synth: no .venv beside it
    result = run(tmp_path / "main.py", "stacks", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: the project's dependencies are not installed for this Python: run ./bin/synth once (it creates "
        ".venv), then ./bin/app ARGS\n"
    )
