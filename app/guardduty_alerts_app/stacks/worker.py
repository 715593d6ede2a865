"""One synthesis worker: `python -m guardduty_alerts_app.stacks.worker`, started by parallel.py.

Reads a pickled WorkerJob on standard input, synthesizes its stacks into the job's folder with a cdktf App of
its own (and so a jsii kernel of its own), and writes `result.json` beside that folder: `{"ok": true}`, or
what went wrong and in which stack. Importing this package's parent (guardduty_alerts_app.stacks) has already
switched on the fast provider loader.

No kernel warm-up thread here (stacks.warm_up): a worker needs cdktf at once, and a cdktf import in this thread
racing the warm-up thread's assembly loads can leave two threads talking to the kernel at the same time, one of
them waiting forever for an answer the other read (seen: a worker hung in `App()`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from guardduty_alerts.errors import GuardDutyAlertsError

from .parallel import RESULT_FILE, decode_job

__all__ = ["main"]


def main() -> int:
    job = decode_job(sys.stdin.buffer.read())
    synth_dir = Path(job.synth_dir)
    current: str | None = None
    result: dict[str, Any]
    try:
        from cdktf import App

        from .synth import add_stacks

        app = App(outdir=str(synth_dir))
        for plan in job.plans:
            current = plan.name
            add_stacks(app, [plan], outdir=Path(job.outdir), state_dir=Path(job.state_dir))
        current = None  # a failure from here on belongs to no one stack
        app.synth()
        result, code = {"ok": True}, 0
    except GuardDutyAlertsError as error:
        result = {"kind": "bad-input", "error": type(error).__name__, "problems": list(error.problems)}
        result["stack"], code = current, 2
    except Exception as error:
        # Not carried on: the parent reports it with the stack it names, and the synth fails (exit code 1).
        first_line = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
        message = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
        result = {"kind": "error", "message": message, "stack": current}
        code = 1
    (synth_dir.parent / RESULT_FILE).write_text(json.dumps(result, sort_keys=True), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
