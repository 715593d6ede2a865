"""Synthesis in worker processes: the stacks split into chunks, each chunk synthesized by a fresh Python
process with its own jsii kernel, the results merged into one cdktf output folder.

Why processes: nearly all of a synth is jsii round trips between Python and the Node kernel, one call at a
time, so threads cannot help; processes can use every core. How the stacks are cut into chunks, and why, is
planning.chunk_plans. Stacks are independent (no stack refers to another), so a stack's files and its
manifest entry are the same whichever process writes them.

This module needs no cdktf: the parent process only plans, waits and merges. Each worker runs
`python -m guardduty_alerts_app.stacks.worker` (worker.py) with its job pickled on standard input and writes
`result.json` beside its output; a worker that leaves none was stopped (a signal, the memory limit).
"""

from __future__ import annotations

import contextlib
import copyreg
import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from guardduty_alerts import errors
from guardduty_alerts.errors import GuardDutyAlertsError, SynthError

from ..planning import StackPlan
from .manifest import merge_manifests, render_manifest

__all__ = ["WorkerJob", "decode_job", "encode_job", "synth_in_workers"]

RESULT_FILE = "result.json"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class WorkerJob:
    """What one worker synthesizes: its stacks, and the folders their JSON is written for and into."""

    plans: tuple[StackPlan, ...]
    outdir: str  # the final output folder: state paths in the JSON are relative to its stack folders
    state_dir: str
    synth_dir: str  # where this worker's cdktf App writes


def _mapping_proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


def _reduce_mapping_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _mapping_proxy, (dict(proxy),)


def encode_job(job: WorkerJob) -> bytes:
    """The job as bytes for the worker's standard input. The settings are frozen dataclasses holding read-only
    mappings (MappingProxyType), which pickle cannot store by itself: this pickler rebuilds them from dicts."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, MappingProxyType: _reduce_mapping_proxy}
    pickler.dump(job)
    return buffer.getvalue()


def decode_job(data: bytes) -> WorkerJob:
    # Only ever what encode_job wrote, handed over by the parent process on a pipe.
    job = pickle.loads(data)  # noqa: S301
    if not isinstance(job, WorkerJob):
        raise TypeError(f"expected a WorkerJob, got {type(job).__name__}")
    return job


@dataclass(frozen=True)
class _Outcome:
    chunk: tuple[StackPlan, ...]
    synth_dir: Path
    result: dict[str, Any] | None  # what the worker wrote to result.json, None if it wrote nothing
    returncode: int
    stderr: str

    @property
    def failed(self) -> bool:
        return self.returncode != 0 or self.result != {"ok": True}


def synth_in_workers(
    chunks: Sequence[tuple[StackPlan, ...]],
    scratch: Path,
    *,
    outdir: Path,
    state_dir: Path,
    jobs: int,
    report: Callable[[str], None] | None = None,
) -> Path:
    """Synthesize each chunk in a worker process of its own, `jobs` at a time, under `scratch`; return the merged
    output folder (cdktf's layout: stacks/<name>/..., manifest.json). Every worker runs to its end, and if any failed
    one error lists them all: an InvalidPropsError or other input error (exit code 2) when every failure was
    one, else a SynthError (exit code 1). Nothing is merged then.

    `report`, if given, is called with a line of words when the workers start and each time one finishes (from
    the threads that wait for them): how many chunks and stacks are done.
    """
    width = len(str(len(chunks)))
    jobs_by_chunk = [
        WorkerJob(
            plans=chunk,
            outdir=str(outdir),
            state_dir=str(state_dir),
            synth_dir=str(scratch / f"chunk-{index:0{width}d}" / "out"),
        )
        for index, chunk in enumerate(chunks, start=1)
    ]
    environment = _worker_environment()
    workers = min(jobs, len(chunks))
    tally = _Tally(chunks, workers, report)
    # Threads only wait for the processes; each worker is a process of its own.
    with _pipes_to_dead_workers_fail_softly(), ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda job: tally.finished(_run_worker(job, environment)), jobs_by_chunk))
    failed = [outcome for outcome in outcomes if outcome.failed]
    if failed:
        raise _failure(failed, total=len(outcomes))
    _forward_warnings(outcomes)
    merged = scratch / "out"
    _merge([outcome.synth_dir for outcome in outcomes], merged)
    return merged


class _Tally:
    """Chunks and stacks done so far, told to `report` as words; the waiting threads finish in any order."""

    def __init__(
        self, chunks: Sequence[tuple[StackPlan, ...]], workers: int, report: Callable[[str], None] | None
    ) -> None:
        self.report = report
        self.chunks = len(chunks)
        self.stacks = sum(len(chunk) for chunk in chunks)
        self.workers = workers
        self.chunks_done = 0
        self.stacks_done = 0
        self.failed = 0
        self.lock = threading.Lock()
        self._tell()

    def finished(self, outcome: _Outcome) -> _Outcome:
        with self.lock:
            self.chunks_done += 1
            self.stacks_done += len(outcome.chunk)
            self.failed += outcome.failed
            self._tell()
        return outcome

    def _tell(self) -> None:
        if self.report is None:
            return
        # Short enough for an 80-column terminal at 340 stacks, where the live line is drawn.
        failed = f", {self.failed} failed" if self.failed else ""
        self.report(
            f"synthesizing {self.stacks} stacks in {self.workers} processes: {self.chunks_done} of {self.chunks} "
            f"chunks done ({self.stacks_done} stacks){failed}"
        )


@contextlib.contextmanager
def _pipes_to_dead_workers_fail_softly() -> Iterator[None]:
    """SIGPIPE ignored while the workers run. The CLI sets it to its default (quiet exit when `| head` stops
    reading); then writing a job into the pipe of a worker that died before reading it would kill this process
    without a word. Ignored, the write fails with EPIPE, which subprocess tolerates, and the worker's death is
    reported like any other. Signal handlers belong to the main thread: elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGPIPE, previous)


def _worker_environment() -> dict[str, str]:
    # The worker imports what this process imports, from the same places, whether the packages are installed
    # or only on sys.path (as a script can arrange).
    environment = dict(os.environ)
    paths = [path for path in sys.path if path]
    if environment.get("PYTHONPATH"):
        paths.append(environment["PYTHONPATH"])
    environment["PYTHONPATH"] = os.pathsep.join(paths)
    return environment


def _run_worker(job: WorkerJob, environment: dict[str, str]) -> _Outcome:
    synth_dir = Path(job.synth_dir)
    synth_dir.parent.mkdir(parents=True)
    process = subprocess.run(
        [sys.executable, "-m", "guardduty_alerts_app.stacks.worker"],
        input=encode_job(job),
        capture_output=True,
        env=environment,
        check=False,
    )
    result_file = synth_dir.parent / RESULT_FILE
    result = json.loads(result_file.read_text(encoding="utf-8")) if result_file.is_file() else None
    return _Outcome(job.plans, synth_dir, result, process.returncode, process.stderr.decode(errors="replace"))


def _describe(chunk: tuple[StackPlan, ...]) -> str:
    if len(chunk) == 1:
        return f"stack {chunk[0].name}"
    return f"{len(chunk)} stacks {chunk[0].name} to {chunk[-1].name}"


def _how_it_stopped(outcome: _Outcome) -> str:
    if outcome.returncode < 0:
        try:
            name = signal.Signals(-outcome.returncode).name
        except ValueError:
            name = f"signal {-outcome.returncode}"
        what = f"the worker process was stopped by {name} (killed, or out of memory) before it finished"
    elif outcome.result is None:
        what = f"the worker process exited with code {outcome.returncode} without a result"
    else:
        what = f"the worker process exited with code {outcome.returncode}"
    last = [line.strip() for line in outcome.stderr.splitlines() if line.strip()]
    return f"{what}; its last output: {last[-1]}" if last else f"{what}; it printed nothing"


def _failure(failed: list[_Outcome], *, total: int) -> GuardDutyAlertsError:
    """One error for every failed worker, each problem naming the stack (or the worker's stacks)."""

    def where(outcome: _Outcome) -> str:
        stack = (outcome.result or {}).get("stack")
        return f"stack {stack}" if stack else _describe(outcome.chunk)

    def kind(outcome: _Outcome) -> str | None:
        return (outcome.result or {}).get("kind")

    if all(kind(outcome) == "bad-input" for outcome in failed):
        names = {(outcome.result or {}).get("error") for outcome in failed}
        error_class = getattr(errors, str(names.pop()), None) if len(names) == 1 else None
        if not (isinstance(error_class, type) and issubclass(error_class, GuardDutyAlertsError)):
            error_class = GuardDutyAlertsError
        return error_class(
            [f"{where(outcome)}: {problem}" for outcome in failed for problem in (outcome.result or {})["problems"]]
        )
    problems = []
    for outcome in failed:
        if kind(outcome) == "bad-input":
            problems += [f"{where(outcome)}: {problem}" for problem in (outcome.result or {})["problems"]]
        elif kind(outcome) == "error":
            problems.append(f"{where(outcome)}: {(outcome.result or {})['message']}")
        else:
            problems.append(f"{_describe(outcome.chunk)}: {_how_it_stopped(outcome)}")
    noun = "worker" if total == 1 else "workers"
    return SynthError(problems, source=f"{len(failed)} of {total} {noun}")


def _forward_warnings(outcomes: list[_Outcome]) -> None:
    # What a successful worker printed (a notice, a deprecation warning) is shown once, not once per worker.
    seen: set[str] = set()
    for outcome in outcomes:
        if outcome.stderr and outcome.stderr not in seen:
            seen.add(outcome.stderr)
            sys.stderr.write(outcome.stderr)


def _merge(synth_dirs: list[Path], merged: Path) -> None:
    """Every worker's files moved into `merged`, and one manifest.json for all their stacks."""
    manifests = []
    for synth_dir in synth_dirs:
        manifests.append(json.loads((synth_dir / MANIFEST_FILE).read_text(encoding="utf-8")))
        for source in sorted(synth_dir.rglob("*")):
            relative = source.relative_to(synth_dir)
            if source.is_dir() or relative == Path(MANIFEST_FILE):
                continue
            target = merged / relative
            if target.exists():
                raise SynthError([f"{relative} was written by two workers"])
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        shutil.rmtree(synth_dir)
    (merged / MANIFEST_FILE).write_bytes(render_manifest(merge_manifests(manifests)).encode("utf-8"))
