"""AWS access for the live checks: clients per account and region, and AWS errors turned into sentences.

Every call goes through `call`, which turns botocore's exceptions into `AwsCallFailed`: the IAM action that
was attempted (`sns:GetTopicAttributes`), AWS's error code and message, and whether it was a refusal. A check
that meets one fails with that sentence instead of a traceback; an access denial names the missing permission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, NoReturn

from guardduty_alerts.errors import EndpointError

__all__ = [
    "ACCESS_DENIED_CODES",
    "CREDENTIAL_CODES",
    "AwsCallFailed",
    "Clients",
    "call",
    "connect",
    "pages",
]

# AccessDeniedException: GuardDuty, EventBridge, KMS (JSON protocols); AccessDenied: STS, CloudWatch, SQS;
# AuthorizationError: SNS. Matched on the code, never on the message.
ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied", "AuthorizationError"})
# The credentials themselves are refused, whatever they are allowed to do.
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
    }
)
# botocore's own exceptions (no request was answered), by class name.
MISSING_CREDENTIALS = frozenset({"NoCredentialsError", "PartialCredentialsError", "NoAuthTokenError"})
UNREACHABLE = frozenset({"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError"})
# boto3's service names for the clients used here happen to be the IAM prefixes of their actions; spelled out
# so that a client added later without a prefix fails loudly.
_IAM_PREFIX = {
    "chatbot": "chatbot",
    "cloudwatch": "cloudwatch",
    "events": "events",
    "guardduty": "guardduty",
    "kms": "kms",
    "notifications": "notifications",
    "notificationscontacts": "notifications-contacts",
    "sns": "sns",
    "sqs": "sqs",
    "sts": "sts",
}
SESSION_NAME = "guardduty-alerts-verify"


class AwsCallFailed(Exception):
    """An AWS call that did not succeed, in words."""

    def __init__(self, action: str, code: str, message: str) -> None:
        self.action = action
        self.code = code
        self.message = message
        super().__init__(self.sentence())

    @property
    def denied(self) -> bool:
        return self.code in ACCESS_DENIED_CODES

    @property
    def not_emulated(self) -> bool:
        """The endpoint answered with a web page saying 404: an emulator (moto) without this API, such as
        GuardDuty's CreateSampleFindings. AWS itself answers every API of a service it offers with a JSON error."""
        return self.code == "404" and self.message.lstrip().lower().startswith(("<!doctype html", "<html"))

    def sentence(self) -> str:
        if self.not_emulated:
            return f"{self.action} needs real AWS: the endpoint (an emulator) does not implement it (HTTP 404)"
        if self.denied:
            return f"access denied to {self.action} ({self.code}: {self.message})"
        if self.code in CREDENTIAL_CODES:
            return f"the credentials were refused calling {self.action} ({self.code}: {self.message})"
        if self.code in MISSING_CREDENTIALS:
            return f"no AWS credentials were found to call {self.action} ({self.message})"
        if self.code in UNREACHABLE:
            return f"the AWS endpoint for {self.action} could not be reached ({self.message})"
        return f"{self.action} failed ({self.code}: {self.message})"

    def fix(self, identity: str | None) -> str:
        who = identity or "the credentials in use"
        if self.denied:
            return (
                f"allow {self.action} for {who} "
                "(docs/verify.md, 'The IAM policy for verify', has the whole read-only policy)"
            )
        if self.code in CREDENTIAL_CODES | MISSING_CREDENTIALS:
            return (
                "give credentials for the account: environment variables, AWS_PROFILE, or an SSO session (aws sso "
                "login); then run verify again"
            )
        if self.code in UNREACHABLE:
            return "check the network, and provider.endpoint_url in the configuration if it names an emulator"
        if self.not_emulated:
            return "run this against a real AWS account (without provider.endpoint_url); the emulator cannot do it"
        return "run verify again; if it persists, the message above is AWS's reason"


def _action(client: Any, method: str) -> str:
    service = client.meta.service_model.service_name
    operation = client.meta.method_to_api_mapping.get(method, method)
    return f"{_IAM_PREFIX[service]}:{operation}"


def _in_parser(traceback: TracebackType | None) -> bool:
    """Whether an exception was raised by botocore's response parsers (the reply was not what AWS sends)."""
    last = None
    while traceback is not None:
        last, traceback = traceback, traceback.tb_next
    return last is not None and str(last.tb_frame.f_globals.get("__name__", "")).startswith("botocore.parsers")


def _not_aws(client: Any, method: str, error: Exception) -> NoReturn:
    # Every later call would meet the same endpoint: one error for the command, not a failed check per call.
    endpoint = client.meta.endpoint_url
    raise EndpointError(
        [
            f"{endpoint} answered {_action(client, method)} with a reply that is not AWS's ({type(error).__name__}: "
            f"{str(error)[:200]}); allowed: AWS, or an emulator of it (moto), as provider.endpoint_url or "
            "AWS_ENDPOINT_URL"
        ]
    ) from None


def call(client: Any, method: str, **params: Any) -> dict[str, Any]:
    """`client.<method>(**params)`, with any botocore failure raised as AwsCallFailed; a reply that is not
    AWS's (botocore cannot parse it) as EndpointError."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    try:
        return getattr(client, method)(**params)
    except ResponseParserError as error:
        _not_aws(client, method, error)
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        if not _in_parser(error.__traceback__):
            raise  # a bug, not a reply: keep its traceback
        _not_aws(client, method, error)
    except ClientError as error:
        details = error.response.get("Error", {})
        raise AwsCallFailed(
            _action(client, method), str(details.get("Code", "Unknown")), str(details.get("Message", error))
        ) from None
    except BotoCoreError as error:
        # No credentials, no route to the endpoint, a timeout: botocore's own message says which.
        raise AwsCallFailed(_action(client, method), type(error).__name__, str(error)) from None


def pages(client: Any, method: str, key: str, **params: Any) -> Iterator[Any]:
    """Every item under `key` across the pages of a paginated call."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    try:
        for page in client.get_paginator(method).paginate(**params):
            yield from page.get(key, [])
    except ResponseParserError as error:
        _not_aws(client, method, error)
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        if not _in_parser(error.__traceback__):
            raise
        _not_aws(client, method, error)
    except ClientError as error:
        details = error.response.get("Error", {})
        raise AwsCallFailed(
            _action(client, method), str(details.get("Code", "Unknown")), str(details.get("Message", error))
        ) from None
    except BotoCoreError as error:
        raise AwsCallFailed(_action(client, method), type(error).__name__, str(error)) from None


class Clients:
    """One boto3 client per service for one account and region, made on first use by `factory(service)`; with
    `regional(service, region)`, clients of the same account in another region too (`at`)."""

    def __init__(self, factory: Callable[[str], Any], regional: Callable[[str, str], Any] | None = None) -> None:
        self._factory = factory
        self._regional = regional
        self._made: dict[str, Any] = {}
        self._made_at: dict[tuple[str, str], Any] = {}

    def __getitem__(self, service: str) -> Any:
        if service not in self._made:
            self._made[service] = self._factory(service)
        return self._made[service]

    def at(self, service: str, region: str) -> Any:
        """The client of `service` in `region`: for APIs that exist in a few regions only (the chat
        integration's, User Notifications'), whose data is the account's, not the region's. Without a
        regional factory, the stack region's client."""
        if self._regional is None:
            return self[service]
        if (service, region) not in self._made_at:
            self._made_at[(service, region)] = self._regional(service, region)
        return self._made_at[(service, region)]


def _config() -> Any:
    from botocore.config import Config

    # Few retries and short timeouts: an unreachable endpoint is reported in seconds, not minutes.
    return Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)


def connect(*, region: str, endpoint_url: str | None, role_arn: str | None) -> Clients:
    """Clients for `region` with the environment's credentials, or with `role_arn` assumed first (the role the
    stack's provider assumes). Every client uses `endpoint_url` when given (a local emulator).

    Raises AwsCallFailed when the role cannot be assumed.
    """
    import boto3

    session = boto3.session.Session()
    if role_arn:
        sts = session.client("sts", region_name=region, endpoint_url=endpoint_url, config=_config())
        credentials = call(sts, "assume_role", RoleArn=role_arn, RoleSessionName=SESSION_NAME)["Credentials"]
        session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
    config = _config()
    return Clients(
        lambda service: session.client(service, region_name=region, endpoint_url=endpoint_url, config=config),
        lambda service, other: session.client(service, region_name=other, endpoint_url=endpoint_url, config=config),
    )
