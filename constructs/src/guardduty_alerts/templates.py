"""The mail body: EventBridge input transformers (paths and template) built as Python data.

EventBridge fills an input template by plain text substitution: each `<name>` becomes the value at the
JSON path `InputPathsMap[name]`, unescaped. A path that does not resolve leaves no value behind (AWS drops
the variable; moto leaves `<name>` in place), and a JSON null prints as `null`. So every template here only
names paths that exist for the findings its rule matches: the fields every finding has, plus the identifying
field of one resource type, which the rule's pattern requires (see `patterns.shape_condition`).

The template is a multi-line string in which each line is one JSON string literal: the form EventBridge
accepts for text targets such as SNS. EventBridge keeps the quotes, so each line of the delivered mail is
wrapped in double quotes; the optional formatter Lambda (see `formatter.py`) sends clean text instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .severity import Severity

__all__ = [
    "COMMON_PATHS",
    "OTHER_SHAPE",
    "RESOURCE_SHAPES",
    "SAMPLE_SHAPE",
    "MailShape",
    "console_link_template",
    "input_paths",
    "input_template",
    "template_lines",
]

# Present in every GuardDuty finding event (the finding format's required fields), whatever the resource.
COMMON_PATHS: dict[str, str] = {
    "account": "$.account",
    "region": "$.region",
    "type": "$.detail.type",
    "severity": "$.detail.severity",
    "title": "$.detail.title",
    "description": "$.detail.description",
    "findingId": "$.detail.id",
    "resourceType": "$.detail.resource.resourceType",
    "firstSeen": "$.detail.service.eventFirstSeen",
    "lastSeen": "$.detail.service.eventLastSeen",
    "count": "$.detail.service.count",
}


@dataclass(frozen=True)
class MailShape:
    """One kind of mail: which findings it is for and how it names the affected resource.

    `resource_type` is the finding's `resource.resourceType` this shape is for (None: any). `required` are
    the variables whose paths the rule's pattern requires to exist, so that the resource line never prints a
    missing value; a path through an array (S3 buckets) cannot be required the same way in EventBridge and
    in moto, so it is left out of `required` and relies on the finding format (S3 findings list the bucket).
    """

    key: str
    resource_type: str | None
    resource_line: str
    paths: tuple[tuple[str, str], ...] = ()
    required: tuple[str, ...] = ()
    sample: bool = False

    def path_map(self) -> dict[str, str]:
        return dict(self.paths)


RESOURCE_SHAPES: tuple[MailShape, ...] = (
    MailShape(
        "instance",
        "Instance",
        "Resource: EC2 instance <instanceId>",
        (("instanceId", "$.detail.resource.instanceDetails.instanceId"),),
        ("instanceId",),
    ),
    MailShape(
        "accesskey",
        "AccessKey",
        "Resource: IAM principal <userName> (<userType>), access key <accessKeyId>",
        (
            ("userName", "$.detail.resource.accessKeyDetails.userName"),
            ("userType", "$.detail.resource.accessKeyDetails.userType"),
            ("accessKeyId", "$.detail.resource.accessKeyDetails.accessKeyId"),
        ),
        ("userName", "userType", "accessKeyId"),
    ),
    MailShape(
        "s3bucket",
        "S3Bucket",
        "Resource: S3 bucket <bucketName>",
        (("bucketName", "$.detail.resource.s3BucketDetails[0].name"),),
    ),
    MailShape(
        "eks",
        "EKSCluster",
        "Resource: EKS cluster <clusterName>",
        (("clusterName", "$.detail.resource.eksClusterDetails.name"),),
        ("clusterName",),
    ),
    MailShape(
        "ecs",
        "ECSCluster",
        "Resource: ECS cluster <clusterName>",
        (("clusterName", "$.detail.resource.ecsClusterDetails.name"),),
        ("clusterName",),
    ),
    MailShape(
        "container",
        "Container",
        "Resource: container <containerName> from image <image>",
        (
            ("containerName", "$.detail.resource.containerDetails.name"),
            ("image", "$.detail.resource.containerDetails.image"),
        ),
        ("containerName", "image"),
    ),
    MailShape(
        "rds",
        "RDSDBInstance",
        "Resource: RDS DB instance <dbInstanceId>",
        (("dbInstanceId", "$.detail.resource.rdsDbInstanceDetails.dbInstanceIdentifier"),),
        ("dbInstanceId",),
    ),
    MailShape(
        "lambda",
        "Lambda",
        "Resource: Lambda function <functionName>",
        (("functionName", "$.detail.resource.lambdaDetails.functionName"),),
        ("functionName",),
    ),
)
# Every other finding (new resource types, attack sequences, a known type without its identifying field):
# the resource type only, which every finding has.
OTHER_SHAPE = MailShape("other", None, "Resource type: <resourceType>")
# Sample findings (GuardDuty's "Generate sample findings"): marked, and described by resource type only.
SAMPLE_SHAPE = MailShape(
    "sample",
    None,
    "Resource type: <resourceType>",
    sample=True,
)

_SAMPLE_LINE = "SAMPLE FINDING: generated by GuardDuty for testing, no real resource is affected."


def console_link_template() -> str:
    """Deep link to the finding in the GuardDuty console of the finding's region."""
    return (
        "https://<region>.console.aws.amazon.com/guardduty/home?region=<region>"
        "#/findings?macros=current&fId=<findingId>"
    )


def template_lines(band: Severity, shape: MailShape) -> list[str]:
    """The mail's lines, with `<name>` placeholders, for findings of `band` and `shape`."""
    lines = [f"GuardDuty finding: {band.name} <severity> <type> in account <account>, region <region>"]
    if shape.sample:
        lines.append(_SAMPLE_LINE)
    lines += [
        "Title: <title>",
        "Description: <description>",
        shape.resource_line,
        "First seen: <firstSeen>",
        "Last seen: <lastSeen>",
        "Occurrences: <count>",
        "Finding id: <findingId>",
        "Console: " + console_link_template(),
    ]
    return lines


def input_paths(shape: MailShape) -> dict[str, str]:
    """InputPathsMap: the common paths plus the shape's own, only those its template uses."""
    paths = {**COMMON_PATHS, **shape.path_map()}
    used = "\n".join(template_lines(Severity.LOW, shape))
    return {name: path for name, path in sorted(paths.items()) if f"<{name}>" in used}


def input_template(band: Severity, shape: MailShape) -> str:
    """InputTemplate: one JSON string literal per line (EventBridge's form for multi-line text)."""
    return "\n".join(json.dumps(line) for line in template_lines(band, shape))
