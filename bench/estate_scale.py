"""Synth time and peak memory for 1, 17 and 340 stacks (1 account x 1 region, 1 x 17, 20 x 17).

    .venv/bin/python bench/estate_scale.py                 # all three sizes
    .venv/bin/python bench/estate_scale.py --validate 3    # and `terraform validate` 3 of the 340 stacks

Each size runs in a fresh Python process (so peaks do not carry over) that builds the configuration, then
times loading the provider bindings, building the stacks and `app.synth()`. Peak memory is the high-water
resident size (VmHWM) of the Python process and of the jsii Node process it drives, read from /proc just
before the child exits; their sum bounds what the synth needs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZES = {1: (1, 1), 17: (1, 17), 340: (20, 17)}  # stacks: (accounts, regions per account)


def document(accounts: int, regions: int) -> dict:
    from guardduty_alerts.regions import DEFAULT_ENABLED_REGIONS

    return {
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


def _vmhwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found


def child(stacks: int, outdir: Path) -> None:
    started = time.perf_counter()
    import guardduty_alerts_app.stacks  # noqa: F401 - switches on the fast provider loader first
    from cdktf import App
    from guardduty_alerts_app.config import parse_config
    from guardduty_alerts_app.stacks.synth import build_stacks

    imported = time.perf_counter()
    config = parse_config(document(*SIZES[stacks]))
    app = App(outdir=str(outdir))
    built = build_stacks(app, config, outdir=outdir, state_dir=outdir)
    app.synth()
    done = time.perf_counter()
    assert len(built) == stacks == len(list((outdir / "stacks").iterdir()))
    node = sum(_vmhwm_kib(pid) for pid in _descendants(os.getpid()))
    print(
        json.dumps(
            {
                "stacks": stacks,
                "import_s": round(imported - started, 1),
                "synth_s": round(done - imported, 1),
                "python_peak_mib": round(_vmhwm_kib(os.getpid()) / 1024),
                "node_peak_mib": round(node / 1024),
            }
        )
    )


def validate_sample(outdir: Path, count: int) -> list[str]:
    """`terraform init -backend=false` and `validate` on `count` stacks picked at random (seeded)."""
    names = sorted(path.name for path in (outdir / "stacks").iterdir())
    sample = random.Random(340).sample(names, count)  # noqa: S311 - picking a sample, not cryptography
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    mirror = Path("/opt/tf-plugins")
    if mirror.is_dir():  # offline machines: the provider comes from the local mirror, as in the tests
        rc = outdir / "terraformrc"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validate", type=int, default=0, metavar="N", help="terraform validate N of the 340 stacks")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--outdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.outdir)
        return
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    print(f"{'stacks':>6} {'import s':>9} {'synth s':>8} {'total s':>8} {'python MiB':>11} {'node MiB':>9}")
    scratch = Path(tempfile.mkdtemp(prefix="estate-scale-"))
    try:
        for stacks in SIZES:
            outdir = scratch / f"out-{stacks}"
            result = subprocess.run(
                [sys.executable, __file__, "--child", str(stacks), "--outdir", str(outdir)],
                capture_output=True,
                text=True,
                cwd=REPO,
                check=False,
            )
            if result.returncode:
                raise SystemExit(result.stderr)
            row = json.loads(result.stdout.strip().splitlines()[-1])
            total = row["import_s"] + row["synth_s"]
            print(
                f"{row['stacks']:>6} {row['import_s']:>9.1f} {row['synth_s']:>8.1f} {total:>8.1f} "
                f"{row['python_peak_mib']:>11} {row['node_peak_mib']:>9}",
                flush=True,
            )
        if args.validate:
            sample = validate_sample(scratch / "out-340", args.validate)
            print(f"terraform validate passed: {', '.join(sample)}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
