"""The Terraform stacks: one per account and region (stack planning in ../planning.py), synthesized by
synth.py into cdktf.out/.

Building stacks loads the hashicorp/aws provider bindings. This is the one place that switches on the construct
library's fast provider loader (`guardduty_alerts.fast_provider`: only the provider modules used are loaded,
in Python and in the jsii kernel; it puts a lazy `cdktf_cdktf_provider_aws` package in `sys.modules` and adds a
`--require` hook to NODE_OPTIONS), before any module of this package imports the bindings. Importing the
construct library alone does neither.
"""

from __future__ import annotations

from guardduty_alerts import fast_provider

fast_provider.install()

__all__ = ["warm_up"]


def warm_up() -> None:
    """Start the jsii kernel in a thread while the caller reads its configuration (see fast_provider)."""
    fast_provider.warm_up_kernel()
