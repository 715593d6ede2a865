"""The stack of an account and region that mails alerts: provider, backend, GuardDutyAlerts, outputs."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from guardduty_alerts.alerts import GuardDutyAlerts

from constructs import Construct

from ..config import AlertsConfig
from ..planning import StackPlan
from .common import add_backend, add_estate_resources, add_provider

__all__ = ["GuardDutyAlertsStack"]


class GuardDutyAlertsStack(TerraformStack):
    """One account and region: the AWS provider, a local state file and the GuardDutyAlerts construct."""

    def __init__(
        self, scope: Construct, config: AlertsConfig, region: str, *, state_path: str, plan: StackPlan | None = None
    ) -> None:
        plan = plan or StackPlan(name=config.stack_name(region), region=region, config=config)
        super().__init__(scope, plan.name)
        self.region = region
        add_provider(self, plan, config)
        add_backend(self, plan, state=config.state, state_path=state_path, endpoint_url=config.endpoint_url)
        self.alerts = GuardDutyAlerts(
            self,
            "alerts",
            recipients=config.recipients,
            severity_threshold=config.severity_threshold,
            name=config.name,
            finding_publishing_frequency=config.finding_publishing_frequency,
            existing_detector_id=config.existing_detector_ids.get(region),
            tags=config.tags,
            filters=config.filters,
            suppression_rules=config.suppression_rules,
            subject_formatter=config.subject_formatter,
            encrypt_topic=config.encrypt_topic,
            existing_kms_key_arn=config.existing_kms_key_arns.get(region),
            maximum_event_age_seconds=config.maximum_event_age_seconds,
            maximum_retry_attempts=config.maximum_retry_attempts,
            dead_letter_retention_seconds=config.dead_letter_retention_seconds,
            alarm_actions=config.alarm_actions.get(region, ()),
            event_pattern_size_limit=config.event_pattern_size_limit,
        )
        TerraformOutput(self, "topic_arn", value=self.alerts.topic.arn, description="SNS topic that mails the alerts")
        TerraformOutput(
            self,
            "rule_arns",
            value={key: rule.arn for key, rule in self.alerts.rules.items()},
            description="EventBridge rules selecting findings, by key (severity band, sample; or findings)",
        )
        TerraformOutput(
            self, "detector_id", value=self.alerts.detector_id, description="GuardDuty detector in this region"
        )
        if plan.account is not None:
            # The topic's display name is the sender name of the mails: it says which account they are about.
            self.alerts.topic.display_name = plan.account.display_name
        add_estate_resources(self, plan, detector_id=self.alerts.detector_id, detector=self.alerts.detector)
        TerraformOutput(
            self,
            "dead_letter_queue_url",
            value=self.alerts.dead_letter_queue.url,
            description="SQS queue holding findings EventBridge could not deliver after all retries",
        )
