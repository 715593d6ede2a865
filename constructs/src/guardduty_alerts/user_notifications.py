"""AWS User Notifications (the `user_notifications` kind): a notification configuration whose event rule AWS
owns, the email contacts it mails, and optionally the account's notification hub. Its API is in us-east-1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from constructs import Construct

from ._aws import (
    AwsProvider,
    NotificationsChannelAssociation,
    NotificationscontactsEmailContact,
    NotificationsEventRule,
    NotificationsNotificationConfiguration,
    NotificationsNotificationHub,
)
from .channel_base import USER_NOTIFICATIONS_API_REGION
from .channel_kinds import UserNotificationsChannel
from .naming import notification_configuration_name
from .patterns import FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE, FindingFilters, all_findings_pattern, pattern_json

__all__ = ["USER_NOTIFICATIONS_API_REGION", "UserNotificationsResources", "add_user_notifications"]


@dataclass(frozen=True)
class UserNotificationsResources:
    configuration: NotificationsNotificationConfiguration
    event_rule: NotificationsEventRule
    contacts: Mapping[str, NotificationscontactsEmailContact]
    associations: Mapping[str, NotificationsChannelAssociation]
    # The account's notification hub, when the channel has create_hub.
    hub: NotificationsNotificationHub | None = None


def add_user_notifications(
    scope: Construct,
    channel: UserNotificationsChannel,
    *,
    name: str,
    threshold: float,
    filters: FindingFilters,
    regions: Sequence[str],
    provider: AwsProvider | None,
    tags: dict[str, str] | None,
    hub_region: str = USER_NOTIFICATIONS_API_REGION,
) -> UserNotificationsResources:
    """A notification configuration whose event rule selects GuardDuty findings at or above the threshold in
    `regions`, and one email contact (activated by its owner once) per address; with `create_hub`, the
    account's notification hub in `hub_region`, registered before the configuration."""
    hub = None
    if channel.create_hub:
        # AWS User Notifications user guide, "Storing, processing, and replicating notifications using
        # notification hubs": at least one hub must exist before any notification configuration.
        hub = NotificationsNotificationHub(
            scope, "user-notifications-hub", notification_hub_region=hub_region, provider=provider
        )
    configuration = NotificationsNotificationConfiguration(
        scope,
        "user-notifications",
        name=notification_configuration_name(name),
        description=f"GuardDuty findings of severity {threshold:g} and above",
        aggregation_duration=channel.aggregation_value,
        tags=tags,
        provider=provider,
        depends_on=[hub] if hub is not None else None,
    )
    # The source and detail type are fields of their own; the pattern narrows by severity and the filters.
    detail_pattern = {"detail": all_findings_pattern(threshold, filters)["detail"]}
    event_rule = NotificationsEventRule(
        scope,
        "user-notifications-rule",
        notification_configuration_arn=configuration.arn,
        source=GUARDDUTY_SOURCE,
        event_type=FINDING_DETAIL_TYPE,
        event_pattern=pattern_json(detail_pattern),
        regions=sorted(regions),
        provider=provider,
    )
    contacts, associations = _contacts(scope, channel.addresses, configuration, provider=provider, tags=tags)
    return UserNotificationsResources(
        configuration=configuration,
        event_rule=event_rule,
        contacts=MappingProxyType(contacts),
        associations=MappingProxyType(associations),
        hub=hub,
    )


def _contacts(
    scope: Construct,
    addresses: Sequence[str],
    configuration: NotificationsNotificationConfiguration,
    *,
    provider: AwsProvider | None,
    tags: dict[str, str] | None,
) -> tuple[dict[str, NotificationscontactsEmailContact], dict[str, NotificationsChannelAssociation]]:
    """One email contact per address (keyed by the address, lower case), each a channel of the configuration."""
    contacts: dict[str, NotificationscontactsEmailContact] = {}
    associations: dict[str, NotificationsChannelAssociation] = {}
    for address in sorted(addresses, key=str.lower):
        key = address.lower()
        contacts[key] = NotificationscontactsEmailContact(
            scope,
            f"user-notifications-contact-{key}",
            name=_contact_name(address),
            email_address=address,
            tags=tags,
            provider=provider,
        )
        associations[key] = NotificationsChannelAssociation(
            scope,
            f"user-notifications-association-{key}",
            arn=contacts[key].arn,
            notification_configuration_arn=configuration.arn,
            provider=provider,
        )
    return contacts, associations


def _contact_name(address: str) -> str:
    # Contact names allow letters, digits, spaces, hyphens and underscores, up to 64 characters.
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in address.lower())
    return cleaned[:64]
