"""Routing by account (issue 22): `accounts` / `accounts_except` on channels, `finding_accounts` /
`finding_accounts_except` at the top level, `unrouted`. What the file becomes, the event patterns (exact JSON),
the size quota at its boundary, lean routing, and one message per problem.

Which field: GuardDuty puts the account a finding is about in `detail.accountId`; the envelope's `account` is
the account whose bus received the event, which for a member's finding in a delegated administrator account is
the administrator's (GuardDuty user guide, "Processing GuardDuty findings with Amazon EventBridge", and the
finding format's `accountId`; every sample in tests/fixtures/findings carries it)."""

from __future__ import annotations

import json

import pytest
from guardduty_alerts.channels import EmailChannel, WebhookChannel, route_channels
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.notifications import mail_rules
from guardduty_alerts.patterns import FindingFilters, all_findings_pattern, band_pattern, pattern_json
from guardduty_alerts.severity import Severity
from guardduty_alerts_app.config import load_config, parse_config
from helpers import REPO

PAYMENTS, SHARED, NEWCOMER = "111111111111", "222222222222", "333333333333"
ESTATE = [{"id": PAYMENTS, "name": "payments-prod"}, {"id": SHARED, "name": "shared"}]
WEBHOOK = "https://events.pagerduty.com/integration/abc/enqueue"


def parse(**document: object):
    return parse_config({"regions": ["us-east-1"], "accounts": ESTATE, **document})


def problems_of(**document: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(**document)
    return list(caught.value.problems)


def mail(*addresses: str, **keys: object) -> dict[str, object]:
    return {"kind": "email", "addresses": list(addresses), **keys}


def test_names_become_ids_and_each_channel_gets_its_accounts() -> None:
    config = parse(
        channels=[
            mail("pay@example.com", accounts=["payments-prod"]),
            {"kind": "webhook", "url": WEBHOOK, "accounts_except": [SHARED, "payments-prod"]},
        ],
        unrouted={"recipients": ["soc@example.com"]},
    )
    pay, hook, unrouted = config.channels
    assert pay.filters == FindingFilters(accounts=(PAYMENTS,))
    assert hook.filters == FindingFilters(exclude_accounts=(PAYMENTS, SHARED))
    # Only `accounts` routes: accounts_except says who does not get a finding, not who owns it.
    assert unrouted == EmailChannel(
        addresses=("soc@example.com",), name="unrouted", filters=FindingFilters(exclude_accounts=(PAYMENTS,))
    )
    assert config.unrouted is unrouted


def test_top_level_finding_accounts_apply_to_recipients_and_to_channels_without_accounts() -> None:
    config = parse(
        recipients=["sec@example.com"],
        finding_accounts=["shared"],
        channels=[mail("pay@example.com", accounts=["payments-prod"]), mail("x@example.com", new_findings_only=True)],
        unrouted={"channel": {"kind": "webhook", "url": WEBHOOK}},
    )
    assert config.filters == FindingFilters(accounts=(SHARED,))
    assert config.channels[0].filters == FindingFilters(accounts=(PAYMENTS,))
    assert config.channels[1].filters == FindingFilters(new_only=True, accounts=(SHARED,))
    # Routed: the top-level list and the channel's; the unrouted channel gets every other account.
    assert config.unrouted == WebhookChannel(url=WEBHOOK, filters=FindingFilters(exclude_accounts=(PAYMENTS, SHARED)))


def test_an_account_may_route_its_own_channels() -> None:
    config = parse_config(
        {
            "regions": ["us-east-1"],
            "recipients": ["sec@example.com"],
            "accounts": [
                {
                    "id": PAYMENTS,
                    "name": "payments-prod",
                    "channels": [mail("pay@example.com", accounts=["shared"])],
                    "unrouted": {"recipients": ["soc@example.com"]},
                },
                {"id": SHARED, "name": "shared"},
            ],
        }
    )
    payments = next(account for account in config.accounts if account.name == "payments-prod")
    assert [channel.filters for channel in payments.config.channels] == [
        FindingFilters(accounts=(SHARED,)),
        FindingFilters(exclude_accounts=(SHARED,)),
    ]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"channels": [mail("a@example.com", accounts=["payments"])]},
            'channels[0].accounts[0]: "payments" is neither a 12-digit account id nor the name of one of accounts; '
            "allowed: an account id (12 digits, quoted) or the name of one of accounts (payments-prod, shared)",
        ),
        (
            {"channels": [mail("a@example.com", accounts_except=["12345678901"])]},
            'channels[0].accounts_except[0]: "12345678901" is neither a 12-digit account id nor the name of one of '
            "accounts; allowed: an account id (12 digits, quoted) or the name of one of accounts (payments-prod, "
            "shared)",
        ),
        (
            # A YAML block scalar keeps a line break: an id must be 12 digits and nothing else.
            {"channels": [mail("a@example.com", accounts=[PAYMENTS + "\n"])]},
            'channels[0].accounts[0]: "111111111111\\n" is neither a 12-digit account id nor the name of one of '
            "accounts; allowed: an account id (12 digits, quoted) or the name of one of accounts (payments-prod, "
            "shared)",
        ),
        (
            {"channels": [mail("a@example.com", accounts=["payments-prod", PAYMENTS])]},
            f'channels[0].accounts[1]: "{PAYMENTS}" is account payments-prod ({PAYMENTS}) again, as channels[0].accounts[0]; '
            "allowed: each account once",
        ),
        (
            {"channels": [mail("a@example.com", accounts=[SHARED], accounts_except=[PAYMENTS])]},
            "channels[0]: both accounts and accounts_except are set; allowed: one of them (the accounts whose "
            "findings to deliver, or the accounts whose findings to leave out)",
        ),
        (
            {"recipients": ["a@example.com"], "finding_accounts": [SHARED], "finding_accounts_except": [PAYMENTS]},
            "both finding_accounts and finding_accounts_except are set; allowed: one of them (the accounts whose "
            "findings to deliver, or the accounts whose findings to leave out)",
        ),
        (
            {"recipients": ["a@example.com"], "finding_accounts": []},
            "finding_accounts: the list is empty; allowed: a non-empty list of account ids or names from accounts: "
            "recipients, and the channels that set no accounts, get only their findings",
        ),
        (
            {"channels": [mail("a@example.com")], "unrouted": {"recipients": ["soc@example.com"]}},
            "unrouted: no channel lists accounts (and there is no finding_accounts), so no account is routed and "
            "every finding would also go here; allowed: accounts on at least one channel, or leave unrouted out and "
            "add it as an ordinary channel",
        ),
        (
            {
                "channels": [mail("a@example.com", accounts=[SHARED])],
                "unrouted": {"channel": {"kind": "webhook", "url": WEBHOOK, "accounts": [PAYMENTS]}},
            },
            "unrouted.channel.accounts: set on the unrouted channel; allowed: leave it out (the unrouted destination "
            "gets the findings of every account no route lists)",
        ),
        (
            {
                "channels": [mail("a@example.com", accounts=[SHARED])],
                "unrouted": {
                    "recipients": ["soc@example.com"],
                    "channel": {"kind": "webhook", "url": "https://h.example"},
                },
            },
            'unrouted: {"channel": {"kind": "webhook", "url": "https://h.example"}, "recipients": ["soc@example.com"]} '
            "is not allowed; allowed: a mapping with recipients (a list of email addresses) or channel (one channel)",
        ),
        (
            {
                "channels": [mail("a@example.com", accounts=[SHARED])],
                "unrouted": {"channel": {"kind": "webhook", "url": "http://hooks.example.com/x"}},
            },
            "unrouted.channel.url: 'http://hooks.example.com/x' is refused: plain http sends findings unencrypted; "
            "allowed: an https:// URL",
        ),
    ],
)
def test_rejects_bad_account_routing_with_its_key_path(document: dict[str, object], expected: str) -> None:
    assert problems_of(**document) == [expected]


def test_rejects_names_when_no_accounts_are_listed() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"regions": ["us-east-1"], "recipients": ["a@example.com"], "finding_accounts": ["payments"]})
    assert list(caught.value.problems) == [
        'finding_accounts[0]: "payments" is neither a 12-digit account id nor the name of one of accounts; '
        "allowed: an account id (12 digits, quoted) (no accounts are listed, so no names)"
    ]


def test_band_and_raw_patterns_select_detail_account_id_exactly() -> None:
    only = FindingFilters(accounts=(SHARED, PAYMENTS))
    assert pattern_json(band_pattern(Severity.HIGH, 4.0, only)) == (
        '{"detail":{"accountId":["111111111111","222222222222"],'
        '"service":{"additionalInfo":{"sample":[false,{"exists":false}]}},"severity":[{"numeric":[">=",7,"<",9]}]},'
        '"detail-type":["GuardDuty Finding"],"source":["aws.guardduty"]}'
    )
    others = FindingFilters(exclude_accounts=(PAYMENTS,))
    assert json.loads(pattern_json(all_findings_pattern(4.0, others))) == {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", 4]}], "accountId": [{"anything-but": [PAYMENTS]}]},
    }


def test_patterns_without_accounts_are_unchanged() -> None:
    # The construct's JSON for every existing configuration must not move (the synth snapshot pins it too).
    assert "accountId" not in pattern_json(all_findings_pattern(4.0, FindingFilters()))


def test_channels_with_equal_accounts_share_one_rule_and_differ_from_others() -> None:
    a = FindingFilters(accounts=(PAYMENTS,))
    routing = route_channels(
        [
            EmailChannel(addresses=("x@example.com",), filters=a),
            EmailChannel(addresses=("y@example.com",), filters=a),
            EmailChannel(addresses=("z@example.com",), filters=FindingFilters(accounts=(SHARED,))),
            WebhookChannel(url=WEBHOOK, filters=a, name="one"),
            WebhookChannel(url=WEBHOOK + "2", filters=a, name="two"),
        ],
        recipients=("sec@example.com",),
        threshold=4.0,
        filters=FindingFilters(),
    )
    groups = {group.key: group.addresses for group in routing.mail_groups}
    assert len(groups) == 3
    assert groups[""] == ("sec@example.com",)
    assert sorted(groups.values()) == [("sec@example.com",), ("x@example.com", "y@example.com"), ("z@example.com",)]
    assert [(group.key.startswith("raw-medium-"), len(group.channels)) for group in routing.raw_groups] == [(True, 2)]


def limit_accounts(count: int) -> list[str]:
    return [f"{100000000000 + n}" for n in range(count)]


def test_the_longest_account_list_within_the_quota_is_accepted_and_one_more_is_refused() -> None:
    # EventBridge quotas, "Event pattern size": 2048 characters by default (pattern_json is what it counts).
    def longest(count: int) -> int:
        return max(
            len(rule.pattern_json()) for rule in mail_rules(4.0, FindingFilters(accounts=tuple(limit_accounts(count))))
        )

    fits = max(n for n in range(1, 200) if longest(n) <= 2048)
    assert longest(fits) <= 2048 < longest(fits + 1)
    parse(channels=[mail("a@example.com", accounts=limit_accounts(fits))])
    problems = problems_of(channels=[mail("a@example.com", accounts=limit_accounts(fits + 1))])
    assert problems == [
        f"channels[0].accounts: the accounts make rule 'medium''s event pattern {longest(fits + 1)} characters long, "
        "over the limit of 2048 (EventBridge's event pattern size quota); allowed: fewer accounts (each id costs 15 "
        "characters), the accounts split over two channels, or a raised quota declared as the event pattern size "
        "limit (up to 4096)"
    ]


def test_rejects_an_unrouted_destination_whose_exclusions_outgrow_the_quota() -> None:
    many = limit_accounts(140)
    problems = problems_of(
        channels=[mail(f"t{n}@example.com", accounts=many[n * 10 : n * 10 + 10]) for n in range(14)],
        unrouted={"channel": {"kind": "webhook", "url": WEBHOOK}},
    )
    assert len(problems) == 1
    assert problems[0].startswith(
        "unrouted: the 140 accounts other routes list, left out here: the accounts make rule 'findings''s event "
        "pattern "
    )


def test_the_example_config_routes_each_account_and_catches_the_rest() -> None:
    config = load_config(REPO / "config" / "accounts-routing.example.yaml")
    administrator = next(account for account in config.accounts if account.name == "security")
    described = [(channel.describe(), channel.filters) for channel in administrator.config.channels]
    assert [filters.accounts or ("except", *filters.exclude_accounts) for _, filters in described] == [
        ("111111111111",),
        ("222222222222", "333333333333"),
        ("except", "111111111111", "222222222222", "333333333333"),
    ]


# --- the construct's own checks (library users build FindingFilters themselves) ------------------------------


def construct_problems(**props: object) -> list[str]:
    from guardduty_alerts.errors import InvalidPropsError
    from guardduty_alerts.props import AlertsProps, check_props

    with pytest.raises(InvalidPropsError) as caught:
        check_props(AlertsProps(**props), region="us-east-1")  # type: ignore[arg-type]
    return list(caught.value.problems)


def test_the_construct_rejects_malformed_account_lists() -> None:
    assert construct_problems(
        recipients=["a@example.com"],
        filters=FindingFilters(accounts=("12345",)),
        channels=[
            WebhookChannel(url=WEBHOOK, filters=FindingFilters(accounts=(PAYMENTS,), exclude_accounts=(SHARED,))),
            EmailChannel(addresses=("b@example.com",), filters=FindingFilters(exclude_accounts=(SHARED, SHARED))),
        ],
    ) == [
        "filters.accounts[0]: '12345' is not an account id; allowed: 12 digits, as a string",
        "channels[0].filters.accounts: both accounts and exclude_accounts are set; allowed: one of them",
        "channels[1].filters.exclude_accounts[1]: '222222222222' is listed twice; allowed: each account once",
    ]


def test_the_construct_rejects_a_channel_account_list_over_the_quota() -> None:
    problems = construct_problems(
        recipients=["a@example.com"],
        channels=[WebhookChannel(url=WEBHOOK, filters=FindingFilters(accounts=tuple(limit_accounts(129))))],
    )
    assert len(problems) == 1
    assert problems[0].startswith("channels[0].filters.accounts: the accounts make rule 'findings''s event pattern ")


def test_the_same_accounts_in_another_order_are_one_filter() -> None:
    assert FindingFilters(accounts=(SHARED, PAYMENTS)) == FindingFilters(accounts=(PAYMENTS, SHARED))


def test_an_unrouted_slack_channel_is_placed_like_any_chat_channel() -> None:
    # One Slack configuration per channel and account (AWS refuses a second): the chat home stack holds it.
    config = parse_config(
        {
            "regions": ["us-east-1", "eu-west-1"],
            "channels": [mail("a@example.com", accounts=[PAYMENTS])],
            "unrouted": {"channel": {"kind": "slack", "workspace_id": "T0123ABCDE", "channel_id": "C0123ABCDE"}},
        }
    )
    assert config.chat_home_region == "us-east-1"
    assert config.chat_topic_regions("eu-west-1") == ()
