"""A multi-account estate synthesized to Terraform JSON: providers, backends, protection plans, Organizations
resources and the central inbox, read from the files `synth_to` writes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting  # aliased: pytest would try to collect a class named Test*
from guardduty_alerts.detector_protection import DetectorProtection
from guardduty_alerts.errors import InvalidPropsError
from guardduty_alerts.protection import ProtectionPlan, ProtectionPlans, RuntimeAgent
from guardduty_alerts_app.config import parse_config
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import read_json

HOME = "us-east-1"

THREE_REGIONS = ["us-east-1", "eu-west-1", "eu-central-1"]

ESTATE = {
    "name": "gd",
    "regions": list(THREE_REGIONS),
    "recipients": ["sec@example.com"],
    "protection_plans": {
        "s3_data_events": True,
        "rds_login_events": False,
        "runtime_monitoring": {"enabled": True, "eks_addon_management": True, "ec2_agent_management": False},
    },
    "state": {"s3": {"bucket": "acme-tf-state", "region": "eu-west-1", "key_prefix": "security/guardduty"}},
    "organization": {"management_account": "111111111111", "administrator_account": "222222222222"},
    "accounts": [
        {
            "id": "222222222222",
            "name": "security",
            "role_arn": "arn:aws:iam::222222222222:role/GuardDutyAlertsDeploy",
            "central_inbox": {"home_region": "eu-west-1"},
            "recipients": ["soc@example.com"],
        },
        {
            "id": "111111111111",
            "name": "management",
            "role_arn": "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
        },
        {"id": "012345678901", "name": "workloads", "regions": ["us-east-1"]},
    ],
}

STACKS = [
    "gd-management-eu-central-1",
    "gd-management-eu-west-1",
    "gd-management-us-east-1",
    "gd-security-eu-central-1",
    "gd-security-eu-west-1",
    "gd-security-us-east-1",
    "gd-workloads-us-east-1",
]


def synth_document(document: dict, root: Path) -> dict[str, dict]:
    outdir = root / "cdktf.out"
    names = synth_to(parse_config(document), outdir, state_dir=root)
    return {name: read_json(outdir / "stacks" / name / "cdk.tf.json") for name in names}


@pytest.fixture(scope="module")
def estate_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("estate")
    synth_document(ESTATE, root)
    return root


@pytest.fixture(scope="module")
def stacks(estate_dir: Path) -> dict[str, dict]:
    return {name: read_json(estate_dir / "cdktf.out" / "stacks" / name / "cdk.tf.json") for name in STACKS}


def resources(stack: dict, kind: str) -> list[dict]:
    return [
        {key: value for key, value in body.items() if key != "//"}
        for body in stack.get("resource", {}).get(kind, {}).values()
    ]


def test_one_stack_per_account_and_region(estate_dir: Path) -> None:
    assert sorted(path.name for path in (estate_dir / "cdktf.out" / "stacks").iterdir()) == STACKS


def test_every_provider_has_its_region_account_and_role(stacks: dict[str, dict]) -> None:
    roles = {
        "management": "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
        "security": "arn:aws:iam::222222222222:role/GuardDutyAlertsDeploy",
    }
    ids = {"management": "111111111111", "security": "222222222222", "workloads": "012345678901"}
    for name, stack in stacks.items():
        _, account, region = name.split("-", 2)
        (provider,) = stack["provider"]["aws"]
        expected = {"region": region, "allowed_account_ids": [ids[account]]}
        if account in roles:
            expected["assume_role"] = [{"role_arn": roles[account], "session_name": "guardduty-alerts"}]
        assert provider == expected, name


def test_stack_names_and_construct_ids_do_not_change_when_lists_are_reordered(estate_dir: Path, tmp_path: Path) -> None:
    document = copy.deepcopy(ESTATE)
    document["accounts"].reverse()
    document["regions"].reverse()
    document["recipients"] = ["sec@example.com"]
    document["protection_plans"] = dict(reversed(list(document["protection_plans"].items())))
    reordered = synth_document(document, tmp_path)
    assert sorted(reordered) == STACKS
    for name in STACKS:
        original = (estate_dir / "cdktf.out" / "stacks" / name / "cdk.tf.json").read_text()
        assert (tmp_path / "cdktf.out" / "stacks" / name / "cdk.tf.json").read_text() == original, name


def test_every_stack_keeps_its_state_under_its_own_key(stacks: dict[str, dict]) -> None:
    for name, stack in stacks.items():
        assert stack["terraform"]["backend"] == {
            "s3": {
                "bucket": "acme-tf-state",
                "key": f"security/guardduty/{name}.tfstate",
                "region": "eu-west-1",
                "encrypt": True,
                "use_lockfile": True,
            }
        }, name


def test_protection_plans_are_detector_features_in_every_stack(stacks: dict[str, dict]) -> None:
    for name, stack in stacks.items():
        (detector_key,) = stack["resource"]["aws_guardduty_detector"]
        detector_id = "${aws_guardduty_detector." + detector_key + ".id}"
        features = sorted(resources(stack, "aws_guardduty_detector_feature"), key=lambda feature: feature["name"])
        assert features == [
            {"detector_id": detector_id, "name": "RDS_LOGIN_EVENTS", "status": "DISABLED"},
            {
                "detector_id": detector_id,
                "name": "RUNTIME_MONITORING",
                "status": "ENABLED",
                "additional_configuration": [
                    {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"},
                    {"name": "EC2_AGENT_MANAGEMENT", "status": "DISABLED"},
                ],
            },
            {"detector_id": detector_id, "name": "S3_DATA_EVENTS", "status": "ENABLED"},
        ], name
        assert "datasources" not in stack["resource"]["aws_guardduty_detector"][detector_key]


def test_management_account_designates_the_administrator_in_each_region(stacks: dict[str, dict]) -> None:
    for name, stack in stacks.items():
        admin = resources(stack, "aws_guardduty_organization_admin_account")
        assert admin == ([{"admin_account_id": "222222222222"}] if name.startswith("gd-management-") else []), name


def test_administrator_account_auto_enables_members_with_the_protection_plans(stacks: dict[str, dict]) -> None:
    for name, stack in stacks.items():
        configuration = resources(stack, "aws_guardduty_organization_configuration")
        features = resources(stack, "aws_guardduty_organization_configuration_feature")
        if not name.startswith("gd-security-"):
            assert configuration == features == [], name
            continue
        (detector_key,) = stack["resource"]["aws_guardduty_detector"]
        detector_id = "${aws_guardduty_detector." + detector_key + ".id}"
        assert configuration == [{"auto_enable_organization_members": "ALL", "detector_id": detector_id}]
        (configuration_key,) = stack["resource"]["aws_guardduty_organization_configuration"]
        after = [f"aws_guardduty_organization_configuration.{configuration_key}"]
        assert sorted(features, key=lambda feature: feature["name"]) == [
            {"auto_enable": "NONE", "depends_on": after, "detector_id": detector_id, "name": "RDS_LOGIN_EVENTS"},
            {
                "additional_configuration": [
                    {"auto_enable": "ALL", "name": "EKS_ADDON_MANAGEMENT"},
                    {"auto_enable": "NONE", "name": "EC2_AGENT_MANAGEMENT"},
                ],
                "auto_enable": "ALL",
                "depends_on": after,
                "detector_id": detector_id,
                "name": "RUNTIME_MONITORING",
            },
            {"auto_enable": "ALL", "depends_on": after, "detector_id": detector_id, "name": "S3_DATA_EVENTS"},
        ]


def test_central_inbox_forwards_other_regions_to_the_home_region_with_a_least_privilege_role(
    stacks: dict[str, dict],
) -> None:
    home = stacks["gd-security-eu-west-1"]
    (topic,) = resources(home, "aws_sns_topic")
    (key_address,) = home["resource"]["aws_kms_key"]
    assert topic == {
        "name": "gd",
        "display_name": "GuardDuty security 222222222222",
        "kms_master_key_id": "${aws_kms_key." + key_address + ".arn}",
    }
    assert "aws_iam_role" not in home["resource"]
    for region in ("us-east-1", "eu-central-1"):
        stack = stacks[f"gd-security-{region}"]
        assert "aws_sns_topic" not in stack["resource"], "one topic, in the home region"
        (rule_key,) = stack["resource"]["aws_cloudwatch_event_rule"]
        (role_key,) = stack["resource"]["aws_iam_role"]
        (policy_key,) = stack["resource"]["aws_iam_role_policy"]
        (rule,) = resources(stack, "aws_cloudwatch_event_rule")
        assert rule["name"] == "gd-to-eu-west-1"
        assert json.loads(rule["event_pattern"]) == {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}
        (role,) = resources(stack, "aws_iam_role")
        assert role["name"] == f"gd-forward-{region}"
        assert json.loads(role["assume_role_policy"]) == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ForwardingRuleAssumesRole",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": "222222222222"},
                        "ArnEquals": {"aws:SourceArn": "${aws_cloudwatch_event_rule." + rule_key + ".arn}"},
                    },
                }
            ],
        }
        (policy,) = resources(stack, "aws_iam_role_policy")
        assert json.loads(policy["policy"]) == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PutEventsOnHomeBus",
                    "Effect": "Allow",
                    "Action": "events:PutEvents",
                    "Resource": "arn:aws:events:eu-west-1:222222222222:event-bus/default",
                }
            ],
        }
        (target,) = resources(stack, "aws_cloudwatch_event_target")
        assert target == {
            "arn": "arn:aws:events:eu-west-1:222222222222:event-bus/default",
            "depends_on": [f"aws_iam_role_policy.{policy_key}"],
            "role_arn": "${aws_iam_role." + role_key + ".arn}",
            "rule": "${aws_cloudwatch_event_rule." + rule_key + ".name}",
            "target_id": "home-region-bus",
        }


def test_the_detector_keeps_its_address_when_the_central_inbox_is_turned_on(stacks: dict[str, dict]) -> None:
    # Forwarding and alerting stacks hold the detector at the same construct path: switching keeps findings.
    forwarding = stacks["gd-security-eu-central-1"]["resource"]["aws_guardduty_detector"]
    alerting = stacks["gd-management-eu-central-1"]["resource"]["aws_guardduty_detector"]
    assert list(forwarding) == list(alerting) == ["alerts_detector_D0ED2927"]


def test_accounts_without_central_inbox_have_a_topic_in_every_region(stacks: dict[str, dict]) -> None:
    for name in STACKS:
        if name.startswith("gd-security-") and not name.endswith("eu-west-1"):
            continue
        (topic,) = resources(stacks[name], "aws_sns_topic")
        assert topic["display_name"].startswith("GuardDuty "), name


def test_two_accounts_in_every_default_region_synthesize_in_one_process(tmp_path: Path) -> None:
    # 34 stacks here; the 340 of 20 accounts take about a minute with the per-band rules, so
    # bench/estate_scale.py synthesizes those (and `--validate N` runs terraform validate on a sample).
    accounts = [
        {"id": f"{100000000000 + number:012d}", "name": f"account-{number:02d}", "regions": "all"} for number in (0, 19)
    ]
    document = {"name": "gd", "regions": [HOME], "recipients": ["sec@example.com"], "accounts": accounts}
    document["state"] = {"s3": {"bucket": "acme-terraform-state", "region": HOME}}
    names = synth_to(parse_config(document), tmp_path / "cdktf.out", state_dir=tmp_path)
    assert len(names) == len(set(names)) == 34
    assert sorted(path.name for path in (tmp_path / "cdktf.out" / "stacks").iterdir()) == names
    stack_dir = tmp_path / "cdktf.out" / "stacks" / "gd-account-19-us-west-2"
    stack = read_json(stack_dir / "cdk.tf.json")
    assert stack["provider"]["aws"] == [{"allowed_account_ids": ["100000000019"], "region": "us-west-2"}]
    assert stack["terraform"]["backend"]["s3"]["key"] == "guardduty-alerts/gd-account-19-us-west-2.tfstate"


def test_twenty_accounts_in_every_default_region_plan_340_distinct_stacks() -> None:
    from guardduty_alerts_app.planning import stack_plans

    accounts = [{"id": f"{100000000000 + number:012d}", "name": f"account-{number:02d}"} for number in range(20)]
    config = parse_config({"name": "gd", "regions": "all", "recipients": ["sec@example.com"], "accounts": accounts})
    plans = stack_plans(config)
    assert len(plans) == len({plan.name for plan in plans}) == 340
    assert {(plan.account.id, plan.region) for plan in plans} == {
        (account["id"], region) for account in accounts for region in config.regions
    }


def test_single_account_central_inbox_finds_its_account_id_at_plan_time(tmp_path: Path) -> None:
    document = {
        "regions": [HOME, "eu-west-1"],
        "recipients": ["sec@example.com"],
        "central_inbox": {"home_region": HOME},
    }
    document["suppression_rules"] = [{"name": "scanner", "criteria": {"type": {"equals": ["Recon:EC2/Portscan"]}}}]
    stacks = synth_document(document, tmp_path)
    assert sorted(stacks) == ["guardduty-alerts-eu-west-1", "guardduty-alerts-us-east-1"]
    forwarding = stacks["guardduty-alerts-eu-west-1"]
    assert forwarding["provider"]["aws"] == [{"region": "eu-west-1"}]
    assert forwarding["terraform"]["backend"] == {
        "local": {"path": "../../../terraform.guardduty-alerts-eu-west-1.tfstate"}
    }
    (caller_key,) = forwarding["data"]["aws_caller_identity"]
    account = "${data.aws_caller_identity." + caller_key + ".account_id}"
    (target,) = resources(forwarding, "aws_cloudwatch_event_target")
    assert target["arn"] == f"arn:aws:events:{HOME}:{account}:event-bus/default"
    (role,) = resources(forwarding, "aws_iam_role")
    assert json.loads(role["assume_role_policy"])["Statement"][0]["Condition"]["StringEquals"] == {
        "aws:SourceAccount": account
    }
    # Suppression archives findings where GuardDuty raises them: every region's detector has the filter,
    # at the same address as in an alerting stack.
    for stack in stacks.values():
        (detector_key,) = stack["resource"]["aws_guardduty_detector"]
        (filter_key,) = stack["resource"]["aws_guardduty_filter"]
        assert filter_key.startswith("alerts_suppression-scanner_")
        assert (
            stack["resource"]["aws_guardduty_filter"][filter_key]["detector_id"]
            == "${aws_guardduty_detector." + detector_key + ".id}"
        )
    assert list(forwarding["resource"]["aws_guardduty_filter"]) == list(
        stacks["guardduty-alerts-us-east-1"]["resource"]["aws_guardduty_filter"]
    )
    assert "aws_sns_topic" in stacks["guardduty-alerts-us-east-1"]["resource"]
    assert "display_name" not in resources(stacks["guardduty-alerts-us-east-1"], "aws_sns_topic")[0]


def test_rejects_runtime_add_on_without_runtime_monitoring_in_the_construct() -> None:
    from cdktf import App, TerraformStack
    from guardduty_alerts.detector_protection import DetectorProtection
    from guardduty_alerts.errors import InvalidPropsError
    from guardduty_alerts.protection import ProtectionPlan, ProtectionPlans, RuntimeAgent

    plans = ProtectionPlans(
        plans={ProtectionPlan.S3_DATA_EVENTS: True}, runtime_agents={RuntimeAgent.EKS_ADDON_MANAGEMENT: True}
    )
    with pytest.raises(InvalidPropsError) as caught:
        DetectorProtection(TerraformStack(App(), "test"), "protection", detector_id="0" * 32, plans=plans)
    assert caught.value.problems == (
        "plans.runtime_monitoring.eks_addon_management: true needs runtime monitoring itself, which is not set; "
        "allowed: set plans.runtime_monitoring.enabled to true, or this add-on to false",
    )


def test_administrator_stacks_import_the_detector_designation_created(stacks: dict[str, dict], tmp_path: Path) -> None:
    # Designation (management account, step 1) turns GuardDuty on in the administrator account: its stacks
    # import that detector from the region's only one instead of creating a second. Nowhere else: there the
    # data source would fail when no detector exists yet.
    for name, stack in stacks.items():
        if not name.startswith("gd-security-"):
            assert "import" not in stack and "aws_guardduty_detector" not in stack.get("data", {}), name
            continue
        (data_key,) = stack["data"]["aws_guardduty_detector"]
        assert resources({"resource": stack["data"]}, "aws_guardduty_detector") == [{}], "no id: the region's one"
        assert stack["import"] == [
            {
                "id": "${data.aws_guardduty_detector." + data_key + ".id}",
                "to": "aws_guardduty_detector.alerts_detector_D0ED2927",
            }
        ], name
    # An administrator region whose detector id is listed adopts it through the data source, as before: no import.
    document = copy.deepcopy(ESTATE)
    document["accounts"][0]["detector"] = {"existing_detector_ids": {"us-east-1": "a" * 32}}
    adopted = synth_document(document, tmp_path)
    assert "import" not in adopted["gd-security-us-east-1"]
    assert resources({"resource": adopted["gd-security-us-east-1"]["data"]}, "aws_guardduty_detector") == [
        {"id": "a" * 32}
    ]
    assert "import" in adopted["gd-security-eu-west-1"]


def test_the_formatters_role_of_each_region_has_a_name_of_its_own(tmp_path: Path) -> None:
    # IAM names are account-wide: with one role name for both regions, the second region's apply would fail.
    config = parse_config(
        {"regions": ["us-east-1", "ap-southeast-5"], "recipients": ["sec@example.com"], "subject_formatter": True}
    )
    names = synth_to(config, tmp_path / "out", state_dir=tmp_path)
    roles = {}
    for name in names:
        document = read_json(tmp_path / "out" / "stacks" / name / "cdk.tf.json")
        (role,) = document["resource"]["aws_iam_role"].values()
        (function,) = document["resource"]["aws_lambda_function"].values()
        assert function["function_name"] == "guardduty-alerts-formatter"  # regional: the same name is fine
        roles[name] = role["name"]
    assert roles == {
        "guardduty-alerts-ap-southeast-5": "guardduty-alerts-formatter-ap-southeast-5",
        "guardduty-alerts-us-east-1": "guardduty-alerts-formatter-us-east-1",
    }


# Getting Started with Amazon Web Services in China, "Amazon GuardDuty": Runtime Monitoring is not supported in
# the China Regions (regions.PARTITIONS["aws-cn"].missing_plans). The config refuses it first
# (tests/pure/test_partitions.py); the construct refuses it too, for a library user.
CN_RUNTIME = (
    "plans.runtime_monitoring is not available in partition aws-cn (AWS China): it is GuardDuty Runtime "
    "Monitoring (EKS, ECS Fargate and EC2), which AWS does not offer in the China regions; allowed: leave "
    "runtime_monitoring out in aws-cn"
)
BOTH_PLANS = ProtectionPlans(
    plans={ProtectionPlan.RUNTIME_MONITORING: True, ProtectionPlan.S3_DATA_EVENTS: True},
    runtime_agents={RuntimeAgent.EKS_ADDON_MANAGEMENT: True},
)


def protection(partition: str) -> DetectorProtection:
    stack = TerraformStack(CdktfTesting.app(), "plans")
    return DetectorProtection(stack, "protection", detector_id="d", plans=BOTH_PLANS, partition=partition)


def test_the_construct_refuses_a_plan_its_partition_lacks() -> None:
    with pytest.raises(InvalidPropsError) as caught:
        protection("aws-cn")
    assert caught.value.problems == (CN_RUNTIME,)
    with pytest.raises(InvalidPropsError) as caught:
        protection("cn")
    assert caught.value.problems == ("partition: 'cn' is not a partition; allowed: aws, aws-us-gov, aws-cn",)
    for partition in ("aws", "aws-us-gov"):
        assert sorted(protection(partition).features) == ["RUNTIME_MONITORING", "S3_DATA_EVENTS"]


def test_a_china_estate_gets_the_plans_china_offers(tmp_path: Path) -> None:
    document = {
        "name": "gd",
        "partition": "aws-cn",
        "regions": ["cn-north-1"],
        "recipients": ["sec@example.com"],
        "protection_plans": {"s3_data_events": True, "eks_audit_logs": False},
    }
    assert synth_to(parse_config(document), tmp_path / "out", state_dir=tmp_path) == ["gd-cn-north-1"]
    resources = read_json(tmp_path / "out" / "stacks" / "gd-cn-north-1" / "cdk.tf.json")["resource"]
    features = {feature["name"]: feature["status"] for feature in resources["aws_guardduty_detector_feature"].values()}
    assert features == {"S3_DATA_EVENTS": "ENABLED", "EKS_AUDIT_LOGS": "DISABLED"}
