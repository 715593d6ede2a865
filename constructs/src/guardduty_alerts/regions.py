"""AWS commercial regions (partition `aws`), kept here and nowhere else."""

from __future__ import annotations

__all__ = ["ALL_REGIONS", "DEFAULT_ENABLED_REGIONS", "OPT_IN_REGIONS"]

# Enabled in every account by default.
DEFAULT_ENABLED_REGIONS: tuple[str, ...] = (
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)

# Must be enabled by the account owner before anything can be deployed there.
OPT_IN_REGIONS: tuple[str, ...] = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
)

ALL_REGIONS: tuple[str, ...] = tuple(sorted(DEFAULT_ENABLED_REGIONS + OPT_IN_REGIONS))
