"""Every exception of this project: the construct library, the YAML app and the review tools.

    GuardDutyAlertsError        base class; catch this to handle every error of the project
    ├── InvalidPropsError       props given to a construct are invalid (also a ValueError)
    ├── ConfigError             the YAML configuration file is missing, malformed or invalid
    ├── EventFileError          a file given to `main.py preview` is not an EventBridge event
    ├── PlanFileError           a file given to `main.py plan-summary` is not a usable Terraform plan
    ├── UsageError              the options given to a command cannot work together or name nothing
    ├── StackSelectionError     `main.py changed-stacks` / `plan`: a synth output folder or an option is unusable
    ├── EndpointError           `main.py verify` / `preview --aws`: the endpoint answered, but not as AWS does
    └── SynthError              a synthesis worker process failed for a reason other than its input

Each carries every problem found, not only the first, so that one run shows all there is to fix; each
problem names the setting (or file), the value received and what is allowed. The message shows the first
MAX_PROBLEMS_SHOWN problems, each shortened to MAX_PROBLEM_CHARS characters, and how many more there are
(`problems` keeps them all): a generated file with a hundred thousand bad entries gives a screenful, not
megabytes. The command line prints the
message without a traceback and exits with code 2, or 1 for SynthError (the input may be fine: a worker was
killed, ran out of memory or hit a bug).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "MAX_PROBLEMS_SHOWN",
    "MAX_PROBLEM_CHARS",
    "ConfigError",
    "EndpointError",
    "EventFileError",
    "GuardDutyAlertsError",
    "InvalidPropsError",
    "PlanFileError",
    "StackSelectionError",
    "SynthError",
    "UsageError",
]


MAX_PROBLEMS_SHOWN = 20
MAX_PROBLEM_CHARS = 600


def _shortened(problem: str) -> str:
    return problem if len(problem) <= MAX_PROBLEM_CHARS else problem[: MAX_PROBLEM_CHARS - 1] + "…"


class GuardDutyAlertsError(Exception):
    """Base class: a list of problems, each naming the setting, the value received and what is allowed."""

    headline = "invalid input"

    def __init__(self, problems: Iterable[str], *, source: str | None = None) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("an error needs at least one problem")
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = f" in {self.source}" if self.source else ""
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{self.headline}{where}: {count} {noun}"]
        lines += [f"  - {_shortened(problem)}" for problem in self.problems[:MAX_PROBLEMS_SHOWN]]
        if count > MAX_PROBLEMS_SHOWN:
            lines.append(f"  … and {count - MAX_PROBLEMS_SHOWN} more")
        return "\n".join(lines)


class InvalidPropsError(GuardDutyAlertsError, ValueError):
    """The props given to a construct are invalid."""

    headline = "invalid GuardDutyAlerts props"


class ConfigError(GuardDutyAlertsError):
    """The configuration file cannot be used."""

    headline = "invalid configuration"


class EventFileError(GuardDutyAlertsError):
    """A file given to preview is not an EventBridge event (not JSON, or no event envelope)."""

    headline = "not an EventBridge event"


class PlanFileError(GuardDutyAlertsError):
    """A file given to plan-summary is not a usable Terraform plan in JSON."""

    headline = "unusable plan file"


class UsageError(GuardDutyAlertsError):
    """A command's options cannot be used: a stack name the configuration does not have, options that do not
    go together, or a request the configuration cannot satisfy (a sample finding that would not be mailed)."""

    headline = "invalid command line"


class StackSelectionError(GuardDutyAlertsError):
    """The stacks to compare or plan cannot be selected: a synth output folder or an option is unusable."""

    headline = "cannot select stacks"


class EndpointError(GuardDutyAlertsError):
    """The AWS endpoint in use (provider.endpoint_url, AWS_ENDPOINT_URL) answered with something that is not an
    AWS reply: another web server, a proxy's error page. Nothing can be checked there."""

    headline = "not an AWS endpoint"


class SynthError(GuardDutyAlertsError):
    """A synthesis worker process stopped or failed for a reason other than bad input; each problem names the
    worker's stacks and what happened to it."""

    headline = "synthesis failed"
