"""The optional subject formatter: a small Lambda function between the EventBridge rule and the SNS topic.

SNS gives every message EventBridge publishes the subject "AWS Notification Message"; a function that
publishes itself can set one ("[GuardDuty][HIGH 8.0] UnauthorizedAccess:EC2/SSHBruteForce 123456789012
us-east-1"), and, being code, can do what an input transformer cannot: compute the band label from the
severity, mark samples, and name the resource by its type. So with the formatter there is exactly one rule,
one target and one invoke permission. Its code is packaged at synth time by cdktf's asset support (no archive
provider): the handler and `mail_templates.json`, the lines of every band from `templates.py`.

Least privilege: the role may publish to this topic, send its own failed events to the dead-letter queue and
write to this function's log group, nothing else; the log group is created here with a retention, so the
function needs no logs:CreateLogGroup; the one invoke permission is conditioned on the rule's ARN.

Failures: an event the function could not handle after Lambda's two asynchronous retries goes to the
construct's dead-letter queue (`dead_letter_config`), where the dead-letter alarm sees it; a failure to write
there counts in the delivery alarm (the function's DeadLetterErrors metric).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from cdktf import AssetType, Fn, TerraformAsset

from constructs import Construct

from ._aws import (
    CloudwatchEventRule,
    CloudwatchLogGroup,
    IamRole,
    IamRolePolicy,
    LambdaFunction,
    LambdaFunctionDeadLetterConfig,
    LambdaPermission,
)
from .checkov_skips import skip_check
from .naming import formatter_function_name, regional_role_name
from .policies import formatter_role_policy, service_role_trust_policy
from .templates import mail_templates
from .validation import partition_of_region

__all__ = [
    "LOG_RETENTION_DAYS",
    "SubjectFormatter",
    "mail_templates",
]

LOG_RETENTION_DAYS = 90
HANDLER_DIR = Path(__file__).parent / "formatter_function"
RUNTIME = "python3.12"
FIXED_MTIME = 315_619_200  # 1980-01-02T00:00:00Z, within the zip format's date range


def _stage_code(partition: str) -> Path:
    # A fresh folder per synth holding exactly the handler and its templates; cdktf hashes and zips it.
    staging = Path(tempfile.mkdtemp(prefix="guardduty-alerts-formatter-"))
    # cdktf copies the folder when the app synthesizes, after the construct is built: remove it at exit.
    atexit.register(shutil.rmtree, staging, True)
    shutil.copyfile(HANDLER_DIR / "handler.py", staging / "handler.py")
    (staging / "mail_templates.json").write_text(json.dumps(mail_templates(partition), indent=1, sort_keys=True) + "\n")
    # The zip records modification times: fixed ones make the archive, and so source_code_hash, the same on
    # every synth, or each run would redeploy the function.
    for path in (staging, *staging.iterdir()):
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    return staging


class SubjectFormatter(Construct):
    """The formatter function, its role, its log group, and (through `allow`) the one rule's invoke permission."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        topic_arn: str,
        dead_letter_queue_arn: str,
        tags: Mapping[str, str] | None = None,
        region: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        function_name = formatter_function_name(name)
        self.log_group = CloudwatchLogGroup(
            self,
            "log-group",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=LOG_RETENTION_DAYS,
            tags=tags or None,
        )
        skip_check(
            self.log_group,
            "CKV_AWS_158",
            "the function logs only its own errors and request ids, never finding content; a KMS key for one "
            "log group would add cost and a key policy without protecting anything sensitive",
        )
        skip_check(
            self.log_group,
            "CKV_AWS_338",
            "retention is LOG_RETENTION_DAYS on purpose: operational logs of a formatter, not an audit trail "
            "(GuardDuty and CloudTrail keep the record)",
        )
        self.role = IamRole(
            self,
            "role",
            # The function's name is regional, its role's is not: one role per region, or the second region's
            # apply fails with "role already exists".
            name=regional_role_name(function_name, region),
            assume_role_policy=json.dumps(service_role_trust_policy("lambda.amazonaws.com"), sort_keys=True),
            tags=tags or None,
        )
        self.role_policy = IamRolePolicy(
            self,
            "role-policy",
            role=self.role.id,
            name="publish-findings",
            policy=json.dumps(
                formatter_role_policy(
                    topic_arn=topic_arn, dead_letter_queue_arn=dead_letter_queue_arn, log_group_arn=self.log_group.arn
                ),
                sort_keys=True,
            ),
        )
        # The mails' console link is the partition's (a region's partition is in its name).
        staged = _stage_code(partition_of_region(region) if region else "aws")
        self.asset = TerraformAsset(self, "code", path=str(staged), type=AssetType.ARCHIVE)
        self.function = LambdaFunction(
            self,
            "function",
            function_name=function_name,
            description="Publishes GuardDuty findings to the alert topic with a readable subject",
            role=self.role.arn,
            runtime=RUNTIME,
            handler="handler.handler",
            filename=self.asset.path,
            source_code_hash=Fn.filebase64sha256(self.asset.path),
            timeout=10,
            memory_size=128,
            environment={"variables": {"TOPIC_ARN": topic_arn}},
            # After Lambda's two asynchronous retries the event goes here, not away.
            dead_letter_config=LambdaFunctionDeadLetterConfig(target_arn=dead_letter_queue_arn),
            tags=tags or None,
            # Logs go to the group created above, with its retention, from the first invocation on.
            depends_on=[self.log_group, self.role_policy],
        )
        for check_id, reason in (
            ("CKV_AWS_117", "calls only the SNS API; no VPC resource to reach, and a VPC would need NAT or endpoints"),
            ("CKV_AWS_115", "a reserved-concurrency cap would throttle alert mail during a burst of findings"),
            ("CKV_AWS_272", "the code is packaged from this repository by Terraform; no signing profile exists"),
            ("CKV_AWS_173", "the only environment variable is the topic ARN, which is not secret"),
            ("CKV_AWS_50", "X-Ray tracing of a 20-line publisher adds cost and no diagnostic value"),
        ):
            skip_check(self.function, check_id, reason)
        self.permissions: Mapping[str, LambdaPermission] = MappingProxyType({})

    def allow(self, key: str, rule: CloudwatchEventRule) -> LambdaPermission:
        """Let one rule, and only it, invoke the function (keyed by the rule's key, as its construct ID)."""
        permission = LambdaPermission(
            self,
            f"invoke-{key}",
            statement_id=f"invoke-from-{key}",
            action="lambda:InvokeFunction",
            function_name=self.function.function_name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
        )
        self.permissions = MappingProxyType({**self.permissions, key: permission})
        return permission
