"""Synthesis: every stack of a configuration into an output folder, replaced only when synthesis succeeded.

In this process (`jobs=1`), or in worker processes (parallel.py) that each synthesize a chunk of the stacks;
the output is the same byte for byte. cdktf and the provider bindings are imported only where stacks are built
here, so a parent that hands every stack to workers never starts a jsii kernel of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import AlertsConfig
from ..planning import DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE, StackPlan, chunk_plans, stack_plans

if TYPE_CHECKING:
    from cdktf import App

    from .alerts_stack import GuardDutyAlertsStack
    from .forwarder_stack import ForwarderStack

__all__ = ["add_stacks", "build_stacks", "synth_to"]


def build_stacks(
    app: App, config: AlertsConfig, *, outdir: Path, state_dir: Path
) -> list[GuardDutyAlertsStack | ForwarderStack]:
    """Add one stack per account and region to `app`, in name order so that output is the same whatever the
    order of the lists. With a central inbox, regions other than the home region get a ForwarderStack.

    Each stack keeps its state in `state_dir`/terraform.<stack>.tfstate, written as a path relative to the
    stack's folder under `outdir`: the synthesized JSON does not depend on where the project is checked out,
    and state survives deleting or re-synthesizing `outdir`.
    """
    return add_stacks(app, stack_plans(config), outdir=outdir, state_dir=state_dir)


def add_stacks(
    app: App, plans: Sequence[StackPlan], *, outdir: Path, state_dir: Path
) -> list[GuardDutyAlertsStack | ForwarderStack]:
    """Add the stack of each plan to `app` (see build_stacks)."""
    from .alerts_stack import GuardDutyAlertsStack
    from .forwarder_stack import ForwarderStack

    stacks: list[GuardDutyAlertsStack | ForwarderStack] = []
    for plan in plans:
        stack_dir = Path(outdir) / "stacks" / plan.name
        state_file = Path(state_dir) / f"terraform.{plan.name}.tfstate"
        state_path = os.path.relpath(state_file.resolve(), stack_dir.resolve())
        if plan.forward_to_region:
            stacks.append(ForwarderStack(app, plan, state_path=state_path))
        else:
            stacks.append(GuardDutyAlertsStack(app, plan.config, plan.region, state_path=state_path, plan=plan))
    return stacks


def synth_to(
    config: AlertsConfig,
    outdir: Path,
    *,
    state_dir: Path,
    jobs: int = 1,
    chunk_size: int | None = None,
    min_chunk_size: int = MIN_CHUNK_SIZE,
    report: Callable[[str], None] | None = None,
) -> list[str]:
    """Synthesize every stack into `outdir`, replacing what it held only once synthesis has succeeded.

    With `jobs` above 1, the stacks are cut into chunks (planning.chunk_plans: at most `chunk_size` stacks,
    default planning.DEFAULT_CHUNK_SIZE, and at least `min_chunk_size` per job) and, if that gives more than
    one, worker processes synthesize them, `jobs` at a time; every worker's error is reported.

    Synthesis runs in a scratch folder beside `outdir`; then each generated file is moved into place, stacks no
    longer configured are removed, and the manifest goes last. Files Terraform keeps in a stack folder
    (`.terraform/`, the lock file) are left alone, so an initialised stack need not be initialised again.

    `report`, if given, is told in words what is being synthesized and, with workers, how far they are.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    outdir = Path(outdir).resolve()
    state_dir = Path(state_dir).resolve()
    plans = stack_plans(config)
    names = [plan.name for plan in plans]
    outdir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".synth-", dir=outdir.parent))
    try:
        chunks = (
            chunk_plans(plans, jobs=jobs, chunk_size=chunk_size or DEFAULT_CHUNK_SIZE, min_chunk_size=min_chunk_size)
            if jobs > 1
            else [tuple(plans)]
        )
        if len(chunks) > 1:
            from .parallel import synth_in_workers

            synthesized = synth_in_workers(
                chunks, scratch, outdir=outdir, state_dir=state_dir, jobs=jobs, report=report
            )
        else:
            if report is not None:
                report(f"synthesizing {len(plans)} {'stack' if len(plans) == 1 else 'stacks'} in this process")
            synthesized = scratch / "out"
            _synth_here(plans, synthesized, outdir=outdir, state_dir=state_dir)
        _install(synthesized, outdir, names)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return names


def _synth_here(plans: Sequence[StackPlan], synth_dir: Path, *, outdir: Path, state_dir: Path) -> None:
    from cdktf import App

    app = App(outdir=str(synth_dir))
    add_stacks(app, plans, outdir=outdir, state_dir=state_dir)
    app.synth()


def _install(scratch: Path, outdir: Path, names: list[str]) -> None:
    (outdir / "stacks").mkdir(parents=True, exist_ok=True)
    for source in sorted(scratch.rglob("*")):
        relative = source.relative_to(scratch)
        if source.is_dir() or relative == Path("manifest.json"):
            continue
        target = outdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    for stale in sorted((outdir / "stacks").iterdir()):
        if stale.is_dir() and stale.name not in names:
            shutil.rmtree(stale)
    os.replace(scratch / "manifest.json", outdir / "manifest.json")
