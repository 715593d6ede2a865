"""Synthesis in worker processes (`main.py synth --jobs N`): the same bytes as one process, manifest included;
every worker's failure reported with the output folder left as it was; the manifest written as cdktf writes it."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from guardduty_alerts.errors import InvalidPropsError
from guardduty_alerts_app.config import parse_config
from guardduty_alerts_app.planning import MIN_CHUNK_SIZE
from guardduty_alerts_app.stacks import parallel
from guardduty_alerts_app.stacks.manifest import merge_manifests, render_manifest
from guardduty_alerts_app.stacks.synth import synth_to
from guardduty_alerts_review.progress import Progress
from helpers import REPO, run_main, tree_digest

# Three accounts, five stacks: alerts stacks, a central-inbox forwarder stack, local state files (their paths are
# relative to the final output folder, not to a worker's scratch folder).
ESTATE = {
    "name": "gd",
    "regions": ["eu-west-1", "us-east-1"],
    "recipients": ["sec@example.com"],
    "severity_threshold": "CRITICAL",
    "accounts": [
        {"id": "111111111111", "name": "alpha", "central_inbox": {"home_region": "eu-west-1"}},
        {"id": "222222222222", "name": "beta"},
        {"id": "333333333333", "name": "gamma", "regions": ["us-east-1"]},
    ],
}
STACKS = ["gd-alpha-eu-west-1", "gd-alpha-us-east-1", "gd-beta-eu-west-1", "gd-beta-us-east-1", "gd-gamma-us-east-1"]
WORKER_MODULE = b"guardduty_alerts_app.stacks.worker"


@pytest.fixture(scope="module")
def estate_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "estate.yaml"
    path.write_text(yaml.safe_dump(ESTATE))
    return path


def synth_cli(config: Path, root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`main.py synth` into root/cdktf.out with state files in root (so two roots give the same bytes)."""
    root.mkdir(parents=True, exist_ok=True)
    outdir = root / "cdktf.out"
    return run_main("synth", "--config", str(config), "--outdir", str(outdir), "--state-dir", str(root), *options, cwd=root)


@pytest.fixture(scope="module")
def one_process(estate_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("jobs-1")
    result = synth_cli(estate_file, root, "--jobs", "1")
    assert result.returncode == 0, result.stderr
    return root / "cdktf.out"


def earlier_output(outdir: Path) -> None:
    """What a user's output folder holds before a synth: an initialised stack and a stack no longer configured."""
    kept = outdir / "stacks" / "gd-beta-us-east-1"
    (kept / ".terraform").mkdir(parents=True)
    (kept / ".terraform" / "marker").write_text("initialised\n")
    (kept / "cdk.tf.json").write_text('{"earlier": true}\n')
    (outdir / "stacks" / "gd-delta-us-east-1").mkdir()
    (outdir / "stacks" / "gd-delta-us-east-1" / "cdk.tf.json").write_text("{}\n")
    (outdir / "manifest.json").write_text("{}\n")


def test_two_workers_write_the_same_bytes_as_one_process_and_keep_the_output_guarantees(
    estate_file: Path, one_process: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "cdktf.out"
    earlier_output(outdir)
    result = synth_cli(estate_file, tmp_path, "--jobs", "2", "--chunk-size", "3")  # two workers: 3 + 2 stacks
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [f"synthesized {outdir}/stacks/{name}/cdk.tf.json" for name in STACKS]
    produced = tree_digest(outdir)
    assert produced.pop("stacks/gd-beta-us-east-1/.terraform/marker")
    assert produced == tree_digest(one_process)  # manifest.json included; the stale stack is gone
    assert sorted(produced) == ["manifest.json"] + [f"stacks/{name}/cdk.tf.json" for name in STACKS]
    assert not list(tmp_path.glob(".synth-*")), "scratch folder left behind"


@pytest.fixture
def worker_chunks(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The stacks of each worker process started (recorded on the way to the real worker)."""
    chunks: list[list[str]] = []
    run_worker = parallel._run_worker

    def recording(job: parallel.WorkerJob, environment: dict[str, str]) -> object:
        chunks.append([plan.name for plan in job.plans])
        return run_worker(job, environment)

    monkeypatch.setattr(parallel, "_run_worker", recording)
    return chunks


def test_more_chunks_than_workers_write_the_same_bytes(
    one_process: Path, tmp_path: Path, worker_chunks: list[list[str]]
) -> None:
    names = synth_to(parse_config(ESTATE), tmp_path / "cdktf.out", state_dir=tmp_path, jobs=2, chunk_size=2)
    assert names == STACKS
    # Three workers' chunks in name order, two of them running at a time.
    assert sorted(worker_chunks) == [STACKS[0:2], STACKS[2:4], STACKS[4:5]]
    assert tree_digest(tmp_path / "cdktf.out") == tree_digest(one_process)


def test_shows_the_workers_progress_as_a_live_line_on_a_terminal(
    one_process: Path, tmp_path: Path, worker_chunks: list[list[str]]
) -> None:
    terminal = io.StringIO()
    with Progress(terminal, live=True) as progress:  # rich's Console forced to draw as on a terminal
        synth_to(
            parse_config(ESTATE),
            tmp_path / "cdktf.out",
            state_dir=tmp_path,
            jobs=2,
            chunk_size=2,
            report=progress.status,
        )
    output = terminal.getvalue()
    assert "\x1b[?25l" in output  # drawn in place: the cursor hidden while the line is redrawn
    # Before any worker finishes and after the last; in between, rich redraws at most a dozen times a second, so
    # two workers finishing together may show as one step. The count only grows.
    assert "synthesizing 5 stacks in 2 processes: 0 of 3 chunks done (0 stacks)" in output
    assert "synthesizing 5 stacks in 2 processes: 3 of 3 chunks done (5 stacks)" in output
    done = [int(n) for n in re.findall(r"synthesizing 5 stacks in 2 processes: (\d) of 3 chunks done", output)]
    assert done == sorted(done)
    assert tree_digest(tmp_path / "cdktf.out") == tree_digest(one_process)


def test_says_what_it_synthesizes_in_one_process_when_told_to_report(tmp_path: Path) -> None:
    lines: list[str] = []
    synth_to(parse_config(ESTATE), tmp_path / "cdktf.out", state_dir=tmp_path, jobs=1, report=lines.append)
    assert lines == ["synthesizing 5 stacks in this process"]


def test_a_configuration_too_small_to_share_is_synthesized_in_one_process(
    one_process: Path, tmp_path: Path, worker_chunks: list[list[str]]
) -> None:
    """Five stacks with two jobs: fewer than MIN_CHUNK_SIZE each, so a second process would cost more than
    it saves; the stacks are synthesized here, with the same bytes."""
    assert len(STACKS) < 2 * MIN_CHUNK_SIZE
    synth_to(parse_config(ESTATE), tmp_path / "cdktf.out", state_dir=tmp_path, jobs=2)
    assert worker_chunks == []
    assert tree_digest(tmp_path / "cdktf.out") == tree_digest(one_process)


def test_fails_with_every_workers_invalid_props_and_leaves_the_output_folder_as_it_was(
    tmp_path: Path, worker_chunks: list[list[str]]
) -> None:
    """A configuration built in code skips the file's validation; the construct itself rejects each account's
    bad delivery setting, in two different workers, and both problems are reported."""
    beta, gamma = (config := parse_config({**ESTATE, "accounts": ESTATE["accounts"][1:]})).accounts  # 2 + 1 stacks
    config = replace(
        config,
        accounts=(
            replace(beta, config=replace(beta.config, maximum_retry_attempts=500)),
            replace(gamma, config=replace(gamma.config, dead_letter_retention_seconds=30)),
        ),
    )
    outdir = tmp_path / "cdktf.out"
    outdir.mkdir()
    earlier_output(outdir)
    before = tree_digest(outdir)
    with pytest.raises(InvalidPropsError) as raised:
        synth_to(config, outdir, state_dir=tmp_path, jobs=2, chunk_size=2)
    assert sorted(worker_chunks) == [["gd-beta-eu-west-1", "gd-beta-us-east-1"], ["gd-gamma-us-east-1"]]
    message = str(raised.value)
    assert message.startswith("invalid GuardDutyAlerts props: 2 problems\n")
    assert "\n  - stack gd-beta-eu-west-1: maximum_retry_attempts: 500 is not allowed; allowed: " in message
    assert "\n  - stack gd-gamma-us-east-1: dead_letter_retention_seconds: 30 is not allowed; allowed: " in message
    assert tree_digest(outdir) == before
    assert not list(tmp_path.glob(".synth-*")), "scratch folder left behind"


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def test_fails_with_exit_1_when_a_worker_is_killed_and_leaves_the_output_folder_as_it_was(
    estate_file: Path, tmp_path: Path
) -> None:
    """A worker stopped from outside (as the kernel's out-of-memory killer would) fails the synth clearly."""
    outdir = tmp_path / "cdktf.out"
    outdir.mkdir()
    earlier_output(outdir)
    before = tree_digest(outdir)
    environment = {k: v for k, v in os.environ.items() if k != "GUARDDUTY_ALERTS_CONFIG"}
    environment["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    command = [sys.executable, str(REPO / "main.py"), "synth", "--config", str(estate_file), "--outdir", str(outdir)]
    command += ["--state-dir", str(tmp_path), "--jobs", "2", "--chunk-size", "3"]
    process = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and process.poll() is None:
        for pid in _children(process.pid):
            try:
                if WORKER_MODULE in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGKILL)
                    killed = pid
                    break
            except OSError:
                pass
        time.sleep(0.005)
    stdout, stderr = process.communicate(timeout=300)
    assert killed is not None, "no worker process was seen"
    assert process.returncode == 1, stderr
    assert stdout == b""
    text = stderr.decode()
    assert text.startswith("error: synthesis failed in 1 of 2 workers: 1 problem\n  - "), text
    assert "stacks gd-" in text
    assert "the worker process was stopped by SIGKILL (killed, or out of memory) before it finished" in text
    assert "Traceback" not in text
    assert tree_digest(outdir) == before
    assert not list(tmp_path.glob(".synth-*")), "scratch folder left behind"


JOBS_ALLOWED = "allowed: a whole number of worker processes, 1 or more (1: every stack in this process)"


@pytest.mark.parametrize(
    ("options", "problems"),
    [
        (["--jobs", "0"], [f"--jobs 0 is not allowed; {JOBS_ALLOWED}"]),
        (["--jobs", "-2"], [f"--jobs -2 is not allowed; {JOBS_ALLOWED}"]),
        (
            ["--jobs", "0", "--chunk-size", "0"],
            [
                f"--jobs 0 is not allowed; {JOBS_ALLOWED}",
                "--chunk-size 0 is not allowed; allowed: a whole number of stacks, 1 or more",
            ],
        ),
    ],
)
def test_rejects_jobs_and_chunk_size_below_one_with_one_message(
    options: list[str], problems: list[str], estate_file: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "cdktf.out"
    outdir.mkdir()
    earlier_output(outdir)
    before = tree_digest(outdir)
    result = synth_cli(estate_file, tmp_path, *options)
    assert result.returncode == 2
    noun = "problem" if len(problems) == 1 else "problems"
    assert result.stderr == "".join(
        [f"error: invalid command line: {len(problems)} {noun}\n"] + [f"  - {problem}\n" for problem in problems]
    )
    assert result.stdout == ""
    assert tree_digest(outdir) == before


def test_rejects_a_jobs_value_that_is_not_a_number(estate_file: Path, tmp_path: Path) -> None:
    result = synth_cli(estate_file, tmp_path, "--jobs", "two")
    assert result.returncode == 2
    assert "argument --jobs: invalid int value: 'two'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cdktf.out").exists()


def test_manifest_is_rendered_as_cdktf_writes_it_with_annotations_and_dependencies(tmp_path: Path) -> None:
    """cdktf's own manifest of stacks with annotations and a dependency, parsed, split in two as two workers
    would write it, merged and rendered: the same bytes."""
    from cdktf import Annotations, App, TerraformOutput, TerraformStack

    app = App(outdir=str(tmp_path))
    first = TerraformStack(app, "first")
    second = TerraformStack(app, "second-é")
    TerraformOutput(first, "out", value="x")
    TerraformOutput(second, "out", value="y")
    second.add_dependency(first)
    Annotations.of(first).add_info('an "info" line\twith a tab')
    Annotations.of(second).add_warning("a warning")
    app.synth()
    written = (tmp_path / "manifest.json").read_text(encoding="utf-8")
    manifest = json.loads(written)
    assert manifest["stacks"]["second-é"]["dependencies"] == ["first"]
    assert [a["level"] for a in manifest["stacks"]["first"]["annotations"]] == ["@cdktf/info"]
    assert render_manifest(manifest) == written
    halves = [
        {"stacks": {name: entry}, "version": manifest["version"]} for name, entry in manifest["stacks"].items()
    ]
    assert render_manifest(merge_manifests(halves)) == written
