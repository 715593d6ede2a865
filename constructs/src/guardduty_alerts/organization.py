"""AWS Organizations: the delegated GuardDuty administrator (management account) and member auto-enable
with protection plans (administrator account)."""

from __future__ import annotations

from constructs import Construct

from ._aws import (
    GuarddutyOrganizationAdminAccount,
    GuarddutyOrganizationConfiguration,
    GuarddutyOrganizationConfigurationFeature,
    GuarddutyOrganizationConfigurationFeatureAdditionalConfiguration,
)
from .protection import ProtectionPlans

__all__ = ["OrganizationAdministrator", "OrganizationMembers"]


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
