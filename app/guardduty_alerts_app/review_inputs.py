"""The configuration in the review tools' terms: the app hands these to preview, explain and verify (which
know nothing of the YAML file)."""

from __future__ import annotations

from guardduty_alerts_review.alerting import StackAlerting
from guardduty_alerts_review.verify import (
    DeliveryExpectation,
    DetectorExpectation,
    ForwardingExpectation,
    StackExpectation,
)

from .config import AlertsConfig
from .planning import StackPlan, stack_plans

__all__ = ["stack_alerting", "stack_expectations"]


def _alerting(plan: StackPlan, plans: list[StackPlan]) -> StackAlerting:
    settings = plan.config
    served = tuple(
        other.region for other in plans if other.forward_to_region == plan.region and other.account == plan.account
    )
    return StackAlerting(
        name=plan.name,
        region=plan.region,
        alerts_name=settings.name,
        severity_threshold=settings.severity_threshold,
        filters=settings.filters,
        recipients=settings.recipients,
        channels=settings.channels_for(plan.region),
        unrouted=settings.unrouted,
        account_id=plan.account.id if plan.account else None,
        account_names=plan.account_names,
        suppression_rules=settings.suppression_rules,
        subject_formatter=settings.subject_formatter,
        regions_served=served,
        alarm_actions=settings.alarm_actions.get(plan.region),
    )


def stack_alerting(config: AlertsConfig) -> list[StackAlerting]:
    """What each stack that mails says, for the review tools (forwarding stacks mail nothing themselves)."""
    plans = stack_plans(config)
    return [_alerting(plan, plans) for plan in plans if not plan.forward_to_region]


def stack_expectations(config: AlertsConfig) -> list[StackExpectation]:
    """What every stack should hold once applied, for `verify`: the same settings the stacks are built from."""
    plans = stack_plans(config)
    expectations = []
    for plan in plans:
        settings = plan.config
        detector = DetectorExpectation(
            publishing_frequency=settings.finding_publishing_frequency,
            existing_detector_id=settings.existing_detector_ids.get(plan.region),
            protection_plans=settings.protection_plans,
        )
        where = {
            "name": plan.name,
            "region": plan.region,
            "detector": detector,
            "account_id": plan.account.id if plan.account else None,
            "role_arn": plan.account.role_arn if plan.account else None,
            "account_names": plan.account_names,
        }
        if plan.forward_to_region:
            forwarding = ForwardingExpectation(alerts_name=settings.name, home_region=plan.forward_to_region)
            expectations.append(StackExpectation(**where, forwarding=forwarding))
            continue
        delivery = DeliveryExpectation(
            encrypt_topic=settings.encrypt_topic,
            existing_kms_key_arn=settings.existing_kms_key_arns.get(plan.region),
            maximum_event_age_seconds=settings.maximum_event_age_seconds,
            maximum_retry_attempts=settings.maximum_retry_attempts,
        )
        expectations.append(StackExpectation(**where, alerting=_alerting(plan, plans), delivery=delivery))
    return expectations
