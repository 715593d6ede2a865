"""`main.py plan`: Terraform plans of many stacks at once, written where `plan-summary` reads them.

For each selected stack: `terraform init`, `terraform plan -lock=false -out` (`-destroy` for a stack the
branch removes, from the base's synth output), then `terraform show -json` of the plan into
PLANS_DIR/<stack>.json and the plan's text into PLANS_DIR/<stack>.txt, both with their secrets hidden
(`redaction`): these files are uploaded as artifacts. The binary plan file holds the secrets and stays in the
stack's folder, which is never uploaded. A review never takes the state lock a deploy may be waiting for.

Stacks run side by side (`jobs` at a time). Terraform's provider plugin cache is not safe for concurrent
`terraform init` when it still has to install a provider (hashicorp/terraform#31964), so the first stack of
each provider set is initialised alone; its dependency lock file is then copied to the stacks that have
none, so that every other `init` finds the provider in the cache (or the mirror) with its checksums and only
links it, and since Terraform 1.4 a cache is used only for providers a lock file already records.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from .redaction import redact_plan
from .synth_output import StackChangeSet, SynthOutput, shard_of, terraform_text

__all__ = ["PlanFailure", "PlanJob", "plan_jobs", "plan_text", "run_plans", "terraform_environment", "warm_up_inits"]

LOCK_FILE = ".terraform.lock.hcl"
# What a failed step's message keeps of Terraform's output: the error is at the end.
_TAIL_CHARS = 3000


@dataclass(frozen=True)
class PlanJob:
    """One stack to plan: its folder, and whether the plan destroys it (a stack this branch removes)."""

    name: str
    stack_dir: Path
    destroy: bool = False


class PlanFailure(Exception):
    """Terraform failed for a stack: which stack, which step, and the end of Terraform's output."""

    def __init__(self, job: PlanJob, step: str, output: str) -> None:
        self.job, self.step, self.output = job, step, output
        super().__init__(f"{job.name}: terraform {step} failed:\n{output[-_TAIL_CHARS:].rstrip()}")


def plan_jobs(
    head: SynthOutput,
    changes: StackChangeSet | None = None,
    base: SynthOutput | None = None,
    shard: tuple[int, int] | None = None,
) -> list[PlanJob]:
    """The stacks to plan, in name order: every stack of `head`, or with `changes` (and the `base` output the
    removed stacks come from) only the added, changed and removed ones; then the `shard` (i, n) of them."""
    if changes is None:
        jobs = [PlanJob(name, head.stack_dir(name)) for name in sorted(head.stacks)]
    else:
        jobs = []
        for name, how in changes.selected():
            if how == "removed":
                assert base is not None, "removed stacks are planned from the base output"
                jobs.append(PlanJob(name, base.stack_dir(name), destroy=True))
            else:
                jobs.append(PlanJob(name, head.stack_dir(name)))
    return shard_of(jobs, *shard) if shard else jobs


_PROGRESS = re.compile(r"^\S+: (Reading\.\.\.|Read complete after .*|Refreshing state\.\.\..*|Still reading\.\.\..*)$")


def plan_text(output: str) -> str:
    """`terraform plan` output without the progress lines Terraform prints while reading and refreshing."""
    lines = output.splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or _PROGRESS.match(lines[start])):
        start += 1
    return "\n".join(lines[start:]) + "\n"


def _required_providers(job: PlanJob) -> str:
    document = json.loads(terraform_text(job.stack_dir / "cdk.tf.json"))
    return json.dumps(document.get("terraform", {}).get("required_providers", {}), sort_keys=True)


def terraform_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment Terraform runs in: `env` (default: this process's), never prompting for input."""
    environment = dict(os.environ if env is None else env)
    environment.setdefault("TF_IN_AUTOMATION", "1")
    environment.setdefault("TF_INPUT", "0")
    return environment


def warm_up_inits(jobs: Sequence[PlanJob], init: Callable[[PlanJob], object]) -> set[PlanJob]:
    """Run `init` alone for the first stack of each provider set, which fills the plugin cache, and copy its
    lock file to the other stacks that have none, so that their inits, side by side, only link the cached
    provider. The stacks already initialised."""
    warmed: dict[str, PlanJob] = {}
    for job in jobs:
        providers = _required_providers(job)
        first = warmed.setdefault(providers, job)
        if first is job:
            init(job)
        elif not (job.stack_dir / LOCK_FILE).exists() and (first.stack_dir / LOCK_FILE).exists():
            shutil.copyfile(first.stack_dir / LOCK_FILE, job.stack_dir / LOCK_FILE)
    return set(warmed.values())


class _Runner:
    def __init__(self, plans_dir: Path, env: Mapping[str, str], log: Callable[[str], None]) -> None:
        self.plans_dir, self.env, self.log = plans_dir, dict(env), log
        self._log_lock = threading.Lock()

    def terraform(self, job: PlanJob, step: str, *args: str) -> str:
        result = subprocess.run(
            ["terraform", f"-chdir={job.stack_dir}", *args, "-no-color"],
            env=self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if result.returncode != 0:
            raise PlanFailure(job, step, f"{result.stdout}\n{result.stderr}")
        return result.stdout

    def init(self, job: PlanJob) -> None:
        self.terraform(job, "init", "init", "-input=false")

    def plan(self, job: PlanJob, *, initialised: bool) -> float:
        started = time.perf_counter()
        if not initialised:
            self.init(job)
        plan_file = f"{job.name}.tfplan"
        destroy = ["-destroy"] if job.destroy else []
        output = self.terraform(job, "plan", "plan", "-input=false", "-lock=false", f"-out={plan_file}", *destroy)
        shown = self.terraform(job, "show -json", "show", "-json", plan_file)
        try:
            redaction = redact_plan(json.loads(shown), in_place=True)
        except json.JSONDecodeError as error:
            # Never written unredacted: a file that cannot be read cannot be cleaned.
            raise PlanFailure(job, "show -json", f"its output is not JSON ({error})") from None
        document = json.dumps(redaction.plan)
        # The plan's own output is `terraform show PLANFILE` after the progress lines: a third provider
        # start-up (about a quarter of a stack's time) would only repeat it.
        text = redaction.text(plan_text(output))
        # Written whole or not at all: plan-summary must never read half a plan.
        for suffix, content in ((".json", document), (".txt", text)):
            target = self.plans_dir / f"{job.name}{suffix}"
            partial = target.with_name(f".{target.name}.partial")
            partial.write_text(content, encoding="utf-8")
            os.replace(partial, target)
        seconds = time.perf_counter() - started
        with self._log_lock:
            what = "destruction of " if job.destroy else ""
            self.log(f"planned {what}{job.name} in {seconds:.1f} s -> {self.plans_dir / job.name}.json")
        return seconds


def run_plans(
    jobs: Sequence[PlanJob],
    *,
    plans_dir: Path,
    parallelism: int,
    env: Mapping[str, str] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, float]:
    """Plan every job, `parallelism` at a time; seconds per stack. The first failure stops new stacks from
    starting and is raised (PlanFailure) once the running ones have finished."""
    plans_dir.mkdir(parents=True, exist_ok=True)
    runner = _Runner(plans_dir, terraform_environment(env), log)

    def first_init(job: PlanJob) -> None:
        # Installing the provider into an empty cache takes a while and prints nothing: say what is going on.
        log(f"terraform init {job.name}: first of its provider set, alone (fills the provider plugin cache)")
        started = time.perf_counter()
        runner.init(job)
        log(f"initialised {job.name} in {time.perf_counter() - started:.1f} s")

    first_jobs = warm_up_inits(jobs, first_init)

    seconds: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        futures: dict[Future[float], PlanJob] = {
            pool.submit(runner.plan, job, initialised=job in first_jobs): job for job in jobs
        }
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        failure = next((f.exception() for f in done if f.exception() is not None), None)
        if failure is not None:
            for future in pending:
                future.cancel()
            wait(pending)
            raise failure
    for future, job in futures.items():
        seconds[job.name] = future.result()
    return seconds
