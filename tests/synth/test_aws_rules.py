"""AWS's documented rules, held against what Terraform would receive for every example configuration
(config/*.yaml) and every configuration fixture (tests/fixtures/configs/*.yaml).

The local emulator accepts much that AWS refuses; each rule below cites where AWS (or the provider's source or
issue tracker) states it. A rule that needs a feature of a configuration (a chat channel, a webhook) holds
vacuously for configurations without it, so every test also asserts that at least one configuration has it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from guardduty_alerts_app.config import load_config
from guardduty_alerts_app.planning import stack_plans
from helpers import FIXTURES, REPO

CONFIGS = sorted((REPO / "config").glob("*.yaml")) + sorted((FIXTURES / "configs").glob("*.yaml"))


# Config file name -> the text of every file synthesis wrote (cdk.tf.json of each stack, manifest.json), filled
# by `synthesized`: what the review workflow uploads as its synth artifact.
SYNTHESIZED_FILES: dict[str, dict[str, str]] = {}
# Recognisable secrets in the environment while synthesizing: a chat webhook URL given as TF_VAR_<name> must
# reach Terraform only at plan time, never the synthesized JSON.
ENV_SECRET = "https://hooks.slack.com/services/T0LEAK/B0LEAK/EnvironmentSecretToken"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    """Config file name -> stack name -> the stack's synthesized JSON, for every example and fixture."""
    from guardduty_alerts_app.stacks.synth import synth_to

    result: dict[str, dict[str, dict[str, Any]]] = {}
    with pytest.MonkeyPatch.context() as patch:
        for variable in sorted(_url_env_vars()):
            patch.setenv(variable, ENV_SECRET)
        for path in CONFIGS:
            root = tmp_path_factory.mktemp(path.stem)
            names = synth_to(load_config(path), root / "cdktf.out", state_dir=root)
            result[path.name] = {
                name: json.loads((root / "cdktf.out" / "stacks" / name / "cdk.tf.json").read_text()) for name in names
            }
            SYNTHESIZED_FILES[path.name] = {
                str(file.relative_to(root)): file.read_text() for file in sorted((root / "cdktf.out").rglob("*.json"))
            }
    return result


def _url_env_vars() -> set[str]:
    return {
        channel.url_env_var
        for path in CONFIGS
        for plan in stack_plans(load_config(path))
        for channel in plan.config.channels
        if getattr(channel, "url_env_var", None)
    }


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
# A chat incoming webhook's URL is its only credential: Slack, "Sending messages using incoming webhooks" ("Your
# webhook URL contains a secret. Don't share it online"); Teams Workflows' webhook URL carries its signature
# (`sig=`) in the query. The review workflow uploads the synthesized JSON as an artifact, so the URL must not be
# in it: it comes from a sensitive variable (Terraform docs, "Input Variables", `sensitive`: hidden in plan
# and apply output) or from an SSM SecureString data source, read only at plan time. The plan JSON is redacted
# separately (tests/pure/test_plan_redaction.py, tests/terraform/test_plan_secrets_terraform.py).

# An invocation endpoint synthesized as a reference to where the URL is read at plan time, never a value.
_ENDPOINT_REFERENCE = re.compile(
    r"^\$\{(var\.(?P<variable>[A-Za-z0-9_]+)|data\.aws_ssm_parameter\.[A-Za-z0-9_-]+\.value)\}$"
)
# Hosts that issue chat incoming webhooks (Slack; Teams Workflows and Office 365 connectors).
_WEBHOOK_HOSTS = ("hooks.slack.com", "webhook.office.com", "logic.azure.com", "powerautomate")


def test_no_synthesized_file_holds_a_chat_webhook_url_or_an_ssm_parameter_value(
    synthesized: dict[str, dict[str, dict[str, Any]]],
) -> None:
    assert set(SYNTHESIZED_FILES) == set(synthesized)
    leaks = {
        f"{config}: {name}": [host for host in (*_WEBHOOK_HOSTS, "EnvironmentSecretToken") if host in text]
        for config, files in SYNTHESIZED_FILES.items()
        for name, text in files.items()
    }
    assert {where: found for where, found in leaks.items() if found} == {}
    assert any(name.endswith("manifest.json") for files in SYNTHESIZED_FILES.values() for name in files)
    parameters = [
        (config, stack, block)
        for config, stacks in synthesized.items()
        for stack, document in stacks.items()
        for block in document.get("data", {}).get("aws_ssm_parameter", {}).values()
    ]
    assert parameters, "no configuration reads a webhook URL from SSM"
    for config, stack, block in parameters:
        # The parameter's name only: its value is read by Terraform at plan time.
        assert set(block) <= {"//", "name", "with_decryption", "provider"}, (config, stack, block)
        assert block["name"].startswith("/") and block["with_decryption"] is True


def test_every_api_destination_endpoint_comes_from_a_sensitive_variable_or_ssm(
    synthesized: dict[str, dict[str, dict[str, Any]]],
) -> None:
    destinations = list(resources_of(synthesized, "aws_cloudwatch_event_api_destination"))
    assert destinations
    kinds = set()
    for config, stack, address, block in destinations:
        match = _ENDPOINT_REFERENCE.match(block["invocation_endpoint"])
        assert match, f"{config}: {stack}: {address} has invocation_endpoint {block['invocation_endpoint']!r}"
        variable = match.group("variable")
        kinds.add("variable" if variable else "ssm")
        if variable:
            declared = synthesized[config][stack]["variable"][variable]
            assert declared["sensitive"] is True, f"{config}: {stack}: variable {variable} is not sensitive"
    assert kinds == {"variable", "ssm"}, "both sources of a webhook URL must be covered"


def test_every_terraform_variable_holding_a_url_is_sensitive(
    synthesized: dict[str, dict[str, dict[str, Any]]],
) -> None:
    variables = [
        (config, stack, name, block)
        for config, stacks in synthesized.items()
        for stack, document in stacks.items()
        for name, block in document.get("variable", {}).items()
    ]
    holding_urls = [
        (config, stack, name, block)
        for config, stack, name, block in variables
        if "url" in name.lower() or "url" in str(block.get("description", "")).lower()
    ]
    assert holding_urls, "no configuration gives a webhook URL through TF_VAR_<name>"
    assert [(c, s, n) for c, s, n, block in holding_urls if block.get("sensitive") is not True] == []


# --- Generated names: unique in their scope and within AWS's length limits -------------------------------------
