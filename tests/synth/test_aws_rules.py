"""AWS's documented rules, held against what Terraform would receive for every example configuration
(config/*.yaml) and every configuration fixture (tests/fixtures/configs/*.yaml).

The local emulator accepts much that AWS refuses; each rule below cites where AWS (or the provider's source or
issue tracker) states it. A rule that needs a feature of a configuration (a chat channel, a webhook) holds
vacuously for configurations without it, so every test also asserts that at least one configuration has it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from guardduty_alerts_app.config import load_config
from helpers import FIXTURES, REPO

CONFIGS = sorted((REPO / "config").glob("*.yaml")) + sorted((FIXTURES / "configs").glob("*.yaml"))


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    """Config file name -> stack name -> the stack's synthesized JSON, for every example and fixture."""
    from guardduty_alerts_app.stacks.synth import synth_to

    result: dict[str, dict[str, dict[str, Any]]] = {}
    for path in CONFIGS:
        root = tmp_path_factory.mktemp(path.stem)
        names = synth_to(load_config(path), root / "cdktf.out", state_dir=root)
        result[path.name] = {
            name: json.loads((root / "cdktf.out" / "stacks" / name / "cdk.tf.json").read_text()) for name in names
        }
    return result


def resources_of(
    synthesized: dict[str, dict[str, dict[str, Any]]], kind: str
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(config file, stack, construct address, resource block) of every resource of type `kind`."""
    for config, stacks in synthesized.items():
        for stack, document in stacks.items():
            for address, block in document.get("resource", {}).get(kind, {}).items():
                yield config, stack, address, block


def test_every_example_and_fixture_is_covered() -> None:
    assert {path.name for path in CONFIGS} >= {
        "guardduty-alerts.yaml",
        "channels.example.yaml",
        "estate.example.yaml",
        "long-names-two-regions.yaml",
    }


# --- Chat configurations (Amazon Q Developer in chat applications) ---------------------------------------------



# --- Chat webhook bodies, alarms and AWS User Notifications ---------------------------------------------------



# --- Secrets in plan artifacts ---------------------------------------------------------------------------------



# --- Generated names: unique in their scope and within AWS's length limits -------------------------------------



