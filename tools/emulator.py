"""The local AWS emulator (moto) for the tests and the demo, with two missing features stood in for.

STAND-IN FOR A MISSING EMULATOR FEATURE: moto 5.2.5 does not deliver EventBridge events to SNS targets
(`moto/events/models.py`, `Rule.send_to_targets`, lists log groups, archives, SQS, event buses and API
destinations, and raises NotImplementedError for anything else). Real EventBridge publishes the event, after
the target's input transformer, to the topic. `deliver_eventbridge_to_sns()` adds only that branch, and uses
moto's own pieces for the rest, so what decides delivery is what Terraform deployed:
- the rule's event pattern, as stored by moto from PutRule, matched by moto's `EventPattern.matches_event`;
- the target, as stored by moto from PutTargets: its `Input`, `InputPath` or `InputTransformer`, rendered by
  moto's `EventTemplateParser`;
- the topic, published to with moto's SNS backend, which fans out to the topic's subscriptions (SQS here).
Targets of other kinds go to moto's original code unchanged. Not emulated: retries, the dead-letter queue,
KMS and policy evaluation (moto evaluates neither topic policies nor key policies).

STAND-IN FOR A MISSING EMULATOR FEATURE: moto 5.2.5's Lambda ignores a function's `DeadLetterConfig`
(CreateFunction accepts it, GetFunction never returns it), so Terraform sees drift on every plan of a function
that dead-letters its failures (the subject formatter does). `keep_lambda_dead_letter_config()` stores the
setting and returns it, nothing more: no failed invocation is ever dead-lettered by the emulator.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = [
    "EMULATOR_CREDENTIALS",
    "deliver_eventbridge_to_sns",
    "emulator_environment",
    "keep_lambda_dead_letter_config",
    "moto_server",
    "put_guardduty_events",
    "receive_all",
    "render_target_input",
]

# The emulator accepts any credentials; these only keep the AWS SDKs and Terraform from looking for real ones.
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

_installed = False
_lambda_installed = False


def render_target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
    """The message EventBridge sends a target for `event`: constant Input, InputPath, transformer or the event.

    The transformer's input paths are resolved with moto's JSONPath engine and value formatting
    (`EventTemplateParser._stringify`); moto's last step, decoding the filled template as JSON, is left out:
    EventBridge inserts the values into the template text and sends the result as it is (a template for a
    mail is text, not JSON).
    """
    from jsonpath_ng.ext import parse as jsonpath
    from moto.events.utils import EventTemplateParser

    if "Input" in target:
        return target["Input"]
    if "InputPath" in target:
        (match, *_) = jsonpath(target["InputPath"]).find(event)
        return json.dumps(match.value)
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event)
    text = transformer["InputTemplate"]
    for name, path in transformer.get("InputPathsMap", {}).items():
        matches = jsonpath(path).find(event)
        value = EventTemplateParser._stringify(matches[0].value) if matches else None
        # EventBridge leaves a placeholder whose path matches nothing empty.
        text = text.replace(f"<{name}>", value or "")
    text = text.replace("<aws.events.event.json>", json.dumps(event))
    return text.replace("<aws.events.event.ingestion-time>", str(event.get("ingestion-time", "")))


def deliver_eventbridge_to_sns() -> None:
    """Teach moto's EventBridge to publish to SNS targets (idempotent; patches moto's Rule class in-process)."""
    global _installed
    if _installed:
        return
    from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
    from moto.events.models import Rule
    from moto.sns.models import sns_backends
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        sns_targets = [t for t in self.targets if parse_arn(t["Arn"]).service == "sns"]
        if sns_targets and self.event_pattern.matches_event(original_event):
            event = dict(original_event)
            if isinstance(event.get("time"), (int, float)):
                # moto keeps PutEvents' Time as epoch seconds; EventBridge delivers ISO-8601, as moto's SQS
                # branch also renders it.
                event["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(float(event["time"])))
            for target in sns_targets:
                arn = parse_arn(target["Arn"])
                message = render_target_input(target, event) if transform_input else json.dumps(event)
                sns_backends[arn.account][arn.region].publish(message=message, arn=target["Arn"])
        others = [t for t in self.targets if t not in sns_targets]
        if others:
            rest = copy.copy(self)
            rest.targets = others
            original(rest, original_event, transform_input)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
    _installed = True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def moto_server(port: int | None = None) -> Iterator[str]:
    """A moto server on 127.0.0.1 and `port` (default: a free one), with the stand-ins; yields its URL."""
    from moto.server import ThreadedMotoServer

    # One line per request from the embedded HTTP server would drown the demo's output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    deliver_eventbridge_to_sns()
    keep_lambda_dead_letter_config()
    port = port or _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def put_guardduty_events(events_client: Any, events: list[dict[str, Any]]) -> None:
    """Put EventBridge-shaped events (as in shared/findings) on the default bus, as GuardDuty would."""
    for start in range(0, len(events), 10):  # PutEvents takes at most 10 entries
        entries = [
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": event.get("resources", []),
            }
            for event in events[start : start + 10]
        ]
        response = events_client.put_events(Entries=entries)
        assert response["FailedEntryCount"] == 0, response["Entries"]


def receive_all(sqs_client: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message waiting in the queue, deleted as read."""
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs_client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        received = batch.get("Messages", [])
        if not received:
            return messages
        messages += received
        sqs_client.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(received)],
        )


def keep_lambda_dead_letter_config() -> None:
    """Teach moto's Lambda to remember a function's DeadLetterConfig (idempotent; patches in-process)."""
    global _lambda_installed
    if _lambda_installed:
        return
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_configuration = LambdaFunction.get_configuration

    def __init__(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.dead_letter_config = spec.get("DeadLetterConfig")

    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_configuration(self, *args, **kwargs)
        if getattr(self, "dead_letter_config", None):
            config["DeadLetterConfig"] = self.dead_letter_config
        return config

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    _lambda_installed = True


def emulator_environment(endpoint: str, region: str = "us-east-1") -> dict[str, str]:
    """What to export for the emulator: fake credentials, a region, and its URL for every AWS SDK and CLI."""
    return {**EMULATOR_CREDENTIALS, "AWS_DEFAULT_REGION": region, "AWS_ENDPOINT_URL": endpoint}


def main(argv: Sequence[str] | None = None) -> int:
    """`./bin/emulator [--port N]`: the emulator in the foreground until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="bin/emulator",
        description="Run the local AWS emulator (moto, with this project's stand-ins) on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, metavar="N", help="port to listen on (default: a free one)")
    args = parser.parse_args(argv)
    if args.port is not None and not 1 <= args.port <= 65535:
        print(f"error: --port {args.port} is not allowed; allowed: a port number from 1 to 65535", file=sys.stderr)
        return 2
    if args.port is not None:
        # moto's server binds in its own thread and would only log a taken port: find out here, and say so.
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", args.port))
            except OSError as error:
                print(
                    f"error: --port {args.port}: cannot listen on 127.0.0.1:{args.port} ({error.strerror}); "
                    "allowed: a free port, or no --port for any free one",
                    file=sys.stderr,
                )
                return 2
    stop = threading.Event()
    # SIGTERM (a service manager, `kill`) stops as cleanly as Ctrl-C: the server is shut down in `finally`.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with moto_server(args.port) as endpoint:
        exports = " ".join(f"{key}={value}" for key, value in emulator_environment(endpoint).items())
        print(f"local AWS emulator (moto) on {endpoint}; nothing is sent to AWS. Ctrl-C stops it.")
        print("In another shell:")
        print(f"  export {exports}")
        print("and in the configuration (config/try-it.yaml has it for port 4566):")
        print(f"  provider:\n    endpoint_url: {endpoint}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    print("emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
