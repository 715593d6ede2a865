"""Synth benchmark: this project against naive Python cdktf and native JavaScript cdktf, side by side.

    ./bin/bench                    # example configuration, 5 runs of each
    ./bin/bench --runs 9 --config path/to/big.yaml

Builds the JavaScript reference in a temporary folder (npm: cdktf, @cdktf/provider-aws, constructs at the
versions this project pins; reference.js re-creates every resource of the project's own synth with the
provider class from its own module, at the same construct path), checks that it writes the same JSON, then
runs in alternation, each a fresh process with a fresh output folder:

- project: `python main.py synth` (fast provider loading, see guardduty_alerts/fast_provider.py);
- naive:   the same with GUARDDUTY_ALERTS_EAGER_PROVIDER=1 (the provider's eager `__init__`);
- js:      `node reference.js`, each provider class from its own module (the fastest JavaScript);
- js-index: the same importing from the package index, as cdktf's examples do (loads every module).

Prints per variant the median, min and max wall time, the largest resident set of one process (what
`/usr/bin/time -v` reports) and the peak of the whole process tree (Python + the two jsii Node processes,
sampled from /proc every 20 ms), then the ratios of the medians. One warm-up run of each is not counted
(it fills jsii's package cache and Python's bytecode cache, as any second run on a machine has them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NPM_PACKAGES = ("cdktf@0.21.0", "@cdktf/provider-aws@20.1.0", "constructs@10.4.2")
EAGER_ENV_VAR = "GUARDDUTY_ALERTS_EAGER_PROVIDER"


@dataclass
class Variant:
    name: str
    command: list[str]
    env: dict[str, str]
    seconds: list[float] = field(default_factory=list)
    max_process_rss_kib: int = 0
    max_tree_rss_kib: int = 0


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
    except OSError:
        pass
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kib(root: int) -> int:
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _rss_kib(pid)
        pending += _children(pid)
    return total


def run_once(variant: Variant, outdir: Path) -> tuple[float, int, int]:
    """Wall seconds, largest one-process RSS (from wait4) and peak tree RSS (sampled), in KiB."""
    shutil.rmtree(outdir, ignore_errors=True)
    command = [part.replace("{outdir}", str(outdir)) for part in variant.command]
    peak = 0
    stop = threading.Event()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=variant.env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.02):
            peak = max(peak, _tree_rss_kib(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{variant.name} failed ({process.returncode}):\n{stderr.decode(errors='replace')}")
    return seconds, usage.ru_maxrss, peak


def build_js_reference(workdir: Path) -> None:
    print(f"building the JavaScript reference in {workdir} (npm install {' '.join(NPM_PACKAGES)}) ...", flush=True)
    workdir.mkdir(parents=True)
    (workdir / "package.json").write_text(json.dumps({"name": "synth-reference", "private": True}) + "\n")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", *NPM_PACKAGES],
        cwd=workdir,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.copy(Path(__file__).with_name("reference.js"), workdir / "reference.js")


def files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each variant (default 5)")
    parser.add_argument("--config", default=str(REPO / "config" / "guardduty-alerts.yaml"), help="configuration")
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive Python variant (slow)")
    args = parser.parse_args()
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise SystemExit("error: node and npm are needed for the JavaScript reference")

    env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", EAGER_ENV_VAR)}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    work = Path(tempfile.mkdtemp(prefix="guardduty-alerts-bench-"))
    try:
        build_js_reference(work / "js")
        state = work / "state"
        state.mkdir()
        synth = [sys.executable, "main.py", "synth", "--config", args.config, "--outdir", "{outdir}"]
        synth += ["--state-dir", str(state)]
        project = Variant("project", synth, env)
        naive = Variant("naive", synth, {**env, EAGER_ENV_VAR: "1"})
        # The reference reads the project's stacks from a first project synth and writes them again.
        source = work / "source"
        reference_js = ["node", str(work / "js" / "reference.js"), str(source), "{outdir}"]
        js = Variant("js", [*reference_js, "module"], env)
        js_index = Variant("js-index", [*reference_js, "index"], env)
        variants = [project, js, js_index] + ([] if args.skip_naive else [naive])

        print("warm-up run of each (not counted) ...", flush=True)
        run_once(project, source)
        for variant in variants:
            run_once(variant, work / f"out-{variant.name}")
        reference = files(work / "out-project")
        for variant in variants:
            same = files(work / f"out-{variant.name}") == reference
            print(f"  {variant.name:9} output identical to project synth: {'yes' if same else 'NO'}")
        stacks = len(json.loads((source / "manifest.json").read_text())["stacks"])
        print(f"{args.runs} timed runs of each, in alternation ({stacks} stacks) ...", flush=True)
        for run in range(args.runs):
            for variant in variants:
                seconds, process_rss, tree_rss = run_once(variant, work / f"out-{variant.name}")
                variant.seconds.append(seconds)
                variant.max_process_rss_kib = max(variant.max_process_rss_kib, process_rss)
                variant.max_tree_rss_kib = max(variant.max_tree_rss_kib, tree_rss)
            print(f"  run {run + 1}: " + ", ".join(f"{v.name} {v.seconds[-1]:.2f} s" for v in variants), flush=True)

        print()
        print(f"{'variant':9} {'median':>8} {'min':>7} {'max':>7} {'max RSS 1 process':>18} {'peak RSS tree':>14}")
        for v in variants:
            print(
                f"{v.name:9} {statistics.median(v.seconds):7.2f}s {min(v.seconds):6.2f}s {max(v.seconds):6.2f}s "
                f"{mib(v.max_process_rss_kib):>18} {mib(v.max_tree_rss_kib):>14}"
            )
        median = {v.name: statistics.median(v.seconds) for v in variants}
        print()
        print(f"project / js       = {median['project'] / median['js']:.2f}x")
        print(f"project / js-index = {median['project'] / median['js-index']:.2f}x")
        if "naive" in median:
            print(f"naive   / js       = {median['naive'] / median['js']:.2f}x")
            print(f"naive   / project  = {median['naive'] / median['project']:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
