"""checkov over every synthesized stack of the example configuration, of a maximal one and of the channels
example (every channel kind): no failed check.

Why checkov runs from its own venv: checkov 3.3.30 pins botocore==1.35.99 and packaging==23.2, while our
locked dev tools need botocore 1.43 (boto3==1.43.11, moto). Both cannot be in one environment, so the
session creates an isolated venv from tests/checkov-requirements.txt (every package pinned, with hashes,
installed with --require-hashes), keyed by the file's digest under the user's cache folder: it is built once
per machine and rebuilt only when the pins change. checkov runs offline (--skip-download).

Suppressions: a check that does not apply to this design is written beside the resource in the construct
(`checkov_skips.skip_check`, a `checkov:skip=<id>:<reason>` entry in the resource's `//` object). checkov's
terraform_json runner does not read inline suppressions (checkov/terraform_json/runner.py passes an empty
skip list to every check), so this test applies them itself: a failed check counts as skipped only when the
failing resource carries a suppression for that check id with a reason; anything else fails the test.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from guardduty_alerts_app.config import load_config
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import EXAMPLE_CONFIG, REPO

pytestmark = pytest.mark.checkov

REQUIREMENTS = REPO / "tests" / "checkov-requirements.txt"

# Every option on: both regions, a non-default threshold, tags, finding filters, a suppression rule, the
# subject formatter function, the created key, non-default delivery settings and alarm actions per region.
MAXIMAL = {
    "name": "guardduty-alerts",
    "regions": ["us-east-1", "eu-west-1"],
    "severity_threshold": "HIGH",
    "recipients": ["security-team@example.com", "oncall@example.com"],
    "detector": {"finding_publishing_frequency": "FIFTEEN_MINUTES"},
    "tags": {"owner": "security", "managed-by": "cdktf"},
    "finding_types": {"exclude": ["Recon:EC2/Portscan"]},
    "sample_findings": "drop",
    "new_findings_only": True,
    "suppression_rules": [
        {
            "name": "scanner-port-probes",
            "description": "Our scanner probes its own fleet.",
            "criteria": {"type": {"equals": ["Recon:EC2/PortProbeUnprotectedPort"]}},
        }
    ],
    "subject_formatter": True,
    "topic_encryption": {"enabled": True},
    "delivery": {
        "maximum_event_age_seconds": 3600,
        "maximum_retry_attempts": 50,
        "dead_letter_retention_seconds": 604800,
        "alarm_actions": {
            "us-east-1": ["arn:aws:sns:us-east-1:123456789012:oncall-pager"],
            "eu-west-1": ["arn:aws:sns:eu-west-1:123456789012:oncall-pager"],
        },
    },
}


# KMS: rotation, enabled, policy defined, no wildcard principal; SNS and SQS encrypted; queue policy neither
# public nor all-actions; detector enabled; alarm actions enabled; no credentials in the provider.
EXPECTED_PASSED = {
    "CKV_AWS_7",
    "CKV_AWS_227",
    "CKV2_AWS_64",
    "CKV_AWS_33",
    "CKV_AWS_26",
    "CKV_AWS_27",
    "CKV_AWS_168",
    "CKV_AWS_72",
    "CKV_AWS_387",
    "CKV_AWS_238",
    "CKV_AWS_319",
    "CKV_AWS_41",
}


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "guardduty-alerts"


@pytest.fixture(scope="session")
def checkov() -> Path:
    """The checkov executable of the isolated, hash-pinned tool venv (created when missing)."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    venv = _cache_root() / f"checkov-{digest}"
    done = venv / ".complete"
    if not done.is_file():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        install = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--require-hashes",
                "--no-deps",
                "--only-binary=:all:",
                "-r",
                str(REQUIREMENTS),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert install.returncode == 0, f"installing checkov failed:\n{install.stdout}\n{install.stderr}"
        done.write_text(digest + "\n")
    return venv / "bin" / "checkov"


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """cdk.tf.json of every stack of both configurations, by '<config>/<stack>'."""
    root = tmp_path_factory.mktemp("checkov")
    maximal_file = root / "maximal.yaml"
    maximal_file.write_text(yaml.safe_dump(MAXIMAL))
    files = {}
    channels = REPO / "config" / "channels.example.yaml"
    # The estate example: many accounts, Organizations and the central inbox's forwarding stacks (detector,
    # suppression filters, forwarder, no topic).
    estate = REPO / "config" / "estate.example.yaml"
    configs = (("example", EXAMPLE_CONFIG), ("maximal", maximal_file), ("channels", channels), ("estate", estate))
    for label, path in configs:
        outdir = root / label / "cdktf.out"
        for name in synth_to(load_config(path), outdir, state_dir=root / label):
            files[f"{label}/{name}"] = _without_import_blocks(outdir / "stacks" / name / "cdk.tf.json")
    return files


def _without_import_blocks(stack_file: Path) -> Path:
    """The stack for checkov: checkov 3.3.30's terraform_json parser reports a parsing error for a file with a
    top-level `import` list (observed here: the estate's administrator stacks, which import the region's
    detector, parse once the list is dropped). An import block creates nothing for checkov to check."""
    document = json.loads(stack_file.read_text())
    if "import" not in document:
        return stack_file
    del document["import"]
    copy = stack_file.with_name("checkov.tf.json")
    copy.write_text(json.dumps(document, indent=2))
    return copy


def suppressions(stack_file: Path) -> dict[tuple[str, str], str]:
    """(resource address, check id) -> reason, from the `//` objects the construct wrote."""
    found = {}
    for kind, resources in json.loads(stack_file.read_text()).get("resource", {}).items():
        for key, body in resources.items():
            for check_id, text in body.get("//", {}).get("checkov", {}).items():
                prefix = f"checkov:skip={check_id}:"
                assert text.startswith(prefix), text
                found[(f"{kind}.{key}", check_id)] = text[len(prefix) :].strip()
    return found


def test_checkov_finds_no_failed_check_in_any_stack(checkov: Path, stacks: dict[str, Path]) -> None:
    assert sorted(name for name in stacks if not name.startswith("estate/")) == [
        "channels/guardduty-alerts-eu-west-1",
        "channels/guardduty-alerts-us-east-1",
        "example/guardduty-alerts-eu-west-1",
        "example/guardduty-alerts-us-east-1",
        "maximal/guardduty-alerts-eu-west-1",
        "maximal/guardduty-alerts-us-east-1",
    ]
    # Two accounts of the estate example, 17 regions each.
    assert len([name for name in stacks if name.startswith("estate/")]) == 34
    args = [str(checkov), "--framework", "terraform_json", "--skip-download", "--output", "json"]
    for path in stacks.values():
        args += ["--file", str(path)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, env={**os.environ, "LOG_LEVEL": "ERROR"})
    assert result.returncode in (0, 1), result.stderr
    report: Any = json.loads(result.stdout)
    assert isinstance(report, dict) and report["check_type"] == "terraform_json", report
    assert report["summary"]["parsing_errors"] == 0
    # Not vacuous: in every stack with the alerts topic checkov evaluated, and passed, the checks on what this
    # construct builds (a central inbox's forwarding stack has no topic, key or queue to check).
    for path in stacks.values():
        if "aws_sns_topic" not in json.loads(path.read_text()).get("resource", {}):
            continue
        passed = {c["check_id"] for c in report["results"]["passed_checks"] if c["file_abs_path"] == str(path)}
        assert passed >= EXPECTED_PASSED, (path, sorted(EXPECTED_PASSED - passed))

    # Python checks name a resource "resource.<name>", graph checks "<type>.<name>": match on the name,
    # which cdktf makes unique within a stack.
    allowed = {}
    for path in stacks.values():
        allowed |= {
            (str(path), address.split(".")[-1], check_id): reason
            for (address, check_id), reason in suppressions(path).items()
        }
    unexplained = []
    used = set()
    for check in report["results"].get("failed_checks", []):
        key = (check["file_abs_path"], check["resource"].split(".")[-1], check["check_id"])
        if allowed.get(key):
            used.add(key)
        else:
            unexplained.append(
                f"{check['check_id']} {check['check_name']} on {check['resource']} in {check['file_path']}"
            )
    assert unexplained == []
    # Every suppression written in the code is still needed; a stale one would hide a future failure. One
    # exception: the detector's CKV2_AWS_3 suppression (the construct cannot know whether its stack is the
    # delegated administrator's) passes on its own in a stack that holds the organization configuration.
    organization_stacks = {
        str(path)
        for path in stacks.values()
        if "aws_guardduty_organization_configuration" in json.loads(path.read_text()).get("resource", {})
    }
    stale = sorted(key for key in set(allowed) - used if not (key[2] == "CKV2_AWS_3" and key[0] in organization_stacks))
    assert stale == []
    assert {key[2] for key in used} == {
        "CKV2_AWS_3",  # detector: organization configuration belongs to the delegated administrator
        # the formatter function and its log group (maximal configuration only), reasons in formatter.py
        "CKV_AWS_158",
        "CKV_AWS_338",
        "CKV_AWS_117",
        "CKV_AWS_115",
        "CKV_AWS_272",
        "CKV_AWS_173",
        "CKV_AWS_50",
    }
    # The formatter dead-letters its own failures: the dead-letter check passes where the function exists.
    for name, path in stacks.items():
        if name.startswith("maximal/"):
            passed = {c["check_id"] for c in report["results"]["passed_checks"] if c["file_abs_path"] == str(path)}
            assert "CKV_AWS_116" in passed, path
