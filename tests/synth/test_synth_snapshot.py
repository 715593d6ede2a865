"""Every Terraform address and the JSON it holds, for every example configuration and configuration fixture: a
refactor changes none of them (construct IDs are a contract; a changed address replaces real resources).

The snapshot (tests/fixtures/synth-snapshot.json) keeps, per configuration and stack, the SHA-256 of the whole
cdk.tf.json and of each block under its address (`aws_sns_topic.alerts_topic_1A2B3C`, `data.…`, `variable.…`,
`output.…`), so a failure names what changed. Regenerate it on purpose with UPDATE_SNAPSHOT=1 and say in the
commit why the JSON changed: it is what Terraform sees.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from guardduty_alerts_app.config import load_config
from helpers import FIXTURES, REPO

CONFIGS = sorted((REPO / "config").glob("*.yaml")) + sorted((FIXTURES / "configs").glob("*.yaml"))
SNAPSHOT = FIXTURES / "synth-snapshot.json"


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _addresses(document: dict[str, Any]) -> dict[str, str]:
    """Terraform address -> digest of its block, for resources, data sources, variables, outputs, moved blocks."""
    found: dict[str, str] = {}
    for kind, blocks in document.get("resource", {}).items():
        found.update({f"{kind}.{name}": _digest(block) for name, block in blocks.items()})
    for kind, blocks in document.get("data", {}).items():
        found.update({f"data.{kind}.{name}": _digest(block) for name, block in blocks.items()})
    for section in ("variable", "output", "locals"):
        found.update({f"{section}.{name}": _digest(block) for name, block in document.get(section, {}).items()})
    for index, block in enumerate(document.get("moved", [])):
        found[f"moved[{index}]"] = _digest(block)
    return dict(sorted(found.items()))


def _synthesize(tmp: Path) -> dict[str, Any]:
    from guardduty_alerts_app.stacks.synth import synth_to

    snapshot: dict[str, Any] = {}
    for path in CONFIGS:
        root = tmp / path.stem
        names = synth_to(load_config(path), root / "cdktf.out", state_dir=root)
        stacks = {}
        for name in names:
            raw = (root / "cdktf.out" / "stacks" / name / "cdk.tf.json").read_bytes()
            stacks[name] = {"file": hashlib.sha256(raw).hexdigest(), "addresses": _addresses(json.loads(raw))}
        snapshot[f"{path.parent.name}/{path.name}"] = stacks
    return snapshot


def test_every_address_and_its_json_are_as_in_the_snapshot(tmp_path: Path) -> None:
    current = _synthesize(tmp_path)
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert sorted(current) == sorted(expected), "configurations added or removed: regenerate the snapshot on purpose"
    for config, stacks in expected.items():
        assert sorted(current[config]) == sorted(stacks), f"{config}: stacks added or removed"
        for stack, recorded in stacks.items():
            now = current[config][stack]["addresses"]
            added = sorted(set(now) - set(recorded["addresses"]))
            removed = sorted(set(recorded["addresses"]) - set(now))
            changed = sorted(a for a in set(now) & set(recorded["addresses"]) if now[a] != recorded["addresses"][a])
            assert (added, removed, changed) == ([], [], []), f"{config} {stack}: added, removed, changed"
            assert current[config][stack]["file"] == recorded["file"], f"{config} {stack}: same blocks, other bytes"


@pytest.mark.parametrize("document", [{"resource": {"aws_sns_topic": {"a": {"name": "x"}}}, "moved": [{"from": "a"}]}])
def test_the_snapshot_tells_one_block_from_another(document: dict[str, Any]) -> None:
    before = _addresses(document)
    document["resource"]["aws_sns_topic"]["a"]["name"] = "y"
    after = _addresses(document)
    assert set(before) == set(after) == {"aws_sns_topic.a", "moved[0]"}
    assert before["aws_sns_topic.a"] != after["aws_sns_topic.a"]
    assert before["moved[0]"] == after["moved[0]"]
