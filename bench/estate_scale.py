"""Estate synth at scale: 1, 17 and 340 stacks (1 account x 1 region, 1 x 17, 20 x 17), one process against
worker processes, against native cdktf JavaScript writing the same resources.

    .venv/bin/python bench/estate_scale.py                      # 3 alternating runs of each variant per size
    .venv/bin/python bench/estate_scale.py --sizes 17 --runs 5  # one size
    .venv/bin/python bench/estate_scale.py --severity CRITICAL  # fewer resources per stack
    .venv/bin/python bench/estate_scale.py --chunk-sizes 43,85,170   # --jobs N with other chunk sizes too
    .venv/bin/python bench/estate_scale.py --validate 3         # and `terraform validate` 3 of the 340 stacks

Needs node and npm: the JavaScript reference is built in a temporary folder as bench/synth.py builds it
(reference.js re-creates every resource of the project's synth with its provider class, at the same construct
path). For each size the configuration is written to a file, then each variant runs as a fresh process with a
fresh output folder, in alternation, after one warm-up run of each that is not counted:

- `jobs 1`: `python main.py synth --jobs 1`, every stack in one process;
- `jobs N`: the same with N = the number of cores (worker processes, see app/.../stacks/parallel.py);
- `js`:     `node reference.js`, native cdktf writing the same files (checked: byte-identical, manifest too).

Prints per variant the median, min and max wall time, the ratio of the medians to `js`, the median CPU time
of the whole process tree (what a loaded machine distorts least), the largest resident set of any one process
(Python, a worker, a jsii Node process: what the 700 MB budget is about) and the peak of the whole process
tree, plus the machine's load average before and after (a shared machine skews wall times).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from guardduty_alerts_app.config import parse_config
from guardduty_alerts_app.planning import DEFAULT_CHUNK_SIZE, chunk_plans, stack_plans
from synth import build_js_reference, files

REPO = Path(__file__).resolve().parent.parent
SIZES = {1: (1, 1), 17: (1, 17), 340: (20, 17)}  # stacks: (accounts, regions per account)


def document(accounts: int, regions: int, severity: str | None = None) -> dict:
    from guardduty_alerts.regions import DEFAULT_ENABLED_REGIONS

    result = {
        "name": "gd",
        "regions": list(DEFAULT_ENABLED_REGIONS[:regions]),
        "recipients": ["security@example.com", "oncall@example.com"],
        "protection_plans": {"s3_data_events": True, "ebs_malware_protection": True},
        "state": {"s3": {"bucket": "acme-terraform-state", "region": "us-east-1"}},
        "accounts": [
            {
                "id": f"{100000000000 + number:012d}",
                "name": f"account-{number:02d}",
                "role_arn": f"arn:aws:iam::{100000000000 + number:012d}:role/GuardDutyAlertsDeploy",
            }
            for number in range(accounts)
        ],
    }
    if severity:
        result["severity_threshold"] = severity
    return result


@dataclass
class Variant:
    name: str
    command: list[str]
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    max_process_kib: int = 0
    max_tree_kib: int = 0


def _status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(root: int) -> list[int]:
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    pending += [int(child) for child in handle.read().split()]
        except OSError:
            pass
    return found


def run_once(variant: Variant, outdir: Path, env: dict[str, str]) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds of the whole tree, largest resident set of one process and peak resident set of
    the tree, in KiB.

    One process: the kernel's own high-water mark over the process and every descendant it reaped (wait4's
    ru_maxrss; every worker, jsii Node process and their children is reaped by its parent). The tree: the sum
    of the resident sets of the live processes, sampled every 20 ms until the process exits (it is reaped only
    after the sampler stopped, so its pid cannot be reused by another process meanwhile).
    """
    shutil.rmtree(outdir, ignore_errors=True)
    command = [part.replace("{outdir}", str(outdir)) for part in variant.command]
    tree_peak = 0
    stop = threading.Event()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def sample() -> None:
        nonlocal tree_peak
        while not stop.wait(0.02):
            tree_peak = max(tree_peak, sum(_status_kib(pid, "VmRSS:") for pid in _tree(process.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = process.stderr.read() if process.stderr else b""
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{variant.name} failed ({process.returncode}):\n{stderr.decode(errors='replace')}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, tree_peak


def resources_per_stack(outdir: Path) -> float:
    counts = []
    for path in (outdir / "stacks").glob("*/cdk.tf.json"):
        stack = json.loads(path.read_text())
        counts.append(sum(len(instances) for instances in stack.get("resource", {}).values()))
    return statistics.mean(counts)


def validate_sample(outdir: Path, count: int) -> list[str]:
    """`terraform init -backend=false` and `validate` on `count` stacks picked at random (seeded)."""
    names = sorted(path.name for path in (outdir / "stacks").iterdir())
    sample = random.Random(340).sample(names, count)  # noqa: S311 - picking a sample, not cryptography
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    mirror = Path("/opt/tf-plugins")
    if mirror.is_dir():  # offline machines: the provider comes from the local mirror, as in the tests
        rc = outdir.parent / "terraformrc"
        rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
        env["TF_CLI_CONFIG_FILE"] = str(rc)
    for name in sample:
        stack_dir = outdir / "stacks" / name
        for args in (["init", "-backend=false", "-input=false"], ["validate", "-json"]):
            result = subprocess.run(
                ["terraform", f"-chdir={stack_dir}", *args, "-no-color"], env=env, capture_output=True, text=True
            )
            if result.returncode:
                raise SystemExit(f"terraform {args[0]} failed for {name}:\n{result.stdout}\n{result.stderr}")
    return sample


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f}"


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def measure_size(stacks: int, args: argparse.Namespace, work: Path, env: dict[str, str], cores: int) -> Path:
    accounts, regions = SIZES[stacks]
    folder = work / f"size-{stacks}"
    folder.mkdir()
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(document(accounts, regions, args.severity)))
    synth = [sys.executable, "main.py", "synth", "--config", str(config), "--outdir", "{outdir}"]
    synth += ["--state-dir", str(folder)]
    plans = stack_plans(parse_config(document(accounts, regions, args.severity)))

    def label(chunk_size: int | None) -> str:
        chunks = chunk_plans(plans, jobs=cores, chunk_size=chunk_size or DEFAULT_CHUNK_SIZE)
        option = f" --chunk-size {chunk_size}" if chunk_size else ""
        if len(chunks) == 1:
            return f"jobs {cores}{option} (one process)"
        return f"jobs {cores}{option} ({len(chunks)} x {max(len(chunk) for chunk in chunks)} stacks)"

    variants = [Variant("jobs 1", [*synth, "--jobs", "1"]), Variant(label(None), [*synth, "--jobs", str(cores)])]
    default_chunks = chunk_plans(plans, jobs=cores, chunk_size=DEFAULT_CHUNK_SIZE)
    for chunk_size in args.chunk_sizes:
        if chunk_plans(plans, jobs=cores, chunk_size=chunk_size) == default_chunks:
            continue  # the same processes as the default: nothing new to measure
        command = [*synth, "--jobs", str(cores), "--chunk-size", str(chunk_size)]
        variants.append(Variant(label(chunk_size), command))
    source = folder / "source"
    variants.append(Variant("js", ["node", str(work / "js" / "reference.js"), str(source), "{outdir}", "module"]))

    print(f"\n{stacks} stacks ({accounts} x {regions}), load average {load()}: warm-up run of each ...", flush=True)
    run_once(variants[0], source, env)
    for variant in variants:
        run_once(variant, folder / f"out-{variants.index(variant)}", env)
    reference = files(source)
    for index, variant in enumerate(variants):
        if files(folder / f"out-{index}") != reference:
            raise SystemExit(f"{variant.name} did not write the same files as `jobs 1`")
    print(
        f"  every variant wrote the same files ({resources_per_stack(source):.0f} resources per stack); "
        f"{args.runs} timed runs of each, in alternation",
        flush=True,
    )
    for _ in range(args.runs):
        for index, variant in enumerate(variants):
            seconds, cpu_seconds, process_kib, tree_kib = run_once(variant, folder / f"out-{index}", env)
            variant.seconds.append(seconds)
            variant.cpu_seconds.append(cpu_seconds)
            variant.max_process_kib = max(variant.max_process_kib, process_kib)
            variant.max_tree_kib = max(variant.max_tree_kib, tree_kib)
        print("  " + ", ".join(f"{v.name} {v.seconds[-1]:.2f} s" for v in variants), flush=True)
    js = statistics.median(variants[-1].seconds)
    header = f"{'variant':36} {'median s':>9} {'min s':>6} {'max s':>6} {'/ js':>6} {'CPU s':>6}"
    print(f"  {header} {'max MiB 1 process':>18} {'peak MiB tree':>14}")
    for v in variants:
        median = statistics.median(v.seconds)
        print(
            f"  {v.name:36} {median:9.2f} {min(v.seconds):6.2f} {max(v.seconds):6.2f} {median / js:6.2f} "
            f"{statistics.median(v.cpu_seconds):6.1f} "
            f"{mib(v.max_process_kib):>18} {mib(v.max_tree_kib):>14}"
        )
    print(f"  load average after: {load()}", flush=True)
    return source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,17,340", help="stack counts among 1, 17, 340 (default: all three)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each variant (default 3)")
    parser.add_argument("--severity", help="severity_threshold of the configuration (default: MEDIUM)")
    parser.add_argument(
        "--chunk-sizes",
        default="",
        help="also run --jobs N --chunk-size K for each K given (comma-separated), to pick the default",
    )
    parser.add_argument("--validate", type=int, default=0, metavar="N", help="terraform validate N of the 340 stacks")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if not set(sizes) <= set(SIZES):
        raise SystemExit(f"error: --sizes takes {', '.join(map(str, SIZES))}")
    args.chunk_sizes = [int(size) for size in args.chunk_sizes.split(",") if size]
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise SystemExit("error: node and npm are needed for the JavaScript reference")
    cores = os.cpu_count() or 1
    env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "GUARDDUTY_ALERTS_EAGER_PROVIDER")}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    print(f"{cores} cores; load average {load()} (1, 5, 15 minutes)")
    work = Path(tempfile.mkdtemp(prefix="estate-scale-"))
    try:
        build_js_reference(work / "js")
        for stacks in sizes:
            source = measure_size(stacks, args, work, env, cores)
            if stacks == 340 and args.validate:
                sample = validate_sample(source, args.validate)
                print(f"terraform validate passed: {', '.join(sample)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
