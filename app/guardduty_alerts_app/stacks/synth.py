"""Synthesis: every stack of a configuration into an output folder, replaced only when synthesis succeeded."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from cdktf import App

from ..config import AlertsConfig
from ..planning import stack_plans
from .alerts_stack import GuardDutyAlertsStack
from .forwarder_stack import ForwarderStack

__all__ = ["build_stacks", "synth_to"]


def build_stacks(
    app: App, config: AlertsConfig, *, outdir: Path, state_dir: Path
) -> list[GuardDutyAlertsStack | ForwarderStack]:
    """Add one stack per account and region to `app`, in name order so that output is the same whatever the
    order of the lists. With a central inbox, regions other than the home region get a ForwarderStack.

    Each stack keeps its state in `state_dir`/terraform.<stack>.tfstate, written as a path relative to the
    stack's folder under `outdir`: the synthesized JSON does not depend on where the project is checked out,
    and state survives deleting or re-synthesizing `outdir`.
    """
    stacks: list[GuardDutyAlertsStack | ForwarderStack] = []
    for plan in stack_plans(config):
        stack_dir = outdir / "stacks" / plan.name
        state_file = state_dir / f"terraform.{plan.name}.tfstate"
        state_path = os.path.relpath(state_file.resolve(), stack_dir.resolve())
        if plan.forward_to_region:
            stacks.append(ForwarderStack(app, plan, state_path=state_path))
        else:
            stacks.append(GuardDutyAlertsStack(app, plan.config, plan.region, state_path=state_path, plan=plan))
    return stacks


def synth_to(config: AlertsConfig, outdir: Path, *, state_dir: Path) -> list[str]:
    """Synthesize every stack into `outdir`, replacing what it held only once synthesis has succeeded.

    Synthesis runs in a scratch folder beside `outdir`; then each generated file is moved into place, stacks
    no longer configured are removed, and the manifest goes last. Files Terraform keeps in a stack folder
    (`.terraform/`, the lock file) are left alone, so an initialised stack need not be initialised again.
    """
    outdir = Path(outdir).resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".synth-", dir=outdir.parent))
    try:
        app = App(outdir=str(scratch))
        stacks = build_stacks(app, config, outdir=outdir, state_dir=state_dir)
        app.synth()
        names = [stack.node.id for stack in stacks]
        _install(scratch, outdir, names)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return names


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
