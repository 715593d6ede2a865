"""The configuration in the review tools' terms: the app hands these to preview and explain (which know
nothing of the YAML file)."""

from __future__ import annotations

from guardduty_alerts_review.alerting import StackAlerting

from .config import AlertsConfig
from .planning import stack_plans

__all__ = ["stack_alerting"]


def stack_alerting(config: AlertsConfig) -> list[StackAlerting]:
    """What each stack that mails says, for the review tools (forwarding stacks mail nothing themselves)."""
    plans = stack_plans(config)
    views = []
    for plan in plans:
        if plan.forward_to_region:
            continue
        settings = plan.config
        served = tuple(
            other.region
            for other in plans
            if other.forward_to_region == plan.region and other.account == plan.account
        )
        views.append(
            StackAlerting(
                name=plan.name,
                region=plan.region,
                alerts_name=settings.name,
                severity_threshold=settings.severity_threshold,
                filters=settings.filters,
                recipients=settings.recipients,
                suppression_rules=settings.suppression_rules,
                subject_formatter=settings.subject_formatter,
                regions_served=served,
            )
        )
    return views
