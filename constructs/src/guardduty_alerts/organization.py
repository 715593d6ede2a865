"""AWS Organizations: the delegated GuardDuty administrator (management account), member auto-enable with
protection plans (administrator account), and adopting the detector designation created (administrator
account)."""

from __future__ import annotations

from constructs import Construct

from ._aws import (
    DataAwsGuarddutyDetector,
    GuarddutyDetector,
    GuarddutyOrganizationAdminAccount,
    GuarddutyOrganizationConfiguration,
    GuarddutyOrganizationConfigurationFeature,
    GuarddutyOrganizationConfigurationFeatureAdditionalConfiguration,
)
from .protection import ProtectionPlans

__all__ = ["OrganizationAdministrator", "OrganizationMembers", "adopt_region_detector"]


class OrganizationAdministrator(Construct):
    """In the management account: make `administrator_account` the delegated GuardDuty administrator here."""

    def __init__(self, scope: Construct, id_: str, *, administrator_account: str) -> None:
        super().__init__(scope, id_)
        self.admin_account = GuarddutyOrganizationAdminAccount(
            self, "admin-account", admin_account_id=administrator_account
        )


class OrganizationMembers(Construct):
    """In the administrator account: GuardDuty on for member accounts, with the chosen protection plans."""

    def __init__(
        self, scope: Construct, id_: str, *, detector_id: str, auto_enable: str, plans: ProtectionPlans
    ) -> None:
        super().__init__(scope, id_)
        self.configuration = GuarddutyOrganizationConfiguration(
            self, "configuration", detector_id=detector_id, auto_enable_organization_members=auto_enable
        )
        self.features: dict[str, GuarddutyOrganizationConfigurationFeature] = {}
        for plan, enabled, agents in plans.features():
            self.features[plan.value] = GuarddutyOrganizationConfigurationFeature(
                self,
                plan.key.replace("_", "-"),
                detector_id=detector_id,
                name=plan.value,
                auto_enable=auto_enable if enabled else "NONE",
                additional_configuration=[
                    GuarddutyOrganizationConfigurationFeatureAdditionalConfiguration(
                        name=agent.value, auto_enable=auto_enable if on else "NONE"
                    )
                    for agent, on in agents
                ]
                or None,
                depends_on=[self.configuration],
            )


def adopt_region_detector(detector: GuarddutyDetector) -> DataAwsGuarddutyDetector:
    """Import the region's existing detector into `detector` on the first apply, instead of creating one.

    For the delegated administrator account: designating it (OrganizationAdministrator, in the management
    account) turns GuardDuty on there, so its detector exists before its own stack is applied, and creating a
    second one fails ("a detector already exists"). This adds a data source that reads the region's one
    detector (it takes no id) and a Terraform `import` block fed from it (Terraform 1.6 or later: the id is an
    expression known at plan time). Once imported, the block does nothing more; the detector's settings are
    managed like a created one's.

    Only where a detector is certain to exist: with none, or with several, the data source fails the plan
    ("empty result" / "too many results"). Returns the data source, added next to the detector.
    """
    existing = DataAwsGuarddutyDetector(detector.node.scope, "region-detector")
    detector.import_from(existing.id)
    return existing
