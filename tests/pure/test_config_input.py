"""Issue 19, part 1: every configuration file gets a clear answer. The one YAML loading path (bounds, merge keys,
timestamps, keys that are not text, template placeholders), numbers that are not finite, hints by edit distance,
and error messages of bounded size."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from guardduty_alerts.errors import MAX_PROBLEM_CHARS, ConfigError, GuardDutyAlertsError
from guardduty_alerts_app.config import load_config, parse_config
from guardduty_alerts_app.config.hints import closest, distance
from guardduty_alerts_app.config.yaml_file import MAX_CONFIG_BYTES

BASE = "regions: [us-east-1]\nrecipients: [a@example.com]\n"


def problems_of_text(text: str, tmp_path: Path) -> tuple[str, ...]:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.source == str(path), "every configuration error names the file"
    return caught.value.problems


def billion_laughs(levels: int) -> str:
    lines = [BASE.rstrip("\n"), 'a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join([*lines, f"tags: *a{levels}"]) + "\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # PyYAML's SafeLoader resolves `{` at the start of a plain value as a flow mapping: `{{ name }}` is a
        # mapping whose only key is the mapping {name: null}.
        (
            BASE + "name: {{ name }}\n",
            "line 3, column 8: {{ ... }} is a template placeholder that was not filled in (YAML reads it as a "
            "mapping inside a mapping); the file looks like a template: render it first, or quote the value; "
            "allowed: a configuration file",
        ),
        (
            BASE + "{% if production %}\nname: prod\n{% endif %}\n",
            "line 3, column 2: not valid YAML: found character '%' that cannot start any token (while scanning for "
            "the next token); the line looks like a template ({{ ... }}, {% ... %}): render the file first",
        ),
        (BASE + "? [a, b]\n: 1\n", "line 3, column 3: a key is a list; allowed: keys that are text"),
        (BASE + "? {a: 1}\n: 1\n", "line 3, column 3: a key is a mapping; allowed: keys that are text"),
        (
            BASE + "tags:\n  12: x\n",
            "line 4, column 3: the key 12 is read as the number 12, not as text; allowed: keys that are text "
            '(write it in quotes: "12")',
        ),
        (
            BASE + "tags:\n  on: x\n",
            "line 4, column 3: the key on is read as the boolean true, not as text; allowed: keys that are text (write "
            'it in quotes: "on")',
        ),
        (
            BASE + "tags: " + "[" * 40 + "]" * 40 + "\n",
            "line 3, column 38: nested more than 32 levels deep; allowed: at most 32 levels (a configuration needs "
            "fewer than 10)",
        ),
        (
            billion_laughs(5),
            "line 9, column 7: alias *a5 stands for 597871 values, and the aliases of the file add 1270459 in all; "
            "allowed: at most 10000 values added through aliases",
        ),
        (
            BASE + "a: &a [1, *a]\n",
            "line 3, column 11: alias *a is inside the value it names, which would make it endless; allowed: an "
            "alias of a value defined before it and outside it",
        ),
        (
            BASE + "regions: [us-east-1]\n",
            "line 3, column 1: key 'regions' is given twice in one mapping; allowed: each key once",
        ),
    ],
)
def test_rejects_yaml_that_is_not_a_configuration_with_its_line(text: str, expected: str, tmp_path: Path) -> None:
    assert problems_of_text(text, tmp_path) == (expected,)


def test_rejects_every_key_that_is_not_text_at_once(tmp_path: Path) -> None:
    assert problems_of_text(BASE + "tags:\n  1: a\n  2: b\n", tmp_path) == (
        "line 4, column 3: the key 1 is read as the number 1, not as text; allowed: keys that are text (write "
        'it in quotes: "1")',
        "line 5, column 3: the key 2 is read as the number 2, not as text; allowed: keys that are text (write "
        'it in quotes: "2")',
    )


def test_rejects_billion_laughs_quickly_and_in_little_memory(tmp_path: Path) -> None:
    # About 500 bytes that stand for 435 million values (measured on main with this file: 2 GB of error
    # output, 8 GB of memory and 93 seconds).
    text = billion_laughs(8)
    assert len(text) < 1024
    tracemalloc.start()
    started = time.perf_counter()
    problems = problems_of_text(text, tmp_path)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert problems[0].startswith("line 12, column 7: alias *a8 stands for 435848050 values")
    assert seconds < 2 and peak < 20_000_000, (seconds, peak)


def test_rejects_a_file_over_one_mebibyte_before_reading_it_as_yaml(tmp_path: Path) -> None:
    text = BASE + "tags: {a: " + '"' + "x" * MAX_CONFIG_BYTES + '"}\n'
    assert problems_of_text(text, tmp_path) == (
        "the file is larger than 1048576 bytes (1 MiB); allowed: a file of at most 1 MiB",
    )


def test_rejects_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(BASE.encode() + b"name: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == ("byte offset 58 is not UTF-8 text; allowed: a UTF-8 encoded YAML file",)


def test_accepts_merge_keys_and_a_key_written_beside_them_wins(tmp_path: Path) -> None:
    # YAML 1.1 merge key type (https://yaml.org/type/merge.html): "<<" inserts the keys of the mapping(s) it
    # names; keys of the current mapping override them. Top-level keys starting with x- hold the anchors.
    path = tmp_path / "c.yaml"
    path.write_text(
        "x-mail: &mail {kind: email, severity_threshold: HIGH}\n"
        + BASE
        + "channels:\n"
        + "  - <<: *mail\n"
        + "    addresses: [b@example.com]\n"
        + "  - <<: *mail\n"
        + "    addresses: [c@example.com]\n"
        + "    severity_threshold: CRITICAL\n"
    )
    config = load_config(path)
    assert [(c.addresses, c.severity_threshold) for c in config.channels] == [
        (("b@example.com",), "HIGH"),
        (("c@example.com",), "CRITICAL"),
    ]


def test_accepts_an_unquoted_timestamp_as_the_text_written(tmp_path: Path) -> None:
    # The README's form: `2026-01-01T00:00:00Z`, which YAML 1.1 resolves to a datetime (yaml.org/type/timestamp).
    path = tmp_path / "c.yaml"
    path.write_text(
        BASE + "suppression_rules:\n  - name: old\n    criteria:\n      updatedAt: {less_than: 2026-01-01T00:00:00Z}\n"
    )
    rule = load_config(path).suppression_rules[0]
    assert rule.criterion_list() == [{"field": "updatedAt", "less_than": "2026-01-01T00:00:00Z"}]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "severity_threshold: .nan",
            "severity_threshold: .nan is not a finite number; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a "
            "number from 1.0 to 10.0",
        ),
        (
            "severity_threshold: .inf",
            "severity_threshold: .inf is not a finite number; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a "
            "number from 1.0 to 10.0",
        ),
        (
            "channels: [{kind: email, addresses: [b@example.com], severity_threshold: -.inf}]",
            "channels[0].severity_threshold: -.inf is not a finite number; allowed: one of LOW, MEDIUM, HIGH, "
            "CRITICAL or a number from 1.0 to 10.0",
        ),
        (
            "accounts: [{id: 012345670123, name: prod}]",
            "accounts[0].id: 1402433619 is not text (YAML reads 012345670123 unquoted as the octal number "
            '1402433619; write it in quotes: "012345670123"); allowed: a 12-digit AWS account id, quoted so that '
            "YAML keeps it a string",
        ),
        (
            "accounts: [{id: 123456789012, name: prod}]",
            "accounts[0].id: 123456789012 is not text (YAML reads it unquoted as a number; write it in quotes: "
            '"123456789012"); allowed: a 12-digit AWS account id, quoted so that YAML keeps it a string',
        ),
        (
            "tags: {team: yes}",
            "tags.team: true is not text (an unquoted yes, no, on, off, true or false is a boolean in YAML; write "
            "it in quotes); allowed: a string of at most 256 characters",
        ),
        (
            "severity_treshold: HIGH",
            "severity_treshold: unknown key (did you mean severity_threshold?); allowed keys: accounts, "
            "central_inbox, channels, delivery, detector, event_pattern_size_limit, finding_accounts, finding_accounts_except, finding_types, name, "
            "new_findings_only, organization, partition, protection_plans, provider, recipients, regions, sample_findings, "
            "severity_threshold, state, subject_formatter, suppression_rules, tags, topic_encryption, unrouted, and any key starting with x- (ignored: a place for anchors)",
        ),
        (
            "finding_publishing_frequency: ONE_HOUR",
            "finding_publishing_frequency: unknown key (did you mean detector.finding_publishing_frequency?); "
            "allowed keys: accounts, central_inbox, channels, delivery, detector, event_pattern_size_limit, "
            "finding_accounts, finding_accounts_except, finding_types, name, new_findings_only, organization, "
            "partition, protection_plans, provider, recipients, regions, sample_findings, severity_threshold, state, "
            "subject_formatter, suppression_rules, tags, topic_encryption, unrouted, and any key starting with x- "
            "(ignored: a place for anchors)",
        ),
        (
            "detector: {finding_publishing_frequncy: ONE_HOUR}",
            "detector.finding_publishing_frequncy: unknown key (did you mean finding_publishing_frequency?); "
            "allowed keys: existing_detector_ids, finding_publishing_frequency",
        ),
        (
            "sample_findings: delver",
            'sample_findings: "delver" is not allowed (did you mean deliver?); allowed: deliver (mailed, marked as '
            "samples) or drop",
        ),
        (
            "channels: [{kind: slak, workspace_id: T0123ABCDE, channel_id: C0123ABCDE}]",
            'channels[0].kind: "slak" is not allowed (did you mean slack?); allowed: one of email, slack, teams, '
            "slack_webhook, teams_webhook, webhook, sqs, user_notifications",
        ),
    ],
)
def test_rejects_bad_value_with_a_hint_that_helps(line: str, expected: str, tmp_path: Path) -> None:
    assert problems_of_text(BASE + line + "\n", tmp_path) == (expected,)


def test_rejects_misspelled_top_level_key_with_suggestion_and_missing_key(tmp_path: Path) -> None:
    assert problems_of_text("regions: [us-east-1]\nrecipient: [a@example.com]\n", tmp_path)[0].startswith(
        "recipient: unknown key (did you mean recipients?); allowed keys: accounts,"
    )


@pytest.mark.parametrize(
    ("region", "hint"),
    [
        ("us-east-l", " (did you mean us-east-1?)"),  # a letter l for the digit 1: not us-east-2
        ("us-eats-1", " (did you mean us-east-1?)"),
        ("Eu-West-1", " (did you mean eu-west-1?)"),
        ("eu-west-9", " (did you mean eu-west-1, eu-west-2 or eu-west-3?)"),  # a tie is not broken by chance
        ("mars-north-1", ""),
        ("foo", ""),
    ],
)
def test_rejects_unknown_region_with_the_closest_regions_only(region: str, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"regions": [region], "recipients": ["a@example.com"]})
    assert caught.value.problems == (f'regions[0]: "{region}" is not an AWS region{hint}; allowed: an AWS region name',)


def test_edit_distance_counts_look_alike_characters_half() -> None:
    assert distance("us-east-l", "us-east-1") == 0.5
    assert distance("us-east-l", "us-east-2") == 1
    assert distance("recipeints", "recipients") == 1  # two neighbours swapped: one edit
    assert closest("zzzzzzzz", ["recipients", "regions"]) == []


@pytest.mark.parametrize(
    "document",
    [
        {"regions": ["us-east-1"], "recipients": [f"bad{i}" for i in range(100_000)]},
        {"regions": ["us-east-1"], "recipients": ["a@example.com"], "tags": {"k": "x" * 100_000}},
    ],
)
def test_rejects_huge_input_with_a_bounded_message(document: dict) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    message = str(caught.value)
    assert len(message) < 25 * MAX_PROBLEM_CHARS
    assert "x" * 200 not in message, "a long value is shortened"


def test_error_message_shows_twenty_problems_then_how_many_more() -> None:
    error = GuardDutyAlertsError([f"p{i:02d}" for i in range(25)], source="f.yaml")
    assert str(error).splitlines() == [
        "invalid input in f.yaml: 25 problems",
        *[f"  - p{i:02d}" for i in range(20)],
        "  … and 5 more",
    ]
    assert len(error.problems) == 25, "every problem stays available to a caller"


def test_error_message_shortens_one_long_problem() -> None:
    (line,) = str(GuardDutyAlertsError(["y" * 5000])).splitlines()[1:]
    assert line == "  - " + "y" * (MAX_PROBLEM_CHARS - 1) + "…"


def test_rejects_problems_in_file_order_with_list_positions_as_numbers() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"regions": ["us-east-1"], "recipients": [f"bad{i}" for i in range(12)]})
    assert [problem.split(":")[0] for problem in caught.value.problems[:3]] == [
        "recipients[0]",
        "recipients[1]",
        "recipients[2]",
    ]
    assert caught.value.problems[-1].startswith("recipients[11]:")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # Found by mutating the example configurations: each was a TypeError before.
        (
            {
                "regions": ["us-east-1", {"a": 1}],
                "channels": [{"kind": "user_notifications", "addresses": ["a@example.com"]}],
            },
            ('regions[1]: {"a": 1} is not text; allowed: an AWS region name',),
        ),
        (
            {
                "regions": ["us-east-1"],
                "recipients": ["a@example.com"],
                "accounts": [{"id": "222222222222", "name": "admin"}],
                "organization": {"management_account": ["1"], "administrator_account": "222222222222"},
            },
            (
                'organization.management_account: ["1"] is not text; allowed: the id of the organization\'s '
                "management account, listed in accounts",
            ),
        ),
    ],
)
def test_rejects_wrongly_typed_values_once_without_crashing(document: dict, expected: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    assert caught.value.problems == expected
