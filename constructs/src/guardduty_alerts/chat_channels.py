"""The chat kinds: Slack and Teams channels through Amazon Q Developer in chat applications (formerly AWS
Chatbot), which renders the raw event, and Slack and Teams incoming webhooks, called by EventBridge API
destinations with a message of ours. Each says how it is routed, checked, named, described and built (see
channel_base.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .channel_base import (
    CHAT_API_REGIONS,
    SLACK_CHANNEL_PATTERN,
    SLACK_WORKSPACE_PATTERN,
    SSM_PARAMETER_PATTERN,
    TEAMS_CHANNEL_PATTERN,
    URL_ENV_VAR_PATTERN,
    UUID_PATTERN,
    ChannelBase,
    ChannelKind,
    ChannelList,
    ChannelSetup,
    Route,
    matches_pattern,
    slug,
)

if TYPE_CHECKING:
    from constructs import Construct

__all__ = [
    "ChatConfigurationChannel",
    "ChatWebhookChannel",
    "SlackChannel",
    "SlackWebhookChannel",
    "TeamsChannel",
    "TeamsWebhookChannel",
]


@dataclass(frozen=True, kw_only=True)
class ChatConfigurationChannel(ChannelBase):
    """A channel the chat integration holds a configuration for, subscribed to its raw group's topic."""

    chat_configuration: ClassVar[bool] = True

    def _setup_problems(self, at: str, setup: ChannelSetup) -> list[str]:
        if not setup.holds_chat_configurations or setup.chat_provider or setup.region in CHAT_API_REGIONS:
            return []
        return [
            f"{at}: the chat integration's API is in {', '.join(CHAT_API_REGIONS)}, this stack's provider in "
            f"{setup.region or 'an unknown region'}; allowed: pass chat_provider, an AwsProvider (with an alias) "
            "in one of those regions"
        ]

    def delivery_words(self) -> str | None:
        return "Amazon Q renders the finding"


@dataclass(frozen=True, kw_only=True)
class SlackChannel(ChatConfigurationChannel):
    """A Slack channel through Amazon Q Developer in chat applications (formerly AWS Chatbot), which renders
    GuardDuty findings from the raw event. The workspace must be authorized once in its console."""

    kind: ClassVar[ChannelKind] = ChannelKind.SLACK
    workspace_id: str
    channel_id: str

    def _problems(self, *, emulated: bool = False) -> list[tuple[str, str]]:
        problems = []
        if not matches_pattern(SLACK_WORKSPACE_PATTERN, self.workspace_id):
            problems.append(
                (
                    "workspace_id",
                    f"{self.workspace_id!r} is not a Slack workspace id; allowed: T "
                    "followed by upper-case letters and digits, as the chat integration's console shows "
                    "it (T0123ABCDE)",
                )
            )
        if not matches_pattern(SLACK_CHANNEL_PATTERN, self.channel_id):
            problems.append(
                (
                    "channel_id",
                    f"{self.channel_id!r} is not a Slack channel id; allowed: C, G or D "
                    "followed by upper-case letters and digits, the end of the channel's link "
                    "(C0123ABCDE)",
                )
            )
        return problems

    def _default_key(self) -> str:
        return f"slack-{self.channel_id.lower()}"

    def destination(self) -> str:
        # AWS refuses a second configuration of one Slack channel in an account, whatever its name.
        return f"slack:{self.channel_id}"

    def describe(self) -> str:
        return f"Slack channel {self.channel_id} (workspace {self.workspace_id})"

    def once(self, *, region: str | None, raw_topic_arn: Callable[[], str]) -> str:
        return (
            f"authorize Slack workspace {self.workspace_id} in the Amazon Q Developer in chat applications "
            f"console (before the apply), then invite @Amazon Q into channel {self.channel_id}"
        )

    def chat_listing(self) -> tuple[str, str, dict[str, str]]:
        return "describe_slack_channel_configurations", "SlackChannelConfigurations", {}

    def is_configuration_of(self, configuration: dict[str, Any]) -> bool:
        return (
            configuration.get("SlackTeamId") == self.workspace_id
            and configuration.get("SlackChannelId") == self.channel_id
        )

    def configure_chat(self, scope: Construct, common: dict[str, Any]) -> Any:
        from ._aws import ChatbotSlackChannelConfiguration

        return ChatbotSlackChannelConfiguration(
            scope,
            f"chat-{self.key()}",
            slack_team_id=self.workspace_id,
            slack_channel_id=self.channel_id,
            **common,
        )


@dataclass(frozen=True, kw_only=True)
class TeamsChannel(ChatConfigurationChannel):
    """A Microsoft Teams channel through Amazon Q Developer in chat applications; the team must be authorized
    once in its console."""

    kind: ClassVar[ChannelKind] = ChannelKind.TEAMS
    tenant_id: str
    team_id: str
    channel_id: str

    def _problems(self, *, emulated: bool = False) -> list[tuple[str, str]]:
        problems = []
        for field_name in ("tenant_id", "team_id"):
            value = getattr(self, field_name)
            if not matches_pattern(UUID_PATTERN, value):
                problems.append(
                    (
                        field_name,
                        f"{value!r} is not a Microsoft {field_name.split('_')[0]} id; "
                        "allowed: a GUID such as 00000000-0000-0000-0000-000000000000",
                    )
                )
        if not matches_pattern(TEAMS_CHANNEL_PATTERN, self.channel_id):
            problems.append(
                (
                    "channel_id",
                    f"{self.channel_id!r} is not a Teams channel id; allowed: "
                    "19:<id>@thread.tacv2, from the channel's link (URL-decoded)",
                )
            )
        return problems

    def _list_problems(self, at: str, index: int, seen: ChannelList) -> tuple[list[str], bool]:
        first_in_team = seen.teams.setdefault(self.team_id.lower(), index)
        if first_in_team == index or self.destination() in seen.destinations:
            return [], False
        # hashicorp/terraform-provider-aws#38943 and #45081 (open): teams_channel_configuration.go
        # finds a configuration by team_id and asserts a single result.
        return [
            f"{at}.team_id: team {self.team_id} already has a Teams channel in {seen.where}[{first_in_team}]; "
            "allowed: one Teams channel per team in an account, because the AWS provider (5.100) finds a "
            "Teams configuration by its team_id and expects exactly one "
            "(hashicorp/terraform-provider-aws#38943): a second one times out on create and drops out of "
            "the state (use a channel in another team, or a teams_webhook channel)"
        ], True

    def _default_key(self) -> str:
        inner = self.channel_id.split(":", 1)[-1].split("@", 1)[0]
        return f"teams-{slug(inner)[:24]}"

    def destination(self) -> str:
        return f"teams:{self.channel_id}"

    def describe(self) -> str:
        return f"Teams channel {self.channel_id} (team {self.team_id})"

    def once(self, *, region: str | None, raw_topic_arn: Callable[[], str]) -> str:
        return (
            f"authorize team {self.team_id} (tenant {self.tenant_id}) in the Amazon Q Developer in chat "
            "applications console (before the apply), then add the Amazon Q app to the channel"
        )

    def chat_listing(self) -> tuple[str, str, dict[str, str]]:
        return "list_microsoft_teams_channel_configurations", "TeamChannelConfigurations", {"TeamId": self.team_id}

    def is_configuration_of(self, configuration: dict[str, Any]) -> bool:
        return configuration.get("ChannelId") == self.channel_id and configuration.get("TenantId") == self.tenant_id

    def configure_chat(self, scope: Construct, common: dict[str, Any]) -> Any:
        from ._aws import ChatbotTeamsChannelConfiguration

        return ChatbotTeamsChannelConfiguration(
            scope,
            f"chat-{self.key()}",
            tenant_id=self.tenant_id,
            team_id=self.team_id,
            channel_id=self.channel_id,
            **common,
        )


@dataclass(frozen=True, kw_only=True)
class ChatWebhookChannel(ChannelBase):
    """An incoming webhook of a chat tool, called by an EventBridge API destination with a chat message built
    by an input transformer. The URL is a secret: it is read at plan time from an SSM parameter or from the
    environment (TF_VAR_<name>), never written in the configuration or the synthesized JSON. Terraform keeps it
    in its state (marked sensitive) and EventBridge in the API destination."""

    route: ClassVar[Route] = Route.CHAT_WEBHOOK
    tool: ClassVar[str]  # the chat tool, as describe() names it
    samples_words: ClassVar[str] = "posted, marked SAMPLE"
    url_ssm_parameter: str | None = None
    url_env_var: str | None = None

    def _problems(self, *, emulated: bool = False) -> list[tuple[str, str]]:
        given = [value for value in (self.url_ssm_parameter, self.url_env_var) if value is not None]
        if len(given) != 1:
            return [
                (
                    "url_ssm_parameter",
                    "give exactly one of url_ssm_parameter or url_env_var; allowed: the "
                    "name of an SSM SecureString parameter holding the webhook URL (/security/slack-webhook), "
                    "or TF_VAR_<name>, an environment variable Terraform reads at plan time",
                )
            ]
        if self.url_ssm_parameter is not None and not matches_pattern(SSM_PARAMETER_PATTERN, self.url_ssm_parameter):
            return [
                (
                    "url_ssm_parameter",
                    f"{self.url_ssm_parameter!r} is not an SSM parameter name; allowed: a "
                    "path starting with / (/security/slack-webhook)",
                )
            ]
        if self.url_env_var is not None and not matches_pattern(URL_ENV_VAR_PATTERN, self.url_env_var):
            return [
                (
                    "url_env_var",
                    f"{self.url_env_var!r} is not allowed; allowed: TF_VAR_<name> (letters, "
                    "digits, underscores): Terraform reads the URL from it at plan time, so the secret never "
                    "enters the synthesized JSON",
                )
            ]
        return []

    @property
    def url_variable(self) -> str | None:
        """The Terraform variable the URL comes from (`url_env_var` without TF_VAR_), or None."""
        return self.url_env_var[len("TF_VAR_") :] if self.url_env_var else None

    def _source(self) -> str:
        return self.url_ssm_parameter or self.url_env_var or ""

    def _default_key(self) -> str:
        source = self.url_ssm_parameter or self.url_variable or ""
        return f"{self.kind.value.replace('_', '-')}-{slug(source)}"[:40].rstrip("-")

    def destination(self) -> str:
        return f"{self.kind.value}:{self._source()}"

    def describe(self) -> str:
        where = (
            f"SSM parameter {self.url_ssm_parameter}"
            if self.url_ssm_parameter
            else f"environment variable {self.url_env_var}"
        )
        return f"{self.tool} incoming webhook (URL in {where})"

    def _list_problems(self, at: str, index: int, seen: ChannelList) -> tuple[list[str], bool]:
        if self.url_env_var is None:
            return [], False
        first = seen.variables.setdefault(self.url_env_var, index)
        if first == index:
            return [], False
        return [
            f"{at}.url_env_var: {self.url_env_var!r} is also the URL of {seen.where}[{first}]; allowed: one "
            "variable per webhook (two channels posting to one URL are one destination)"
        ], True

    def once(self, *, region: str | None, raw_topic_arn: Callable[[], str]) -> str:
        if self.url_ssm_parameter:
            return f"store the webhook URL in SSM SecureString parameter {self.url_ssm_parameter} before the plan"
        return f"set {self.url_env_var} to the webhook URL wherever Terraform plans and applies"


@dataclass(frozen=True, kw_only=True)
class SlackWebhookChannel(ChatWebhookChannel):
    kind: ClassVar[ChannelKind] = ChannelKind.SLACK_WEBHOOK
    tool: ClassVar[str] = "Slack"


@dataclass(frozen=True, kw_only=True)
class TeamsWebhookChannel(ChatWebhookChannel):
    """Teams "Workflows" webhook (Post to a channel when a webhook request is received): an Adaptive Card."""

    kind: ClassVar[ChannelKind] = ChannelKind.TEAMS_WEBHOOK
    tool: ClassVar[str] = "Teams"
