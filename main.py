"""cdktf app entry point: read the configuration, synthesize one stack per account and region (see README.md and docs/).

Run by a Python other than the project's venv (`python main.py ...` on a fresh shell), it re-executes itself with
`.venv/bin/python`, where the dependencies are installed; without a venv it says in one line what to run
first. Only the standard library is imported before that decision.
"""

import os
import sys
from pathlib import Path

_VENV = Path(__file__).resolve().parent / ".venv"


def _in_project_venv() -> bool:
    try:
        return Path(sys.prefix).resolve() == _VENV.resolve()
    except OSError:
        return False


if __name__ == "__main__" and not _in_project_venv():
    python = _VENV / "bin" / "python"
    if python.exists():
        # jsii otherwise prints a Node 20 end-of-life banner on every run (as bin/app sets it).
        os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
        os.execv(python, [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])  # noqa: S606
    try:
        import guardduty_alerts_app  # noqa: F401 - installed some other way (a venv of the user's own)
    except ModuleNotFoundError:
        print(
            "error: the project's dependencies are not installed for this Python: run ./bin/synth once (it "
            "creates .venv), then ./bin/app ARGS",
            file=sys.stderr,
        )
        sys.exit(2)

if __name__ == "__main__":
    from guardduty_alerts_app.cli import main

    sys.exit(main())
