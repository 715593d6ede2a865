"""Real Terraform on estate stacks: validate organization and forwarding stacks, and apply a central inbox
with remote state to the local emulator (moto), then watch a finding travel from one region to the other."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from guardduty_alerts_app.config import parse_config
from guardduty_alerts_app.stacks.synth import synth_to
from guardduty_alerts_review.preview import render_mail
from helpers import FINDINGS_DIR, read_json, terraform

pytestmark = pytest.mark.terraform

MANAGEMENT, SECURITY = "111111111111", "222222222222"
HOME, AWAY = "us-east-1", "eu-west-1"


def estate_document(endpoint: str | None) -> dict:
    document = {
        "name": "gd",
        "regions": [HOME, AWAY],
        "recipients": ["sec@example.com"],
        "severity_threshold": "HIGH",
        "central_inbox": {"home_region": HOME},
        "protection_plans": {"s3_data_events": True},
        "state": {"s3": {"bucket": "estate-terraform-state", "region": HOME, "key_prefix": "guardduty"}},
        "organization": {"management_account": MANAGEMENT, "administrator_account": SECURITY},
        "accounts": [
            {"id": SECURITY, "name": "security", "role_arn": f"arn:aws:iam::{SECURITY}:role/GuardDutyAlertsDeploy"},
            {
                "id": MANAGEMENT,
                "name": "management",
                "role_arn": f"arn:aws:iam::{MANAGEMENT}:role/GuardDutyAlertsDeploy",
            },
        ],
    }
    if endpoint:
        document["provider"] = {"endpoint_url": endpoint}
    return document


@pytest.fixture
def validated_outdir(tmp_path: Path) -> Path:
    synth_to(parse_config(estate_document(None)), tmp_path / "cdktf.out", state_dir=tmp_path)
    return tmp_path / "cdktf.out"


def test_administrator_forwarding_stack_passes_terraform_validate(
    validated_outdir: Path, terraform_env: dict[str, str]
) -> None:
    # The administrator account outside its home region: forwarder, organization configuration and its
    # features, detector features. (Alert stacks are validated in test_terraform.py.)
    stack_dir = validated_outdir / "stacks" / "gd-security-eu-west-1"
    # -backend=false: the S3 bucket is not reachable from here; validate checks everything else.
    terraform(terraform_env, stack_dir, "init", "-backend=false", "-input=false")
    report = json.loads(terraform(terraform_env, stack_dir, "validate", "-json").stdout)
    assert report["valid"] is True, report
    assert report["warning_count"] == 0, report["diagnostics"]


def client(service: str, endpoint: str, region: str, credentials: dict | None = None):
    keys = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, endpoint_url=endpoint, region_name=region, **keys)


@pytest.fixture
def events_deliver_to_sns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stands in for a feature moto 5.2.5 lacks: EventBridge rules delivering to SNS topic targets.

    moto raises NotImplementedError for an SNS target. This wraps moto's own Rule.send_to_targets: for SNS
    targets it publishes the matched event (moto's own pattern matching decided) to the topic through moto's
    SNS model, rendered through the target's deployed input transformer with the preview's renderer (moto's
    own parser would decode the text template as JSON and fail); every other target goes through moto. The rule, pattern and target are the ones
    Terraform created.
    """
    from moto.events.models import Rule
    from moto.sns.models import sns_backends
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: dict, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        topics = [target for target in self.targets if parse_arn(target["Arn"]).service == "sns"]
        for target in topics:
            arn = parse_arn(target["Arn"])
            transformer = target.get("InputTransformer")
            text = (
                render_mail(
                    SimpleNamespace(input_template=transformer["InputTemplate"], input_paths=transformer["InputPathsMap"]),
                    original_event,
                )
                if transformer
                else json.dumps(original_event)
            )
            sns_backends[arn.account][arn.region].topics[target["Arn"]].publish(text)
        others = [target for target in self.targets if target not in topics]
        saved, self.targets = self.targets, others
        try:
            original(self, original_event, transform_input)
        finally:
            self.targets = saved

    monkeypatch.setattr(Rule, "send_to_targets", send_to_targets)


def finding_from(region: str, severity: float, account: str) -> dict:
    """A corpus finding as GuardDuty in `region` of `account` would emit it."""
    event = read_json(FINDINGS_DIR / "blu371ck-soar__UnauthorizedAccess_EC2_SSHBruteForce.json")
    event["detail"].update(region=region, accountId=account, severity=severity)
    return event


def test_central_inbox_with_remote_state_applies_and_delivers_a_finding_from_another_region(
    aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path, events_deliver_to_sns: None
) -> None:
    """The management account's two stacks, applied through its assumed role, state in an S3 bucket.

    moto has no GuardDuty organization configuration (UpdateOrganizationConfiguration and
    DescribeOrganizationConfiguration are not implemented), so the administrator account's stacks are only
    validated (above); the management account's designation of the administrator is applied here. moto cannot
    deliver to SNS targets either: `events_deliver_to_sns` stands in for that, and an SQS queue subscribed to
    the topic shows what the topic received.
    """
    s3 = client("s3", moto_endpoint, HOME)
    s3.create_bucket(Bucket="estate-terraform-state")
    outdir = tmp_path / "cdktf.out"
    synth_to(parse_config(estate_document(moto_endpoint)), outdir, state_dir=tmp_path)

    def deploy(name: str) -> dict[str, str]:
        stack_dir = outdir / "stacks" / name
        terraform(aws_env, stack_dir, "init", "-input=false")
        terraform(aws_env, stack_dir, "apply", "-auto-approve", "-input=false")
        if name.endswith(AWAY):  # the new resources; the home stack's kinds are re-planned in test_terraform.py
            plan = terraform(aws_env, stack_dir, "plan", "-detailed-exitcode", "-input=false", check=False)
            assert plan.returncode == 0, f"plan after apply is not empty:\n{plan.stdout}\n{plan.stderr}"
        output = json.loads(terraform(aws_env, stack_dir, "output", "-json").stdout)
        return {key: value["value"] for key, value in output.items()}

    # The stacks are independent (own state, own region): deploy them side by side, as a pipeline would.
    names = ["gd-management-us-east-1", "gd-management-eu-west-1"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = dict(zip(names, pool.map(deploy, names), strict=True))

    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket="estate-terraform-state")["Contents"])
    assert keys == ["guardduty/gd-management-eu-west-1.tfstate", "guardduty/gd-management-us-east-1.tfstate"]
    assert not list(tmp_path.glob("*.tfstate")), "no local state when the S3 backend is configured"

    # Everything was created in the management account, through the role in its configuration.
    sts = client("sts", moto_endpoint, HOME)
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{MANAGEMENT}:role/GuardDutyAlertsDeploy", RoleSessionName="test")
    credentials = {
        "aws_access_key_id": assumed["Credentials"]["AccessKeyId"],
        "aws_secret_access_key": assumed["Credentials"]["SecretAccessKey"],
        "aws_session_token": assumed["Credentials"]["SessionToken"],
    }
    home_events = client("events", moto_endpoint, HOME, credentials)
    away_events = client("events", moto_endpoint, AWAY, credentials)
    assert outputs["gd-management-us-east-1"]["topic_arn"] == f"arn:aws:sns:{HOME}:{MANAGEMENT}:gd"
    assert (
        outputs["gd-management-eu-west-1"]["forwarding_rule_arn"]
        == f"arn:aws:events:{AWAY}:{MANAGEMENT}:rule/gd-to-{HOME}"
    )
    (target,) = away_events.list_targets_by_rule(Rule=f"gd-to-{HOME}")["Targets"]
    assert target["Arn"] == f"arn:aws:events:{HOME}:{MANAGEMENT}:event-bus/default"
    role = client("iam", moto_endpoint, HOME, credentials).get_role(RoleName=f"gd-forward-{AWAY}")["Role"]
    assert target["RoleArn"] == role["Arn"]
    assert [
        topic["TopicArn"] for topic in client("sns", moto_endpoint, AWAY, credentials).list_topics()["Topics"]
    ] == []

    guardduty = client("guardduty", moto_endpoint, AWAY, credentials)
    admins = guardduty.list_organization_admin_accounts()["AdminAccounts"]
    assert admins == [{"AdminAccountId": SECURITY, "AdminStatus": "ENABLED"}]
    detector = guardduty.get_detector(DetectorId=outputs["gd-management-eu-west-1"]["detector_id"])
    assert {feature["Name"]: feature["Status"] for feature in detector["Features"]}["S3_DATA_EVENTS"] == "ENABLED"

    # What the home region's topic receives, read through an SQS queue subscribed to it.
    sqs = client("sqs", moto_endpoint, HOME, credentials)
    queue_url = sqs.create_queue(QueueName="observe-home-topic")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client("sns", moto_endpoint, HOME, credentials).subscribe(
        TopicArn=outputs["gd-management-us-east-1"]["topic_arn"],
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    home_rules = [rule["Name"] for rule in home_events.list_rules()["Rules"]]
    assert home_rules and not [name for name in home_rules if name.startswith("gd-to-")]

    for severity in (8.0, 5.0):  # HIGH is mailed; MEDIUM is forwarded too, but the home rule drops it
        event = finding_from(AWAY, severity, MANAGEMENT)
        result = away_events.put_events(
            Entries=[
                {"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}
            ]
        )
        assert result["FailedEntryCount"] == 0

    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    mails = [message["Body"] for message in messages]
    assert len(mails) == 1, mails  # the HIGH finding only
    # The mail names the region the finding came from (GuardDuty's `detail.region`; moto re-creates a
    # forwarded event in the home region, so its envelope `region` there says us-east-1).
    assert AWAY in mails[0]
    assert "UnauthorizedAccess:EC2/SSHBruteForce" in mails[0]
    assert "HIGH" in mails[0]


def test_administrator_stack_imports_the_detector_designation_created(
    aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path
) -> None:
    """Organizations deployment step 2 is `apply`: the administrator's stack adopts the detector that designation
    (step 1) turned on, through its import block, instead of failing with "a detector already exists".

    moto records the designation but, unlike AWS, turns nothing on in the administrator account: the test
    creates that detector with boto3, standing in for AWS. moto has no GuardDuty organization configuration,
    so only the detector (and what it needs) is applied, with -target; the rest of the administrator's stack
    is validated in test_administrator_forwarding_stack_passes_terraform_validate.
    """
    region, other_region = "ap-south-1", "ap-southeast-1"  # regions no other test uses on the shared emulator
    document = estate_document(moto_endpoint)
    document.update(regions=[region, other_region], central_inbox={"home_region": region})
    del document["state"], document["protection_plans"]
    outdir = tmp_path / "cdktf.out"
    synth_to(parse_config(document), outdir, state_dir=tmp_path)
    management, administrator = outdir / "stacks" / f"gd-management-{region}", outdir / "stacks" / f"gd-security-{region}"
    detector_address = "aws_guardduty_detector.alerts_detector_D0ED2927"

    # Step 1: the management account designates the administrator (only that resource: it is what matters here).
    designation = next(iter(read_json(management / "cdk.tf.json")["resource"]["aws_guardduty_organization_admin_account"]))
    terraform(aws_env, management, "init", "-input=false")
    terraform(aws_env, management, "apply", "-auto-approve", "-input=false",
              f"-target=aws_guardduty_organization_admin_account.{designation}")
    sts = client("sts", moto_endpoint, region)
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{SECURITY}:role/GuardDutyAlertsDeploy", RoleSessionName="test")
    credentials = {
        "aws_access_key_id": assumed["Credentials"]["AccessKeyId"],
        "aws_secret_access_key": assumed["Credentials"]["SecretAccessKey"],
        "aws_session_token": assumed["Credentials"]["SessionToken"],
    }
    guardduty = client("guardduty", moto_endpoint, region, credentials)
    # Stand-in for AWS: designation turns GuardDuty on in the administrator account (moto does not).
    designated = guardduty.create_detector(Enable=True, FindingPublishingFrequency="SIX_HOURS")["DetectorId"]

    # Step 2: plan says the detector is imported, not created; apply imports it and applies its settings.
    terraform(aws_env, administrator, "init", "-input=false")
    terraform(aws_env, administrator, "plan", "-input=false", f"-target={detector_address}", "-out=step2.tfplan")
    plan = json.loads(terraform(aws_env, administrator, "show", "-json", "step2.tfplan").stdout)
    (change,) = [c for c in plan["resource_changes"] if c["address"] == detector_address]
    assert change["change"]["importing"] == {"id": designated}
    assert change["change"]["actions"] == ["update"]  # six hours -> fifteen minutes, as configured
    terraform(aws_env, administrator, "apply", "-input=false", "step2.tfplan")
    assert guardduty.list_detectors()["DetectorIds"] == [designated], "adopted, no second detector"
    assert guardduty.get_detector(DetectorId=designated)["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    again = terraform(aws_env, administrator, "plan", "-input=false", "-detailed-exitcode", f"-target={detector_address}",
                      check=False)
    assert again.returncode == 0, f"the import happens once:\n{again.stdout}\n{again.stderr}"

    # Out of order (designation not applied in that region yet), there is no detector to adopt: the plan
    # stops with the data source's error, which the README's deployment steps name.
    early = outdir / "stacks" / f"gd-security-{other_region}"
    terraform(aws_env, early, "init", "-input=false")
    failed = terraform(aws_env, early, "plan", "-input=false", check=False)
    assert failed.returncode == 1
    assert "reading this account's single GuardDuty Detector: empty result" in failed.stderr.replace("\n", " ")

    terraform(aws_env, administrator, "destroy", "-auto-approve", "-input=false", f"-target={detector_address}")
    # The designation stays: moto does not implement DisableOrganizationAdminAccount (it is this test's region).
