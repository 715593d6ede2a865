"""The region's GuardDuty detector and its suppression filters, built the same way, at the same construct
paths ("<scope>/detector", "<scope>/suppression-<name>"), by GuardDutyAlerts and by the central inbox's
forwarding stacks: turning the inbox on or off keeps the detector, and with it the region's findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from constructs import Construct

from ._aws import (
    DataAwsGuarddutyDetector,
    GuarddutyDetector,
    GuarddutyFilter,
    GuarddutyFilterFindingCriteria,
    GuarddutyFilterFindingCriteriaCriterion,
)
from .checkov_skips import skip_check
from .suppression import SuppressionRule
from .validation import PublishingFrequency

__all__ = ["add_detector", "add_suppression_filters"]


def add_detector(
    scope: Construct,
    *,
    existing_detector_id: str | None,
    finding_publishing_frequency: PublishingFrequency | str,
    tags: Mapping[str, str] | None,
) -> tuple[GuarddutyDetector | None, DataAwsGuarddutyDetector | None, str]:
    """The region's detector under `scope` ("detector"), or the existing one read by id ("existing-detector"):
    returns (created, adopted, its id). Shared by GuardDutyAlerts and the central inbox's forwarding stacks,
    which keep it at the same construct path, so turning the inbox on or off keeps the detector."""
    if existing_detector_id is not None:
        # A data source, not an import: plan fails with a clear error if the id is wrong, and the detector's
        # own settings stay with whoever manages it.
        existing = DataAwsGuarddutyDetector(scope, "existing-detector", id=existing_detector_id)
        return None, existing, existing.id
    frequency = PublishingFrequency(
        finding_publishing_frequency.value
        if isinstance(finding_publishing_frequency, PublishingFrequency)
        else finding_publishing_frequency
    )
    detector = GuarddutyDetector(
        scope, "detector", enable=True, finding_publishing_frequency=frequency.value, tags=dict(tags or {}) or None
    )
    skip_check(
        detector,
        "CKV2_AWS_3",
        "organization-wide auto-enable (aws_guardduty_organization_configuration) is set by the delegated "
        "administrator account; this construct enables the detector of its own account in every configured "
        "region",
    )
    return detector, None, detector.id


def add_suppression_filters(
    scope: Construct, *, detector_id: str, rules: Sequence[SuppressionRule]
) -> Mapping[str, GuarddutyFilter]:
    """GuardDuty ARCHIVE filters under `scope`, keyed (and given construct IDs) by rule name.

    The rank GuardDuty needs follows the list order. Shared by GuardDutyAlerts and the central inbox's
    forwarding stacks, which keep the filters at the same construct path.
    """
    return MappingProxyType(
        {
            rule.name: GuarddutyFilter(
                scope,
                f"suppression-{rule.name}",
                detector_id=detector_id,
                name=rule.name,
                description=rule.description or None,
                action="ARCHIVE",
                rank=rank,
                finding_criteria=GuarddutyFilterFindingCriteria(
                    criterion=[_criterion(block) for block in rule.criterion_list()]
                ),
                # Untagged: a filter costs nothing and is found through its detector; the local emulator
                # also drops filter tags, which would make every plan after apply show a change.
            )
            for rank, rule in enumerate(rules, start=1)
        }
    )


def _criterion(block: dict[str, object]) -> GuarddutyFilterFindingCriteriaCriterion:
    # The bindings call Terraform's `equals` argument `equal_to` (`equals` is taken in jsii's object model).
    arguments = {("equal_to" if key == "equals" else key): value for key, value in block.items()}
    return GuarddutyFilterFindingCriteriaCriterion(**arguments)  # type: ignore[arg-type]
