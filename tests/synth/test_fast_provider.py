"""Fast synth (guardduty_alerts._provider_loader): the same Terraform JSON as the full provider import, from a
handful of provider modules; any other provider version falls back to the full import with a notice.

Each case runs in its own interpreter: which provider modules get loaded is decided once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from guardduty_alerts.fast_provider import (
    EAGER_ENV_VAR,
    NODE_BANNER_ENV_VAR,
    NODE_HOOK,
    PROVIDER_PACKAGE,
    VERIFIED_VERSION,
)
from helpers import EXAMPLE_CONFIG, REPO

# Synthesize like `python main.py`, then report how many provider submodules the interpreter loaded.
SYNTH_AND_COUNT = """
import json, sys
from guardduty_alerts_app.cli import main
code = main(sys.argv[1:])
loaded = sorted(name for name in sys.modules if name.startswith("cdktf_cdktf_provider_aws."))
print(json.dumps({"exit": code, "provider_modules": loaded}))
"""


def python(code: str, *args: str, eager: bool = False, cwd: Path = REPO) -> subprocess.Popen[str]:
    # Without the banner setting of conftest: the package itself must silence it.
    env = {k: v for k, v in os.environ.items() if k not in (EAGER_ENV_VAR, NODE_BANNER_ENV_VAR, "NODE_OPTIONS")}
    if eager:
        env[EAGER_ENV_VAR] = "1"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return stdout, stderr


def files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.mark.slow
def test_synthesized_json_is_byte_identical_with_and_without_the_fast_loader(tmp_path: Path) -> None:
    runs = {}
    for variant in ("fast", "eager"):
        outdir = tmp_path / variant / "cdktf.out"
        args = ("synth", "--config", str(EXAMPLE_CONFIG), "--outdir", str(outdir), "--state-dir", str(tmp_path))
        runs[variant] = (outdir, python(SYNTH_AND_COUNT, *args, eager=variant == "eager"))
    reports = {}
    for variant, (_, process) in runs.items():
        stdout, stderr = finish(process)
        reports[variant] = json.loads(stdout.splitlines()[-1])
        assert "Node 20 is end-of-life" not in stderr
        assert "notice:" not in stderr

    fast, eager = files(runs["fast"][0]), files(runs["eager"][0])
    assert sorted(fast) == [
        "manifest.json",
        "stacks/guardduty-alerts-eu-west-1/cdk.tf.json",
        "stacks/guardduty-alerts-us-east-1/cdk.tf.json",
    ]
    assert fast == eager
    # Proof that the two runs took different paths: the eager one loaded every resource module.
    assert reports["eager"]["exit"] == reports["fast"]["exit"] == 0
    assert len(reports["eager"]["provider_modules"]) > 2000
    assert f"{PROVIDER_PACKAGE}.sns_topic" in reports["fast"]["provider_modules"]
    # About 72 with the estate (accounts, Organizations, central inbox) and channel classes; eager over 2,000.
    assert len(reports["fast"]["provider_modules"]) < 90, reports["fast"]["provider_modules"]


def test_other_provider_versions_fall_back_to_the_full_import_with_a_notice() -> None:
    code = f"""
import os, sys
from guardduty_alerts import fast_provider as loader
installed = loader.install(version="20.2.0")
print(installed, loader.PROVIDER_PACKAGE in sys.modules, {str(NODE_HOOK)!r} in os.environ.get("NODE_OPTIONS", ""))
"""
    stdout, stderr = finish(python(code))
    assert stdout.split() == ["False", "False", "False"]
    assert stderr == (
        f"notice: cdktf-cdktf-provider-aws 20.2.0 is not the verified {VERIFIED_VERSION}; "
        "importing the whole provider package (slower synth)\n"
    )


def test_importing_the_library_or_its_constructs_module_changes_nothing_in_the_interpreter() -> None:
    code = """
import os, sys
before = dict(os.environ)
import guardduty_alerts
from guardduty_alerts import GuardDutyAlertsError, Severity, SuppressionRule
print([m for m in sys.modules if m.startswith(("cdktf", "jsii"))], os.environ == before)
"""
    stdout, stderr = finish(python(code))
    assert stdout.splitlines() == ["[] True"]
    assert stderr == ""


def test_building_stacks_installs_the_lazy_package_and_the_kernel_hook_without_importing_jsii() -> None:
    code = """
import os, sys
import guardduty_alerts_app.stacks
package = sys.modules["cdktf_cdktf_provider_aws"]
print(package.__guardduty_alerts_lazy__, "jsii" in sys.modules, len([m for m in sys.modules if m.startswith("cdktf_")]))
print(os.environ["NODE_OPTIONS"])
"""
    stdout, stderr = finish(python(code))
    flags, node_options = stdout.splitlines()
    assert flags.split() == ["True", "False", "1"]
    assert node_options == f"--require={NODE_HOOK}"
    assert stderr == ""


def test_provider_types_nobody_imported_are_loaded_on_demand() -> None:
    # The jsii runtime imports a type's module when the kernel hands back an unknown type; with the lazy
    # package that needs the namespace map from link_type_modules(), and attribute access must import too.
    code = """
import sys
from guardduty_alerts import fast_provider
fast_provider.install()
import guardduty_alerts._aws
from jsii import _reference_map
import cdktf_cdktf_provider_aws as aws
before = "cdktf_cdktf_provider_aws.xray_group" in sys.modules
found = _reference_map._try_import_type_module("@cdktf/provider-aws.xrayGroup.XrayGroup")
print(before, found, "@cdktf/provider-aws.xrayGroup.XrayGroup" in _reference_map._types)
print(aws.wafv2_ip_set.Wafv2IpSet.__jsii_type__)
try:
    aws.no_such_resource
except AttributeError as error:
    print(error)
"""
    stdout, _ = finish(python(code))
    assert stdout.splitlines() == [
        "False True True",
        "@cdktf/provider-aws.wafv2IpSet.Wafv2IpSet",
        "module 'cdktf_cdktf_provider_aws' has no attribute 'no_such_resource'",
    ]
