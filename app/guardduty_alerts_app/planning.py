"""Stack planning: which stacks a configuration gives (one per account and region), what each holds, the
order to deploy them in, and how they are split among synthesis worker processes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from guardduty_alerts.accounts import AccountNames, account_in_words, account_names

from .config import Account, AlertsConfig

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MIN_CHUNK_SIZE",
    "StackPlan",
    "chunk_plans",
    "config_account_names",
    "deployment_order",
    "stack_plans",
]

# How stacks are split among synthesis worker processes (main.py synth --jobs N), measured with bench/estate_scale.py
# (docs/many-accounts.md, "Scale"). A process's CPU time grows about linearly with its stacks (340 stacks of 21
# resources: 18.3 s of CPU in one process, 18.8 s in two of 170), and each further process costs about 2 s of CPU
# (Python, the jsii kernel, the assemblies, Node's JIT warming up again: four chunks of 85 took 22.5 s), so one chunk
# per worker. The largest chunk bounds a process's memory, which does grow with its stacks because the kernel keeps
# every object (largest process: 222 MiB at 170 stacks of 21 resources, 267 MiB at 340; with 75 resources per stack 437
# and 692 MiB; the budget is 700 MB). The smallest share keeps small configurations in one process, where a second one
# costs about as much as it saves: on the shared 2-core machine at load 2, 4 stacks took 1.22 s in one process and
# 1.39 s in two, 17 stacks 1.92 s and 1.79 s, 34 stacks 3.25 s and 2.83 s; at load 5 two processes still lost at 17
# stacks, so splitting starts at 20.
DEFAULT_CHUNK_SIZE = 170
MIN_CHUNK_SIZE = 10


@dataclass(frozen=True)
class StackPlan:
    """What one stack holds: an account (None: the credentials' own account) and region, and its roles in it."""

    name: str
    region: str
    config: AlertsConfig
    account: Account | None = None
    # With a central inbox, regions other than the home region only forward findings to it.
    forward_to_region: str | None = None
    # Organization mode: designate this administrator account (management account stacks) ...
    designate_administrator: str | None = None
    # ... or auto-enable GuardDuty for every member (administrator account stacks), with this setting.
    auto_enable_members: str | None = None
    # Every account of the config by id, for mails that name accounts in words (a central inbox or an
    # administrator account receives other accounts' findings). Empty without `accounts`.
    account_names: AccountNames = field(default_factory=lambda: account_names({}))

    @property
    def imports_detector(self) -> bool:
        """The administrator account's detector exists once the management account has designated it: its
        stack imports it on the first apply instead of creating one (unless an existing id is adopted)."""
        return self.auto_enable_members is not None and self.region not in self.config.existing_detector_ids


def config_account_names(config: AlertsConfig) -> AccountNames:
    """Every account of the config, id -> name (empty without `accounts`), for what names accounts in words."""
    return account_names({account.id: account.name for account in config.accounts})


def stack_plans(config: AlertsConfig) -> list[StackPlan]:
    """Every stack, ordered by name; names and contents depend on names and regions, never on list order."""
    organization = config.organization
    plans = []
    targets: list[tuple[Account | None, AlertsConfig, str]] = (
        [(account, account.config, f"{config.name}-{account.name}") for account in config.accounts]
        if config.accounts
        else [(None, config, config.name)]
    )
    names = config_account_names(config)
    for account, settings, prefix in targets:
        home = settings.central_inbox_home_region
        for region in sorted(settings.regions):
            designate = auto_enable = None
            if organization and account is not None:
                if account.id == organization.management_account:
                    admin_regions = next(
                        a.config.regions for a in config.accounts if a.id == organization.administrator_account
                    )
                    designate = organization.administrator_account if region in admin_regions else None
                if account.id == organization.administrator_account:
                    auto_enable = organization.auto_enable
            plans.append(
                StackPlan(
                    name=f"{prefix}-{region}",
                    region=region,
                    config=settings,
                    account=account,
                    forward_to_region=home if home and home != region else None,
                    designate_administrator=designate,
                    auto_enable_members=auto_enable,
                    account_names=names,
                )
            )
    return sorted(plans, key=lambda plan: plan.name)


def deployment_order(config: AlertsConfig) -> list[tuple[int, StackPlan, str]]:
    """(step, stack, what it holds), in the order to deploy: with Organizations, the management account's
    stacks designate the administrator first, then the administrator's stacks, then everything else. In each
    account the stack holding the chat configurations comes a step after the account's other regions when it
    subscribes to their topics: a configuration's topics must exist before it is created or updated."""

    def account_step(plan: StackPlan) -> int:
        if config.organization is None or plan.account is None:
            return 1
        if plan.account.id == config.organization.management_account:
            return 1
        return 2 if plan.account.id == config.organization.administrator_account else 3

    def step(plan: StackPlan) -> int:
        return account_step(plan) + (1 if _other_chat_regions(plan) else 0)

    rows = []
    for plan in stack_plans(config):
        what = [f"forwards findings to {plan.forward_to_region}" if plan.forward_to_region else "alerts"]
        if plan.designate_administrator:
            administrator = account_in_words(plan.designate_administrator, plan.account_names)
            what.append(f"designates {administrator} as GuardDuty administrator")
        if plan.auto_enable_members:
            what.append(f"auto-enables GuardDuty for members ({plan.auto_enable_members})")
        if plan.imports_detector:
            what.append("imports the detector designation created")
        if plan.config.chat_home_region == plan.region:
            others = _other_chat_regions(plan)
            what.append(
                "holds the account's chat configurations"
                + (f", subscribed to the topics of {', '.join(others)} too (apply those first)" if others else "")
            )
        rows.append((step(plan), plan, "; ".join(what)))
    return sorted(rows, key=lambda row: (row[0], row[1].name))


def _other_chat_regions(plan: StackPlan) -> tuple[str, ...]:
    """The other regions whose raw topics the chat configurations of `plan`'s stack subscribe to by ARN.

    Why their stacks go first: the provider passes `sns_topic_arns` to CreateSlackChannelConfiguration
    unchecked (a plain set of strings, no validator, in provider 5.100), and AWS's API reference gives only the
    ARN's pattern, not what happens for a topic that does not exist yet (a refusal, or a configuration that
    never receives from it). Applying the topics' stacks first avoids both."""
    regions = plan.config.chat_topic_regions(plan.region) or ()
    return tuple(region for region in regions if region != plan.region)


def chunk_plans(
    plans: Sequence[StackPlan], *, jobs: int, chunk_size: int, min_chunk_size: int = MIN_CHUNK_SIZE
) -> list[tuple[StackPlan, ...]]:
    """`plans` in name order cut into consecutive chunks, one per synthesis process: one per job as long as
    each gets `min_chunk_size` stacks, more when a chunk would exceed `chunk_size`, sizes differing by at most
    one. One chunk means: synthesize in this process. The same plans always give the same chunks."""
    if jobs < 1 or chunk_size < 1 or min_chunk_size < 1:
        raise ValueError(
            f"jobs ({jobs}), chunk_size ({chunk_size}) and min_chunk_size ({min_chunk_size}) must be at least 1"
        )
    ordered = sorted(plans, key=lambda plan: plan.name)
    if not ordered:
        return []
    count = max(1, min(jobs, len(ordered) // min_chunk_size), math.ceil(len(ordered) / chunk_size))
    size, larger = divmod(len(ordered), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < larger else 0)
        chunks.append(tuple(ordered[start:end]))
        start = end
    return chunks
