"""Static-analysis suppressions written beside the resource they concern, with the reason.

checkov reads `checkov:skip=<check id>:<reason>` from the lines of a resource in Terraform JSON; cdktf keeps a
`//` (comment) object on every resource, which Terraform ignores, so the suppression travels with the
synthesized resource and is visible to anyone reading the plan or the JSON.
"""

from __future__ import annotations

from cdktf import TerraformResource

__all__ = ["skip_check"]


def skip_check(resource: TerraformResource, check_id: str, reason: str) -> None:
    """Tell checkov that `check_id` does not apply to `resource`, and why (the reason is required)."""
    if not reason.strip():
        raise ValueError("a suppression needs a reason")
    resource.add_override(f"//.checkov.{check_id}", f"checkov:skip={check_id}:{reason}")
