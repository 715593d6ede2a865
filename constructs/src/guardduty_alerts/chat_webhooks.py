"""Slack and Teams incoming webhooks (the `slack_webhook` and `teams_webhook` kinds): they ride on their mail
group's band rules, each rule targeting the channel's EventBridge API destination with the band's chat message.
`build_chat_webhooks` makes them all at once, after every band rule exists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from cdktf import TerraformVariable

from constructs import Construct

from ._aws import (
    CloudwatchEventApiDestination,
    CloudwatchEventConnection,
    CloudwatchEventConnectionAuthParameters,
    CloudwatchEventConnectionAuthParametersApiKey,
    CloudwatchEventRule,
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
    DataAwsSsmParameter,
    IamRole,
    IamRolePolicy,
)
from .chat_channels import ChatWebhookChannel
from .chat_messages import chat_transformer
from .naming import api_destination_name, regional_role_name, webhook_connection_name
from .notifications import MailRule
from .patterns import bands_at_or_above
from .policies import EVENTS_PRINCIPAL, invoke_api_destinations_policy, service_role_trust_policy
from .validation import partition_of_region

__all__ = ["ChatTarget", "ChatWebhooks", "build_chat_webhooks"]


@dataclass(frozen=True)
class ChatTarget:
    """One chat webhook channel riding on one band rule of its mail group (what `build_chat_webhooks` makes a
    target of)."""

    channel: ChatWebhookChannel
    mail_rule: MailRule
    rule: CloudwatchEventRule
    threshold: float


@dataclass(frozen=True)
class ChatWebhooks:
    """Slack and Teams incoming webhooks, called by EventBridge API destinations: one connection and one role
    for all of them, one API destination per channel, one target per channel on each band rule it rides on."""

    connection: CloudwatchEventConnection
    destinations: Mapping[str, CloudwatchEventApiDestination]
    targets: Mapping[str, CloudwatchEventTarget]
    role: IamRole
    role_policy: IamRolePolicy


def build_chat_webhooks(
    scope: Construct,
    chat_targets: Sequence[ChatTarget],
    *,
    name: str,
    region: str | None,
    tags: dict[str, str] | None,
    delivery_settings: Mapping[str, Any],
) -> ChatWebhooks | None:
    """Everything the chat webhooks need, in one call once every band rule exists (None without any): the
    role's policy can then list exactly the destinations, and no step can be left out or run early."""
    if not chat_targets:
        return None
    connection = _webhook_connection(scope, name)
    destinations: dict[str, CloudwatchEventApiDestination] = {}
    for chat_target in chat_targets:
        key = chat_target.channel.key()
        if key not in destinations:
            destinations[key] = _api_destination(scope, chat_target.channel, name=name, connection=connection)
    role = IamRole(
        scope,
        "webhooks-role",
        name=regional_role_name(f"{name}-webhooks", region),
        description="Assumed by EventBridge to call the GuardDuty alert chat webhooks",
        assume_role_policy=json.dumps(service_role_trust_policy(EVENTS_PRINCIPAL), sort_keys=True),
        tags=tags,
    )
    # The messages' console links are the region's partition's.
    partition = partition_of_region(region) if region else "aws"
    targets = {
        f"{chat.mail_rule.key}-{chat.channel.key()}": _chat_target(
            scope,
            chat,
            destinations[chat.channel.key()],
            role_arn=role.arn,
            settings=delivery_settings,
            partition=partition,
        )
        for chat in chat_targets
    }
    role_policy = IamRolePolicy(
        scope,
        "webhooks-role-policy",
        role=role.id,
        name="invoke-chat-webhooks",
        policy=json.dumps(
            invoke_api_destinations_policy([d.arn for _, d in sorted(destinations.items())]), sort_keys=True
        ),
    )
    return ChatWebhooks(
        connection=connection,
        destinations=MappingProxyType(destinations),
        targets=MappingProxyType(targets),
        role=role,
        role_policy=role_policy,
    )


def _webhook_connection(scope: Construct, name: str) -> CloudwatchEventConnection:
    """The one connection of every chat webhook."""
    # Incoming webhooks carry their secret in the URL; the connection's API key header is required by
    # EventBridge and ignored by Slack and Teams.
    return CloudwatchEventConnection(
        scope,
        "webhook-connection",
        name=webhook_connection_name(name),
        description="Chat incoming webhooks of the GuardDuty alerts (the secret is the URL)",
        authorization_type="API_KEY",
        auth_parameters=CloudwatchEventConnectionAuthParameters(
            api_key=CloudwatchEventConnectionAuthParametersApiKey(key="X-GuardDuty-Alerts", value="webhook")
        ),
    )


def _chat_target(
    scope: Construct,
    chat: ChatTarget,
    destination: CloudwatchEventApiDestination,
    *,
    role_arn: str,
    settings: Mapping[str, Any],
    partition: str,
) -> CloudwatchEventTarget:
    """The target calling one channel's webhook from one band rule, with the band's chat message (its console
    link in `partition`); `settings` are the retry and dead-letter settings every target shares."""
    channel, mail_rule = chat.channel, chat.mail_rule
    paths, template = chat_transformer(
        channel.kind, mail_rule.band, sample_bands=bands_at_or_above(chat.threshold), partition=partition
    )
    target_key = f"{mail_rule.key}-{channel.key()}"
    return CloudwatchEventTarget(
        scope,
        f"target-{target_key}",
        rule=chat.rule.name,
        arn=destination.arn,
        target_id=channel.key()[:64],
        role_arn=role_arn,
        input_transformer=CloudwatchEventTargetInputTransformer(input_paths=paths, input_template=template),
        **settings,
    )


def _api_destination(
    scope: Construct, channel: ChatWebhookChannel, *, name: str, connection: CloudwatchEventConnection
) -> CloudwatchEventApiDestination:
    """The channel's API destination; its URL from SSM or from a sensitive variable (never in the JSON)."""
    key = channel.key()
    if channel.url_ssm_parameter is not None:
        url = DataAwsSsmParameter(scope, f"{key}-url", name=channel.url_ssm_parameter, with_decryption=True).value
    else:
        variable = TerraformVariable(
            scope,
            f"{key}-url",
            type="string",
            sensitive=True,
            description=f"Incoming webhook URL of the {channel.kind.value} channel {key} (set {channel.url_env_var})",
        )
        assert channel.url_variable is not None
        variable.override_logical_id(channel.url_variable)
        url = variable.string_value
    return CloudwatchEventApiDestination(
        scope,
        f"api-destination-{key}",
        name=api_destination_name(name, key),
        description=f"GuardDuty findings as chat messages ({channel.describe()})",
        connection_arn=connection.arn,
        invocation_endpoint=url,
        http_method="POST",
        # Incoming webhooks accept about one message a second; EventBridge queues and retries beyond.
        invocation_rate_limit_per_second=1,
    )
