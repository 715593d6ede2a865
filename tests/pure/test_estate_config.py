"""Accounts, organization mode, central inbox, protection plans and remote state in the configuration file:
what they mean, the stacks they give, and one message per problem."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.protection import ProtectionPlan, ProtectionPlans, RuntimeAgent, protection_problems
from guardduty_alerts.regions import DEFAULT_ENABLED_REGIONS
from guardduty_alerts_app.config import S3State, parse_config
from guardduty_alerts_app.planning import stack_plans

SECURITY = {
    "id": "222222222222",
    "name": "security",
    "role_arn": "arn:aws:iam::222222222222:role/GuardDutyAlertsDeploy",
}
MANAGEMENT = {
    "id": "111111111111",
    "name": "management",
    "role_arn": "arn:aws:iam::111111111111:role/GuardDutyAlertsDeploy",
}

ESTATE = {
    "name": "gd",
    "regions": ["us-east-1", "eu-west-1"],
    "recipients": ["sec@example.com"],
    "severity_threshold": "HIGH",
    "accounts": [
        {
            **SECURITY,
            "regions": "all",
            "recipients": ["soc@example.com"],
            "central_inbox": {"home_region": "eu-west-1"},
        },
        {**MANAGEMENT, "regions": "all", "severity_threshold": 5.5, "sample_findings": "drop"},
        {"id": "012345678901", "name": "workloads"},
    ],
    "organization": {
        "management_account": "111111111111",
        "administrator_account": "222222222222",
        "auto_enable": "NEW",
    },
}


def problems_of(document: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return list(caught.value.problems)


def estate(**changes: object) -> dict:
    document = copy.deepcopy(ESTATE)
    document.update(changes)
    return document


def without(document: dict, *keys: str) -> dict:
    return {key: value for key, value in document.items() if key not in keys and value is not None}


def test_accounts_take_the_defaults_and_their_own_overrides() -> None:
    config = parse_config(ESTATE)
    by_name = {account.name: account for account in config.accounts}
    assert [account.name for account in config.accounts] == ["management", "security", "workloads"]
    security, management, workloads = by_name["security"], by_name["management"], by_name["workloads"]
    assert security.config.regions == DEFAULT_ENABLED_REGIONS
    assert security.config.recipients == ("soc@example.com",)
    assert security.config.severity_threshold == "HIGH"
    assert security.config.central_inbox_home_region == "eu-west-1"
    assert security.role_arn == "arn:aws:iam::222222222222:role/GuardDutyAlertsDeploy"
    assert management.config.severity_threshold == 5.5
    assert management.config.recipients == ("sec@example.com",)
    assert management.config.sample_findings == "drop"
    assert security.config.sample_findings == "deliver"
    assert management.config.central_inbox_home_region is None
    assert workloads.id == "012345678901", "an id with a leading zero stays a string"
    assert workloads.role_arn is None
    assert workloads.display_name == "GuardDuty workloads 012345678901"


def test_regions_all_means_the_regions_enabled_by_default() -> None:
    config = parse_config({"regions": "all", "recipients": ["sec@example.com"]})
    assert config.regions == DEFAULT_ENABLED_REGIONS
    assert len(config.regions) == 17


def test_single_account_configuration_keeps_its_stack_names() -> None:
    config = parse_config({"regions": ["us-east-1", "eu-west-1"], "recipients": ["sec@example.com"]})
    assert config.accounts == ()
    assert [plan.name for plan in stack_plans(config)] == ["guardduty-alerts-eu-west-1", "guardduty-alerts-us-east-1"]
    assert all(plan.account is None and plan.forward_to_region is None for plan in stack_plans(config))


def test_one_stack_per_account_and_region_with_its_role_in_the_organization() -> None:
    plans = {plan.name: plan for plan in stack_plans(parse_config(ESTATE))}
    assert len(plans) == 17 + 17 + 2
    assert sorted(name for name in plans if name.startswith("gd-workloads-")) == [
        "gd-workloads-eu-west-1",
        "gd-workloads-us-east-1",
    ]
    # The management account designates the administrator in every region of the administrator account.
    assert {plans[f"gd-management-{region}"].designate_administrator for region in DEFAULT_ENABLED_REGIONS} == {
        "222222222222"
    }
    assert {plans[name].auto_enable_members for name in plans if name.startswith("gd-security-")} == {"NEW"}
    assert plans["gd-workloads-us-east-1"].designate_administrator is None
    assert plans["gd-workloads-us-east-1"].auto_enable_members is None
    # Central inbox of the security account: every region but the home region forwards to it.
    assert plans["gd-security-eu-west-1"].forward_to_region is None
    assert plans["gd-security-ap-south-1"].forward_to_region == "eu-west-1"
    assert plans["gd-management-us-east-1"].forward_to_region is None


def test_stack_plans_do_not_depend_on_the_order_of_any_list() -> None:
    expected = stack_plans(parse_config(ESTATE))
    shuffler = random.Random(5)  # noqa: S311 - shuffling test input, not cryptography
    for _ in range(5):
        document = copy.deepcopy(ESTATE)
        shuffler.shuffle(document["accounts"])
        shuffler.shuffle(document["regions"])
        for account in document["accounts"]:
            if isinstance(account.get("regions"), list):
                shuffler.shuffle(account["regions"])
        reordered = stack_plans(parse_config(document))
        assert [plan.name for plan in reordered] == [plan.name for plan in expected]
        assert [(p.region, p.account.id, p.forward_to_region, p.designate_administrator) for p in reordered] == [
            (p.region, p.account.id, p.forward_to_region, p.designate_administrator) for p in expected
        ]


def test_protection_plans_are_typed_and_ordered() -> None:
    config = parse_config(
        {
            "regions": ["us-east-1"],
            "recipients": ["sec@example.com"],
            "protection_plans": {
                "lambda_network_logs": False,
                "runtime_monitoring": {"enabled": True, "ec2_agent_management": True, "eks_addon_management": False},
                "s3_data_events": True,
            },
        }
    )
    assert config.protection_plans.features() == [
        (ProtectionPlan.S3_DATA_EVENTS, True, []),
        (
            ProtectionPlan.RUNTIME_MONITORING,
            True,
            [(RuntimeAgent.EKS_ADDON_MANAGEMENT, False), (RuntimeAgent.EC2_AGENT_MANAGEMENT, True)],
        ),
        (ProtectionPlan.LAMBDA_NETWORK_LOGS, False, []),
    ]
    assert not parse_config({"regions": ["us-east-1"], "recipients": ["a@example.com"]}).protection_plans


def test_protection_problems_for_construct_users() -> None:
    plans = ProtectionPlans(
        plans={ProtectionPlan.RUNTIME_MONITORING: False}, runtime_agents={RuntimeAgent.EC2_AGENT_MANAGEMENT: True}
    )
    assert protection_problems(plans) == [
        "protection_plans.runtime_monitoring.ec2_agent_management: true needs runtime monitoring itself, which is off; "
        "allowed: set protection_plans.runtime_monitoring.enabled to true, or this add-on to false"
    ]


def test_s3_state_gives_every_stack_its_own_key_and_locks_with_a_lock_file_by_default() -> None:
    config = parse_config(estate(state={"s3": {"bucket": "acme-tf-state", "region": "eu-west-1"}}))
    assert config.state == S3State(
        bucket="acme-tf-state", region="eu-west-1", key_prefix="guardduty-alerts", use_lockfile=True
    )
    assert config.state.key("gd-security-eu-west-1") == "guardduty-alerts/gd-security-eu-west-1.tfstate"
    assert {account.config.state for account in config.accounts} == {config.state}
    with_table = parse_config(estate(state={"s3": {"bucket": "b-1", "region": "eu-west-1", "dynamodb_table": "locks"}}))
    assert with_table.state.use_lockfile is False
    assert with_table.state.dynamodb_table == "locks"


ORG = {"management_account": "111111111111", "administrator_account": "222222222222"}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            estate(accounts=[{"id": "12345", "name": "short"}], organization=None),
            'accounts[0].id: "12345" is not allowed; allowed: a 12-digit AWS account id, quoted so that YAML keeps it a string',
        ),
        (
            estate(accounts=[{"id": 123456789012, "name": "unquoted"}], organization=None),
            "accounts[0].id: 123456789012 is not text; allowed: a 12-digit AWS account id, quoted so that YAML keeps it a string",
        ),
        (
            estate(
                accounts=[
                    SECURITY,
                    {**MANAGEMENT, "id": "222222222222", "role_arn": "arn:aws:iam::222222222222:role/X"},
                ],
                organization=None,
            ),
            'accounts[1].id: "222222222222" repeats accounts[0].id; allowed: each account once',
        ),
        (
            estate(accounts=[SECURITY, {**MANAGEMENT, "name": "security"}], organization=None),
            'accounts[1].name: "security" repeats accounts[0].name; allowed: a name of its own (it names the account\'s stacks)',
        ),
        (
            estate(accounts=[{**SECURITY, "role_arn": "arn:aws:iam::222222222222:user/deployer"}], organization=None),
            'accounts[0].role_arn: "arn:aws:iam::222222222222:user/deployer" is not allowed; allowed: an IAM role ARN such as arn:aws:iam::111122223333:role/GuardDutyAlertsDeploy',
        ),
        (
            estate(accounts=[{**SECURITY, "role_arn": "GuardDutyAlertsDeploy"}], organization=None),
            'accounts[0].role_arn: "GuardDutyAlertsDeploy" is not allowed; allowed: an IAM role ARN such as arn:aws:iam::111122223333:role/GuardDutyAlertsDeploy',
        ),
        (
            estate(accounts=[{**SECURITY, "role_arn": "arn:aws:iam::111111111111:role/Deploy"}], organization=None),
            'accounts[0].role_arn: "arn:aws:iam::111111111111:role/Deploy" is a role in account 111111111111, not in account security (222222222222); allowed: a role in account security (222222222222) that the deploying credentials may assume',
        ),
        (
            estate(accounts=[{**SECURITY, "name": "Security Team"}], organization=None),
            'accounts[0].name: "Security Team" is not allowed; allowed: 2 to 24 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen',
        ),
        (
            estate(accounts=[{**SECURITY, "regions": ["eu-west-1", "eu-west-1"]}], organization=None),
            'accounts[0].regions[1]: "eu-west-1" repeats accounts[0].regions[0]; allowed: each region once',
        ),
        (
            estate(accounts=[SECURITY], organization=None, central_inbox={"home_region": "ap-south-1"}),
            'central_inbox.home_region: "ap-south-1" is not one of regions; allowed: one of us-east-1, eu-west-1',
        ),
        (
            estate(
                accounts=[{**SECURITY, "regions": ["eu-west-1"], "central_inbox": {"home_region": "us-east-1"}}],
                organization=None,
            ),
            'accounts[0].central_inbox.home_region: "us-east-1" is not one of the account\'s regions; allowed: one of eu-west-1',
        ),
        (
            estate(
                accounts=[{**SECURITY, "regions": ["eu-west-1"]}],
                organization=None,
                central_inbox={"home_region": "us-east-1"},
            ),
            'accounts[0].central_inbox.home_region: "us-east-1" (from the top-level central_inbox) is not one of the account\'s regions; allowed: one of eu-west-1',
        ),
        (
            estate(detector={"existing_detector_ids": {"us-east-1": "0" * 32}}),
            "detector.existing_detector_ids: a detector id belongs to one account, and accounts are listed; allowed: give the ids under the detector setting of the account they belong to",
        ),
        (
            estate(accounts=[{**SECURITY, "regions": ["us-east-1"], "detector": {"existing_detector_ids": {"eu-west-1": "0" * 32}}}], organization=None),
            'accounts[0].detector.existing_detector_ids.eu-west-1: region "eu-west-1" is not one of the account\'s regions; allowed: one of us-east-1',
        ),
        (
            estate(protection_plans={"s3_data_events": True, "malware_scanning": True}),
            "protection_plans.malware_scanning: unknown key; allowed keys: ebs_malware_protection, eks_audit_logs, lambda_network_logs, rds_login_events, runtime_monitoring, s3_data_events",
        ),
        (
            estate(accounts=[{**SECURITY, "protection_plans": {"eks_runtime_monitoring": True}}], organization=None),
            "accounts[0].protection_plans.eks_runtime_monitoring: unknown key; allowed keys: ebs_malware_protection, eks_audit_logs, lambda_network_logs, rds_login_events, runtime_monitoring, s3_data_events",
        ),
        (
            estate(protection_plans={"s3_data_events": "yes"}),
            'protection_plans.s3_data_events: "yes" is not allowed; allowed: true or false',
        ),
        (
            estate(protection_plans={"runtime_monitoring": {"enabled": False, "ecs_fargate_agent_management": True}}),
            "protection_plans.runtime_monitoring.ecs_fargate_agent_management: true needs runtime monitoring itself, which is off; allowed: set protection_plans.runtime_monitoring.enabled to true, or this add-on to false",
        ),
        (
            estate(protection_plans={"runtime_monitoring": {"eks_addon_management": True}}),
            "protection_plans.runtime_monitoring.enabled: missing; required: true or false",
        ),
        (
            estate(organization={"management_account": "111111111111"}),
            "organization.administrator_account: missing; required: the id of the account that administers GuardDuty for the organization, listed in accounts",
        ),
        (
            estate(organization={**ORG, "administrator_account": "333333333333"}),
            'organization.administrator_account: "333333333333" is not in accounts; allowed: one of 012345678901, 111111111111, 222222222222',
        ),
        (
            without(estate(organization=ORG), "accounts"),
            "organization: needs accounts; allowed: an accounts list that includes the management and administrator accounts",
        ),
        (
            estate(
                accounts=[
                    {**MANAGEMENT, "regions": ["us-east-1"]},
                    {**SECURITY, "regions": ["us-east-1", "eu-west-1"]},
                ],
                organization=ORG,
            ),
            "accounts[0].regions: lacks eu-west-1, where the administrator, account security (222222222222), has stacks; allowed: every region of the administrator account (the management account designates the administrator region by region)",
        ),
        (
            estate(organization={**ORG, "auto_enable": "SOME"}),
            'organization.auto_enable: "SOME" is not allowed; allowed: ALL (every member account, existing and new) or NEW (accounts that join from now on)',
        ),
        (
            estate(state={"s3": {"bucket": "acme-tf-state", "region": "eu-west-1", "use_lockfile": False}}),
            "state.s3.use_lockfile: false without a dynamodb_table leaves the state unlocked, and two runs at once corrupt it; allowed: true (an S3 lock file), or a dynamodb_table",
        ),
        (
            estate(state={"s3": {"bucket": "acme-tf-state", "region": "eu-west-1", "key_prefix": "/alerts/"}}),
            "state.s3.key_prefix: \"/alerts/\" is not allowed; allowed: S3 key segments separated by '/', without a leading or trailing '/'",
        ),
        (
            estate(state={"s3": {"region": "eu-west-1"}}),
            "state.s3.bucket: missing; required: an S3 bucket name",
        ),
    ],
)
def test_rejects_bad_estate_setting_with_its_key_path(document: dict, expected: str) -> None:
    assert problems_of(without(document)) == [expected]


def test_rejects_every_estate_problem_at_once() -> None:
    document = estate(
        accounts=[
            {"id": "1234", "name": "a"},
            {**SECURITY, "role_arn": "arn:aws:sts::222222222222:assumed-role/x/y"},
            SECURITY,
        ],
        organization={"management_account": "222222222222"},
    )
    assert problems_of(document) == [
        'accounts[0].id: "1234" is not allowed; allowed: a 12-digit AWS account id, quoted so that YAML keeps it a string',
        'accounts[0].name: "a" is not allowed; allowed: 2 to 24 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen',
        'accounts[1].role_arn: "arn:aws:sts::222222222222:assumed-role/x/y" is not allowed; allowed: an IAM role ARN such as arn:aws:iam::111122223333:role/GuardDutyAlertsDeploy',
        'accounts[2].id: "222222222222" repeats accounts[1].id; allowed: each account once',
        'accounts[2].name: "security" repeats accounts[1].name; allowed: a name of its own (it names the account\'s stacks)',
        "organization.administrator_account: missing; required: the id of the account that administers GuardDuty for the organization, listed in accounts",
    ]


def test_estate_example_is_valid() -> None:
    from guardduty_alerts_app.config import load_config
    from helpers import REPO

    config = load_config(REPO / "config" / "estate.example.yaml")
    assert [account.name for account in config.accounts] == ["management", "security"]
    assert len(stack_plans(config)) == 34
    assert config.organization is not None and config.organization.auto_enable == "ALL"


def test_stacks_command_lists_stacks_in_deployment_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml
    from guardduty_alerts_app.cli import main

    document = {
        "name": "gd",
        "regions": ["us-east-1", "eu-west-1"],
        "recipients": ["sec@example.com"],
        "organization": {"management_account": MANAGEMENT["id"], "administrator_account": SECURITY["id"]},
        "accounts": [
            {"id": "012345678901", "name": "apps", "regions": ["us-east-1"]},
            {**SECURITY, "central_inbox": {"home_region": "us-east-1"}},
            MANAGEMENT,
        ],
    }
    path = tmp_path / "estate.yaml"
    path.write_text(yaml.safe_dump(document))
    assert main(["stacks", "--config", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        # Accounts in words (issue 22): "account security (222222222222)", not the id alone.
        "1  gd-management-eu-west-1  account management (111111111111)  eu-west-1  alerts; designates account security (222222222222) as GuardDuty administrator",
        "1  gd-management-us-east-1  account management (111111111111)  us-east-1  alerts; designates account security (222222222222) as GuardDuty administrator",
        "2  gd-security-eu-west-1  account security (222222222222)  eu-west-1  forwards findings to us-east-1; auto-enables GuardDuty for members (ALL); imports the detector designation created",
        "2  gd-security-us-east-1  account security (222222222222)  us-east-1  alerts; auto-enables GuardDuty for members (ALL); imports the detector designation created",
        "3  gd-apps-us-east-1  account apps (012345678901)  us-east-1  alerts",
    ]
