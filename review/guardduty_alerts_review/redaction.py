"""Secrets out of plan files before they leave the plan job: `terraform show -json` prints sensitive values in
clear, and the review workflow uploads plan files as artifacts anyone with read access can download.

Terraform's JSON output format (developer.hashicorp.com/terraform/internals/json-format, "JSON Output Format")
keeps each value apart from its sensitivity: a change's `before`/`after` beside `before_sensitive`/
`after_sensitive`, a resource's `values` beside `sensitive_values` (in `planned_values` and `prior_state`), an
output's `value` beside `sensitive: true`, and a root variable's value in `variables` while its `sensitive`
flag is in `configuration.root_module.variables` (terraform's own testdata `show-json-sensitive` shows a
sensitive variable's value in clear). Each sensitivity map mirrors its value: `true` where the value (or the
whole object) is sensitive.

Three kinds of value are hidden whatever Terraform marks, because a URL or a parameter value may reach them
without a sensitive mark (a literal, a non-sensitive variable): an API destination's `invocation_endpoint` (a
chat webhook's URL holds its secret), an SSM parameter's `value`/`insecure_value`, and the path and query of an
HTTPS subscription's `endpoint` (PagerDuty's and Opsgenie's integration key is in the path). Every URL hidden
that way, and its path, is then replaced wherever else it appears: in the configuration's constant values, in
other attributes and in the plan's text.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["REDACTED", "Redaction", "hidden_url", "redact_plan"]

REDACTED = "(redacted)"
# Attributes hidden in any case, by resource type (managed resources and data sources alike).
_ALWAYS_HIDDEN: dict[str, tuple[str, ...]] = {
    "aws_cloudwatch_event_api_destination": ("invocation_endpoint",),
    "aws_ssm_parameter": ("value", "insecure_value"),
}
_SUBSCRIPTION = "aws_sns_topic_subscription"
# Shorter secrets (the chat connection's placeholder API key "webhook") are hidden where they stand but not
# searched for elsewhere: replacing a common word everywhere would garble names and text.
_MIN_SEARCHED_CHARS = 12


def hidden_url(url: str) -> str:
    """A URL as the review shows it: scheme and host, never the path or query that may hold a key."""
    parts = urlsplit(url)
    if parts.scheme and parts.hostname:
        return f"{parts.scheme}://{parts.hostname}/(path hidden)"
    return REDACTED


@dataclass
class Redaction:
    """A plan with its secrets hidden, and what replaces each secret string wherever else it appears."""

    plan: dict[str, Any]
    replacements: dict[str, str] = field(default_factory=dict)

    def text(self, text: str) -> str:
        """`text` (the plan's human-readable form) with every secret string found in the plan replaced; the
        longest first, so that a URL goes before its own path."""
        for secret in sorted(self.replacements, key=len, reverse=True):
            text = text.replace(secret, self.replacements[secret])
        return text


class _Collector:
    def __init__(self) -> None:
        self.replacements: dict[str, str] = {}

    def hide(self, value: Any, shown: str = REDACTED) -> Any:
        """`shown` in place of `value`; every string inside `value` is remembered for the text pass."""
        for text in _strings(value):
            self._remember(text, shown)
        return shown if value is not None else None

    def _remember(self, text: str, shown: str) -> None:
        if len(text) < _MIN_SEARCHED_CHARS:
            return
        self.replacements.setdefault(text, shown)
        parts = urlsplit(text)
        if parts.scheme and parts.hostname:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            # A short path ("/guardduty") is no key, and replacing it everywhere would garble other names.
            if len(path) >= _MIN_SEARCHED_CHARS:
                self.replacements.setdefault(path, "/(path hidden)")

    def masked(self, value: Any, sensitive: Any) -> Any:
        """`value` with every part its sensitivity map marks `true` hidden."""
        if sensitive is True:
            return self.hide(value)
        if isinstance(sensitive, dict) and isinstance(value, dict):
            return {key: self.masked(item, sensitive.get(key)) for key, item in value.items()}
        if isinstance(sensitive, list) and isinstance(value, list):
            return [self.masked(item, sensitive[i] if i < len(sensitive) else None) for i, item in enumerate(value)]
        return value

    def always(self, resource_type: str, values: Any) -> Any:
        """`values` of a resource of `resource_type` with the attributes hidden in any case hidden."""
        if not isinstance(values, dict):
            return values
        result = dict(values)
        for key in _ALWAYS_HIDDEN.get(resource_type, ()):
            if result.get(key) is not None:
                result[key] = self.hide(result[key])
        endpoint = result.get("endpoint")
        if resource_type == _SUBSCRIPTION and isinstance(endpoint, str) and "://" in endpoint:
            parts = urlsplit(endpoint)
            if parts.path.strip("/") or parts.query:
                result["endpoint"] = self.hide(endpoint, hidden_url(endpoint))
        return result


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _modules(module: Any) -> Iterator[dict[str, Any]]:
    if isinstance(module, dict):
        yield module
        for child in module.get("child_modules") or []:
            yield from _modules(child)


def _resources(modules: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for module in modules:
        for resource in module.get("resources") or []:
            if isinstance(resource, dict):
                yield resource


def _redact_values(collector: _Collector, values: Any) -> None:
    """A `values` representation (planned_values, prior_state.values) in place: resources and outputs."""
    if not isinstance(values, dict):
        return
    for resource in _resources(_modules(values.get("root_module"))):
        masked = collector.masked(resource.get("values"), resource.get("sensitive_values"))
        resource["values"] = collector.always(str(resource.get("type", "")), masked)
    for output in (values.get("outputs") or {}).values():
        if isinstance(output, dict) and output.get("sensitive") is True:
            output["value"] = collector.hide(output.get("value"))


def _redact_change(collector: _Collector, resource_type: str, change: Any) -> None:
    if not isinstance(change, dict):
        return
    for side in ("before", "after"):
        masked = collector.masked(change.get(side), change.get(f"{side}_sensitive"))
        change[side] = collector.always(resource_type, masked)


def _sensitive_variables(plan: dict[str, Any]) -> set[str]:
    configuration = plan.get("configuration") or {}
    declared = (configuration.get("root_module") or {}).get("variables") or {}
    return {name for name, spec in declared.items() if isinstance(spec, dict) and spec.get("sensitive") is True}


def _replace_everywhere(value: Any, replacements: dict[str, str], secrets: list[str]) -> Any:
    if isinstance(value, str):
        if value in replacements:
            return replacements[value]
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, replacements[secret])
        return value
    if isinstance(value, dict):
        return {key: _replace_everywhere(item, replacements, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_everywhere(item, replacements, secrets) for item in value]
    return value


def redact_plan(plan: dict[str, Any], *, in_place: bool = False) -> Redaction:
    """`plan` (the JSON of `terraform show -json PLANFILE`) with its secrets hidden: a copy, or with `in_place`
    the document itself, changed (cheaper for a plan just read: plan-summary reads hundreds of megabytes); use
    the returned `plan` either way.
    Applying it twice changes nothing more."""
    document = plan if in_place else copy.deepcopy(plan)
    collector = _Collector()
    for name in _sensitive_variables(document):
        variable = (document.get("variables") or {}).get(name)
        if isinstance(variable, dict) and "value" in variable:
            variable["value"] = collector.hide(variable["value"])
    for key in ("resource_changes", "resource_drift"):
        for item in document.get(key) or []:
            if isinstance(item, dict):
                _redact_change(collector, str(item.get("type", "")), item.get("change"))
    for change in (document.get("output_changes") or {}).values():
        _redact_change(collector, "", change)
    _redact_values(collector, document.get("planned_values"))
    _redact_values(collector, (document.get("prior_state") or {}).get("values"))
    replacements = collector.replacements
    if not replacements:
        return Redaction(plan=document)  # nothing to search for: most stacks have no webhook
    secrets = sorted(replacements, key=len, reverse=True)
    return Redaction(plan=_replace_everywhere(document, replacements, secrets), replacements=replacements)
