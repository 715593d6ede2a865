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

Accounts in words: with `account_names` (id -> name, the config's `accounts`), the subject and body say
"account payments-prod (111111111111)" instead of the bare id; the names travel in the function's environment
(ACCOUNT_NAMES, JSON) and `accounts.py` is packaged beside the handler, so the wording is the library's one.

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
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from cdktf import AssetType, Fn, ITerraformDependable, TerraformAsset

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
from .errors import InvalidPropsError
from .formatter_names import account_names_problems, account_names_variable
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
ACCOUNTS_MODULE = Path(__file__).parent / "accounts.py"


def _stage_code(partition: str) -> Path:
    # A fresh folder per synth holding exactly the handler and its templates; cdktf hashes and zips it.
    staging = Path(tempfile.mkdtemp(prefix="guardduty-alerts-formatter-"))
    # cdktf copies the folder when the app synthesizes, after the construct is built: remove it at exit.
    atexit.register(shutil.rmtree, staging, True)
    shutil.copyfile(HANDLER_DIR / "handler.py", staging / "handler.py")
    # The one wording of an account (accounts.py, standard library only), beside the handler that imports it.
    shutil.copyfile(ACCOUNTS_MODULE, staging / "accounts.py")
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
        account_names: Mapping[str, str] | None = None,
    ) -> None:
        """`account_names` (account id -> name): the accounts the mails name in words. Default: none, every
        account is named by its id."""
        problems = account_names_problems(account_names)
        if problems:
            raise InvalidPropsError(problems)
        super().__init__(scope, id_)
        function_name = formatter_function_name(name)
        self.log_group = _log_group(self, function_name, tags=tags)
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
        self.function = _function(
            self,
            function_name,
            role=self.role,
            asset=self.asset,
            topic_arn=topic_arn,
            dead_letter_queue_arn=dead_letter_queue_arn,
            tags=tags,
            account_names=account_names,
            # Logs go to the group created above, with its retention, from the first invocation on.
            depends_on=[self.log_group, self.role_policy],
        )
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


def _log_group(scope: Construct, function_name: str, *, tags: Mapping[str, str] | None) -> CloudwatchLogGroup:
    """The function's log group ("log-group"), created here with a retention so the function needs no
    logs:CreateLogGroup."""
    log_group = CloudwatchLogGroup(
        scope,
        "log-group",
        name=f"/aws/lambda/{function_name}",
        retention_in_days=LOG_RETENTION_DAYS,
        tags=tags or None,
    )
    skip_check(
        log_group,
        "CKV_AWS_158",
        "the function logs only its own errors and request ids, never finding content; a KMS key for one "
        "log group would add cost and a key policy without protecting anything sensitive",
    )
    skip_check(
        log_group,
        "CKV_AWS_338",
        "retention is LOG_RETENTION_DAYS on purpose: operational logs of a formatter, not an audit trail "
        "(GuardDuty and CloudTrail keep the record)",
    )
    return log_group


def _function(
    scope: Construct,
    function_name: str,
    *,
    role: IamRole,
    asset: TerraformAsset,
    topic_arn: str,
    dead_letter_queue_arn: str,
    tags: Mapping[str, str] | None,
    account_names: Mapping[str, str] | None,
    depends_on: Sequence[ITerraformDependable],
) -> LambdaFunction:
    """The function ("function"), publishing to `topic_arn` and dead-lettering to the construct's queue."""
    function = LambdaFunction(
        scope,
        "function",
        function_name=function_name,
        description="Publishes GuardDuty findings to the alert topic with a readable subject",
        role=role.arn,
        runtime=RUNTIME,
        handler="handler.handler",
        filename=asset.path,
        source_code_hash=Fn.filebase64sha256(asset.path),
        timeout=10,
        memory_size=128,
        environment={
            "variables": {
                "TOPIC_ARN": topic_arn,
                **({"ACCOUNT_NAMES": account_names_variable(account_names)} if account_names else {}),
            }
        },
        # After Lambda's two asynchronous retries the event goes here, not away.
        dead_letter_config=LambdaFunctionDeadLetterConfig(target_arn=dead_letter_queue_arn),
        tags=tags or None,
        depends_on=list(depends_on),
    )
    for check_id, reason in (
        ("CKV_AWS_117", "calls only the SNS API; no VPC resource to reach, and a VPC would need NAT or endpoints"),
        ("CKV_AWS_115", "a reserved-concurrency cap would throttle alert mail during a burst of findings"),
        ("CKV_AWS_272", "the code is packaged from this repository by Terraform; no signing profile exists"),
        ("CKV_AWS_173", "the environment holds the topic ARN and account names, neither secret"),
        ("CKV_AWS_50", "X-Ray tracing of a 20-line publisher adds cost and no diagnostic value"),
    ):
        skip_check(function, check_id, reason)
    return function
