"""The stack of an account and region that mails alerts: provider, backend, GuardDutyAlerts, outputs."""

from __future__ import annotations

import json

from cdktf import TerraformOutput, TerraformStack
from guardduty_alerts.alerts import GuardDutyAlerts
from guardduty_alerts.channel_delivery import CHAT_API_REGIONS, USER_NOTIFICATIONS_API_REGION
from guardduty_alerts.channels import ChannelKind

from constructs import Construct

from ..config import AlertsConfig
from ..planning import StackPlan
from .common import add_backend, add_estate_resources, add_provider

__all__ = ["CHAT_PROVIDER_REGION", "GuardDutyAlertsStack"]

# Where stacks outside the chat integration's API regions create their chat configurations: the region of its
# console.
CHAT_PROVIDER_REGION = "us-east-2"


class GuardDutyAlertsStack(TerraformStack):
    """One account and region: the AWS provider, a local state file and the GuardDutyAlerts construct."""

    def __init__(
        self, scope: Construct, config: AlertsConfig, region: str, *, state_path: str, plan: StackPlan | None = None
    ) -> None:
        plan = plan or StackPlan(name=config.stack_name(region), region=region, config=config)
        super().__init__(scope, plan.name)
        self.region = region
        add_provider(self, plan, config)
        channels = config.channels_for(region)
        chat_provider = notifications_provider = None
        # One stack of the account holds the chat configurations (one per Slack channel per account).
        chat_topic_regions = config.chat_topic_regions(region)
        holds_chat = chat_topic_regions is None or bool(chat_topic_regions)
        if holds_chat and region not in CHAT_API_REGIONS and any(c.chat_configuration for c in channels):
            # The chat integration's API is in a few regions only; its configurations serve every region.
            chat_provider = add_provider(self, plan, config, alias="chat", region=CHAT_PROVIDER_REGION)
        if region != USER_NOTIFICATIONS_API_REGION and any(c.kind is ChannelKind.USER_NOTIFICATIONS for c in channels):
            notifications_provider = add_provider(
                self, plan, config, alias="notifications", region=USER_NOTIFICATIONS_API_REGION
            )
        add_backend(self, plan, state=config.state, state_path=state_path, endpoint_url=config.endpoint_url)
        self.alerts = GuardDutyAlerts(
            self,
            "alerts",
            recipients=config.recipients,
            channels=channels,
            chat_provider=chat_provider,
            notifications_provider=notifications_provider,
            chat_topic_regions=chat_topic_regions,
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
            alarm_actions=config.alarm_actions.get(region),
            event_pattern_size_limit=config.event_pattern_size_limit,
            account_names=plan.account_names or None,
        )
        if self.alerts.topic is not None:
            TerraformOutput(
                self, "topic_arn", value=self.alerts.topic.arn, description="SNS topic that mails the alerts"
            )
        TerraformOutput(
            self,
            "rule_arns",
            value={key: rule.arn for key, rule in self.alerts.rules.items()},
            description="EventBridge rules selecting findings, by key (severity band, sample; or findings)",
        )
        TerraformOutput(
            self, "detector_id", value=self.alerts.detector_id, description="GuardDuty detector in this region"
        )
        if self.alerts.sqs_policy_statements:
            TerraformOutput(
                self,
                "sqs_queue_policy_statements",
                value={
                    key: json.dumps(statement, sort_keys=True)
                    for key, statement in self.alerts.sqs_policy_statements.items()
                },
                description="For each sqs channel, the statement its queue policy needs so the topic can deliver",
            )
        if plan.account is not None and self.alerts.topic is not None:
            # The topic's display name is the sender name of the mails: it says which account they are about.
            self.alerts.topic.display_name = plan.account.display_name
        add_estate_resources(self, plan, detector_id=self.alerts.detector_id, detector=self.alerts.detector)
        TerraformOutput(
            self,
            "dead_letter_queue_url",
            value=self.alerts.dead_letter_queue.url,
            description="SQS queue holding findings EventBridge could not deliver after all retries",
        )
