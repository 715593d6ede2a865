"""`main.py deploy` and `main.py destroy`: every synthesized stack, step by step, with Terraform.

The steps are those of `main.py stacks` (planning.deployment_order): with Organizations the management
account's stacks first, then the administrator's, then the rest; a chat home stack a step after its account's
other regions. Within a step the stacks are independent (own provider, own state) and run `jobs` at a time;
a step starts only when every stack of the one before succeeded, so a failure stops the later steps, which are
reported as skipped. Destroy runs the steps in reverse: what depends on a stack goes before it.

Each stack runs `terraform init`, then `apply -auto-approve` (or `destroy -auto-approve`, or with `plan_only`
`plan`, which changes nothing), with the output of both in LOGS_DIR/<stack>.log. Terraform's environment and
the provider plugin cache warm-up are the plan runner's (review/guardduty_alerts_review/plan_runner.py).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from guardduty_alerts_review.plan_runner import PlanJob, terraform_environment, warm_up_inits

__all__ = ["Action", "DeployStep", "StackOutcome", "render_summary", "run_steps"]


@dataclass(frozen=True)
class Action:
    """What is done to each stack: the Terraform command after init, and the words for the result."""

    command: tuple[str, ...]
    done: str  # "applied", "destroyed", "planned"
    verb: str  # for the summary's first word: "deploy", "destroy", "plan"
    reverse: bool = False

    @staticmethod
    def of(*, destroy: bool, plan_only: bool) -> Action:
        if plan_only:
            command = ("plan", "-input=false", "-lock=false", *(("-destroy",) if destroy else ()))
            return Action(command, "planned", "destroy --plan" if destroy else "deploy --plan", reverse=destroy)
        if destroy:
            return Action(("destroy", "-auto-approve", "-input=false"), "destroyed", "destroy", reverse=True)
        return Action(("apply", "-auto-approve", "-input=false"), "applied", "deploy")


@dataclass(frozen=True)
class DeployStep:
    number: int
    stacks: tuple[PlanJob, ...]


@dataclass(frozen=True)
class StackOutcome:
    """One stack's result: `status` is the action's past participle, "failed" or "skipped"."""

    name: str
    step: int
    status: str
    seconds: float | None = None
    log: Path | None = None
    reason: str = ""


class _Failed(Exception):
    def __init__(self, command: str) -> None:
        super().__init__(command)
        self.command = command


class _Stack:
    """Runs Terraform for one stack, its output appended to the stack's log file."""

    def __init__(self, job: PlanJob, log: Path, env: Mapping[str, str]) -> None:
        self.job, self.log, self.env = job, log, env
        log.write_text("", encoding="utf-8")  # this run's output only

    def terraform(self, *args: str) -> None:
        command = ["terraform", f"-chdir={self.job.stack_dir}", *args, "-no-color"]
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"$ {' '.join(command)}\n")
            out.flush()
            result = subprocess.run(
                command,
                env=dict(self.env),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        if result.returncode != 0:
            raise _Failed(f"terraform {args[0]}")


def run_steps(
    steps: Sequence[DeployStep],
    action: Action,
    *,
    jobs: int,
    logs_dir: Path,
    env: Mapping[str, str] | None = None,
    progress: Callable[[str], None] = print,
    status: Callable[[str], None] | None = None,
) -> list[StackOutcome]:
    """Run `action` on every stack, step by step (in reverse for destroy), `jobs` stacks at a time within a step;
    after a step with a failure, the stacks of the later steps are skipped. One outcome per stack. `progress`
    gets a line per step and per finished stack, `status` (a live line, if any) which stacks are running."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    environment = terraform_environment(env)
    ordered = list(reversed(steps)) if action.reverse else list(steps)
    outcomes: list[StackOutcome] = []
    failed_step: int | None = None
    for position, step in enumerate(ordered, 1):
        if failed_step is not None:
            outcomes += [
                StackOutcome(job.name, step.number, "skipped", reason=f"step {failed_step} failed")
                for job in step.stacks
            ]
            continue
        progress(
            f"step {step.number} ({position} of {len(ordered)}): {len(step.stacks)} "
            f"{'stack' if len(step.stacks) == 1 else 'stacks'}, {min(jobs, len(step.stacks))} at a time"
        )
        results = _StepRun(step, action, logs_dir, environment, progress, status).run(jobs)
        outcomes += results
        if any(outcome.status == "failed" for outcome in results):
            failed_step = step.number
    return outcomes


class _StepRun:
    """The stacks of one step: inits that fill the plugin cache alone, then the rest side by side."""

    def __init__(
        self,
        step: DeployStep,
        action: Action,
        logs_dir: Path,
        env: Mapping[str, str],
        progress: Callable[[str], None],
        status: Callable[[str], None] | None = None,
    ) -> None:
        self.step, self.action, self.progress, self.status = step, action, progress, status
        self.running: list[str] = []
        self.stacks = {job: _Stack(job, logs_dir / f"{job.name}.log", env) for job in step.stacks}
        self.started = {job: time.perf_counter() for job in step.stacks}
        self.results: dict[PlanJob, StackOutcome] = {}
        self.lock = threading.Lock()

    def run(self, jobs: int) -> list[StackOutcome]:
        initialised = warm_up_inits(self.step.stacks, self.init_alone)
        pending = [job for job in self.step.stacks if job not in self.results]
        if pending:
            with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(pending)))) as pool:
                list(pool.map(lambda job: self.stack(job, initialised=job in initialised), pending))
        return [self.results[job] for job in self.step.stacks]

    def show(self, job: PlanJob, what: str) -> None:
        if self.status is None:
            return
        with self.lock:
            if what == "done":
                self.running.remove(job.name)
            else:
                self.running.append(job.name)
            done = len(self.results)
            running = ", ".join(self.running) or "-"
        self.status(f"step {self.step.number}: {done} of {len(self.step.stacks)} stacks done; running: {running}")

    def init_alone(self, job: PlanJob) -> None:
        # A failed init fails its stack (reported at the end of the step), not the other stacks' warm-up.
        self.show(job, "init")
        try:
            self.stacks[job].terraform("init", "-input=false")
        except _Failed as error:
            self.finish(job, self.failure(job, error))
        finally:
            self.show(job, "done")

    def stack(self, job: PlanJob, *, initialised: bool) -> None:
        self.show(job, "start")
        try:
            if not initialised:
                self.stacks[job].terraform("init", "-input=false")
            self.stacks[job].terraform(*self.action.command)
        except _Failed as error:
            self.finish(job, self.failure(job, error))
        else:
            seconds = time.perf_counter() - self.started[job]
            self.finish(job, StackOutcome(job.name, self.step.number, self.action.done, seconds, self.stacks[job].log))
        finally:
            self.show(job, "done")

    def failure(self, job: PlanJob, error: _Failed) -> StackOutcome:
        seconds = time.perf_counter() - self.started[job]
        return StackOutcome(
            job.name, self.step.number, "failed", seconds, self.stacks[job].log, f"{error.command} failed"
        )

    def finish(self, job: PlanJob, outcome: StackOutcome) -> None:
        with self.lock:
            self.results[job] = outcome
            word = "FAILED" if outcome.status == "failed" else outcome.status
            self.progress(
                f"  {word} {job.name} in {outcome.seconds or 0:.1f} s ({len(self.results)} of "
                f"{len(self.step.stacks)} in step {self.step.number})"
            )


def render_summary(outcomes: Sequence[StackOutcome], action: Action, seconds: float) -> list[str]:
    """One line per stack (applied / failed with the log to read / skipped and why), then the counts."""
    lines = []
    for outcome in outcomes:
        if outcome.status == "failed":
            lines.append(f"  failed   {outcome.name} (step {outcome.step}): {outcome.reason}; log: {outcome.log}")
        elif outcome.status == "skipped":
            lines.append(f"  skipped  {outcome.name} (step {outcome.step}): {outcome.reason}")
        else:
            lines.append(f"  {outcome.status:<8} {outcome.name} (step {outcome.step}, {outcome.seconds:.1f} s)")
    counts = {}
    for status in (action.done, "failed", "skipped"):
        counts[status] = sum(1 for outcome in outcomes if outcome.status == status)
    lines.append(
        f"{action.verb}: {counts[action.done]} {action.done}, {counts['failed']} failed, {counts['skipped']} "
        f"skipped in {seconds:.1f} s"
    )
    return lines
