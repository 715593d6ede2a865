"""Resources of the channels that are not the construct's own mail, re-exported from the modules that build
them: raw_groups.py (raw-event topics and what hangs off them: chat configurations, HTTPS and SQS
subscriptions), chat_webhooks.py (chat webhooks behind EventBridge API destinations) and user_notifications.py
(AWS User Notifications). Each function adds resources to the GuardDutyAlerts construct given as `scope`.
"""

from __future__ import annotations

from .channel_base import CHAT_API_REGIONS, USER_NOTIFICATIONS_API_REGION
from .chat_webhooks import ChatTarget, ChatWebhooks, build_chat_webhooks
from .raw_groups import (
    RawGroupResources,
    add_raw_group,
    build_chat_role,
    chat_topic_arns,
    raw_groups_need_chat_role,
)
from .user_notifications import UserNotificationsResources, add_user_notifications

__all__ = [
    "CHAT_API_REGIONS",
    "USER_NOTIFICATIONS_API_REGION",
    "ChatTarget",
    "ChatWebhooks",
    "RawGroupResources",
    "UserNotificationsResources",
    "add_raw_group",
    "add_user_notifications",
    "build_chat_role",
    "build_chat_webhooks",
    "chat_topic_arns",
    "raw_groups_need_chat_role",
]
