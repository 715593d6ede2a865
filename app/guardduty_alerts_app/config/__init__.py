"""The YAML configuration, in one place: schema (schema.py), loading and validation (load.py), the settings
sections that have rules of their own (estate.py, suppression.py, protection.py) and the frozen result
(settings.py). Every problem in a file is raised at once as one `guardduty_alerts.ConfigError`."""

from __future__ import annotations

from .load import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, config_path, config_path_and_origin, load_config, parse_config
from .settings import Account, AlertsConfig, OrganizationSettings, S3State

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_PATH",
    "Account",
    "AlertsConfig",
    "OrganizationSettings",
    "S3State",
    "config_path",
    "config_path_and_origin",
    "load_config",
    "parse_config",
]
