"""Configuration: defaults, and one message per problem naming the key path, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from guardduty_alerts.errors import ConfigError
from guardduty_alerts_app.config import AlertsConfig, config_path, load_config, parse_config

MINIMAL = {"regions": ["us-east-1"], "recipients": ["sec@example.com"]}


def problems_of(document: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return list(caught.value.problems)


def with_(**changes: object) -> dict:
    document = dict(MINIMAL)
    document.update(changes)
    return document


def test_minimal_config_gets_documented_defaults() -> None:
    config = parse_config(MINIMAL)
    assert config == AlertsConfig(regions=("us-east-1",), recipients=("sec@example.com",))
    assert config.name == "guardduty-alerts"
    assert config.severity_threshold == "MEDIUM"
    assert config.finding_publishing_frequency == "FIFTEEN_MINUTES"
    assert config.endpoint_url is None
    assert dict(config.existing_detector_ids) == {}


def test_example_config_is_valid(example_config: AlertsConfig) -> None:
    assert example_config.regions == ("us-east-1", "eu-west-1")
    assert all(address.endswith("@example.com") for address in example_config.recipients)


def test_stack_names_are_name_and_region() -> None:
    assert parse_config(MINIMAL).stack_name("eu-west-1") == "guardduty-alerts-eu-west-1"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (with_(colour="red"), "colour: unknown key; allowed keys: accounts, central_inbox, channels, delivery, detector, event_pattern_size_limit, finding_accounts, finding_accounts_except, finding_types, name, new_findings_only, organization, partition, protection_plans, provider, recipients, regions, sample_findings, severity_threshold, state, subject_formatter, suppression_rules, tags, topic_encryption, unrouted, and any key starting with x- (ignored: a place for anchors)"),
        (with_(detector={"frequency": "ONE_HOUR"}), "detector.frequency: unknown key; allowed keys: existing_detector_ids, finding_publishing_frequency"),
        (with_(regions="us-east-1"), 'regions: "us-east-1" is not allowed; allowed: a non-empty list of AWS region names, or \"all\" for the regions enabled by default'),
        (with_(recipients=["not-an-address"]), 'recipients[0]: "not-an-address" is not allowed; allowed: one email address'),
        (with_(recipients=["a@example.com", "ops@"]), 'recipients[1]: "ops@" is not allowed; allowed: one email address'),
        (with_(recipients=[]), "recipients: the list is empty; allowed: a non-empty list of email addresses"),
        (with_(severity_threshold=0), "severity_threshold: 0 is not allowed; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"),
        (with_(severity_threshold=11), "severity_threshold: 11 is not allowed; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"),
        (with_(severity_threshold="SEVERE"), 'severity_threshold: "SEVERE" is not allowed; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0'),
        (with_(severity_threshold=True), "severity_threshold: true is not allowed; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"),
        (with_(regions=["us-east-11"]), 'regions[0]: "us-east-11" is not an AWS region (did you mean us-east-1?); allowed: an AWS region name'),
        (with_(regions=["mars-north-1"]), 'regions[0]: "mars-north-1" is not an AWS region; allowed: an AWS region name'),
        (with_(regions=["us-east-1", "eu-west-1", "us-east-1"]), 'regions[2]: "us-east-1" repeats regions[0]; allowed: each region once'),
        (with_(regions=[]), "regions: the list is empty; allowed: a non-empty list of AWS region names, or \"all\" for the regions enabled by default"),
        (with_(recipients=["Sec@example.com", "sec@EXAMPLE.com"]), 'recipients[1]: "sec@EXAMPLE.com" repeats recipients[0]; allowed: each address once (case does not matter)'),
        (with_(detector={"finding_publishing_frequency": "HOURLY"}), 'detector.finding_publishing_frequency: "HOURLY" is not allowed; allowed: one of FIFTEEN_MINUTES, ONE_HOUR, SIX_HOURS'),
        (with_(detector={"existing_detector_ids": {"us-east-1": "abc"}}), 'detector.existing_detector_ids.us-east-1: "abc" is not allowed; allowed: a 32-character detector id, as `aws guardduty list-detectors` prints it'),
        (with_(detector={"existing_detector_ids": {"eu-west-1": "0" * 32}}), 'detector.existing_detector_ids.eu-west-1: region "eu-west-1" is not in regions; allowed: one of us-east-1'),
        (with_(name="Guard_Duty"), 'name: "Guard_Duty" is not allowed; allowed: 2 to 40 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen'),
        (with_(tags={"team": 7}), "tags.team: 7 is not text; allowed: a string of at most 256 characters"),
        (with_(tags={"aws:owner": "x"}), 'tags: key "aws:owner" is not allowed; allowed: 1 to 128 characters, not starting with \'aws:\''),
        (with_(provider={"endpoint_url": "localhost:5000"}), 'provider.endpoint_url: "localhost:5000" is not allowed; allowed: an http(s) URL such as http://127.0.0.1:5000, used for every AWS service'),
        ({"regions": ["us-east-1"]}, "recipients: missing; required: a non-empty list of email addresses, or channels (see the channels table in docs/channels.md)"),
        (["us-east-1"], '(top level): ["us-east-1"] is not allowed; allowed: a mapping of settings'),
    ],
)
def test_rejects_bad_setting_with_its_key_path(document: object, expected: str) -> None:
    assert problems_of(document) == [expected]


def test_rejects_every_problem_at_once() -> None:
    problems = problems_of({"regions": ["us-east-1", "us-east-1", "nowhere"], "recipients": [], "severity_threshold": 0, "extra": 1})
    assert problems == [
        "extra: unknown key; allowed keys: accounts, central_inbox, channels, delivery, detector, event_pattern_size_limit, finding_accounts, finding_accounts_except, finding_types, name, new_findings_only, organization, partition, protection_plans, provider, recipients, regions, sample_findings, severity_threshold, state, subject_formatter, suppression_rules, tags, topic_encryption, unrouted, and any key starting with x- (ignored: a place for anchors)",
        "recipients: the list is empty; allowed: a non-empty list of email addresses",
        'regions[1]: "us-east-1" repeats regions[0]; allowed: each region once',
        'regions[2]: "nowhere" is not an AWS region; allowed: an AWS region name',
        "severity_threshold: 0 is not allowed; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0",
    ]


def test_error_message_lists_problems_under_a_headline(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(with_(severity_threshold="SEVERE", recipients=["x"])))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"invalid configuration in {path}: 2 problems\n"
        '  - recipients[0]: "x" is not allowed; allowed: one email address\n'
        '  - severity_threshold: "SEVERE" is not allowed; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0'
    )


def test_rejects_malformed_yaml_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("regions: [us-east-1\nrecipients: []\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.startswith("line 2, column 11: not valid YAML: expected ',' or ']'")


def test_rejects_key_given_twice(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("regions: [us-east-1]\nrecipients: [a@example.com]\nrecipients: [b@example.com]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == ("line 3, column 1: key 'recipients' is given twice in one mapping; allowed: each key once",)


def test_rejects_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.yaml")
    assert str(caught.value) == (
        f"invalid configuration in {tmp_path / 'absent.yaml'}: 1 problem\n"
        "  - file not found; allowed: the path of an existing configuration file"
    )


def test_rejects_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("# nothing yet\n")
    with pytest.raises(ConfigError, match="the file is empty"):
        load_config(path)


def test_config_path_prefers_argument_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GUARDDUTY_ALERTS_CONFIG", raising=False)
    assert config_path(None) == Path("config/guardduty-alerts.yaml")
    monkeypatch.setenv("GUARDDUTY_ALERTS_CONFIG", "/etc/alerts.yaml")
    assert config_path(None) == Path("/etc/alerts.yaml")
    assert config_path("mine.yaml") == Path("mine.yaml")
