"""Shared fixtures: the example configuration, Terraform and the local AWS emulator (moto). Shared helpers that
are not fixtures live in helpers.py; the emulator's stand-ins in emulator.py (both importable: pyproject puts
tests/ on the path)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from guardduty_alerts import fast_provider
from guardduty_alerts_app.config import AlertsConfig, load_config
from helpers import EXAMPLE_CONFIG, TERRAFORM_RC, ExampleDeployment, deploy_example, terraform

# Tests build constructs directly too: load only the provider modules used, as the app's stacks do, before
# any test module imports the provider bindings.
fast_provider.install()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/terraform/ runs Terraform: mark it, so that `-m "not terraform"` leaves it out.

    Tests run in any order (pytest-randomly shuffles them, before this hook) and on several workers
    (pytest-xdist), as each fixture owns and restores the state it changes. Only for speed, the Terraform files
    come first, each part in pytest-randomly's order: xdist hands out files in this order (bin/test turns off
    its reordering by number of tests), and a Terraform file takes minutes where any other takes seconds, so
    starting them last left one worker running the last of them alone."""
    terraform_first = []
    for item in items:
        under_terraform = "terraform" in Path(str(item.fspath)).parent.name
        if under_terraform:
            item.add_marker(pytest.mark.terraform)
        terraform_first.append((not under_terraform, item))
    terraform_first.sort(key=lambda pair: pair[0])  # stable: each part keeps pytest-randomly's order
    items[:] = [item for _, item in terraform_first]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (./bin/test): two workers per core when the run includes the Terraform tests, else xdist's own
    count (one per core). A Terraform test mostly waits: `terraform apply` of the example took 79 s of wall
    time for 13 s of CPU (the AWS provider polls an SQS queue's attributes every 5 s until six reads agree,
    for the queue and again for its policy, and KMS's key policy and tags likewise), so a second worker per
    core runs while the first one waits. PYTEST_XDIST_AUTO_NUM_WORKERS=N still sets the number outright."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") or not _selects_terraform_tests(config):
        return None
    return 2 * len(os.sched_getaffinity(0))


def _selects_terraform_tests(config: pytest.Config) -> bool:
    """Whether the mark expression (-m) and the paths given could select a test under tests/terraform/."""
    from _pytest.mark.expression import Expression

    if config.option.markexpr and not Expression.compile(config.option.markexpr).evaluate(
        lambda name: name == "terraform"
    ):
        return False
    folder = Path(__file__).resolve().parent / "terraform"
    paths = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args]
    return any(path == folder or folder in path.parents or path in folder.parents for path in paths)


@pytest.fixture(scope="session")
def example_config() -> AlertsConfig:
    return load_config(EXAMPLE_CONFIG)


# Set before cdktf starts its jsii (Node) process, which inherits the environment once: cdktf's own
# `Testing.to_be_valid_terraform` runs `terraform init` from there.
os.environ["TF_CLI_CONFIG_FILE"] = str(TERRAFORM_RC)
os.environ["CHECKPOINT_DISABLE"] = "1"


@pytest.fixture(scope="session")
def terraform_env() -> dict[str, str]:
    """Environment for the Terraform CLI, without any AWS settings of the machine running the tests."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH; the Terraform tests need it (see docs/development.md)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_"))}
    env.update(TF_CLI_CONFIG_FILE=str(TERRAFORM_RC), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_INPUT="0")
    return env


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 and a free port, for the whole session, with the stand-ins for what moto
    lacks (tools/emulator.py); its URL."""
    from emulator import moto_server

    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def aws_env_session(terraform_env: dict[str, str], moto_endpoint: str) -> dict[str, str]:
    """Terraform environment with dummy credentials: every call goes to the emulator named in the config."""
    env = dict(terraform_env)
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    return env


@pytest.fixture
def aws_env(aws_env_session: dict[str, str]) -> dict[str, str]:
    """A copy of the emulator environment for one test to change as it likes."""
    return dict(aws_env_session)


@pytest.fixture
def emulator_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials for boto3 in this process (verify, preview --aws), and none of the machine's own:
    no profile, no config or credentials file."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture(scope="session")
def example_out(example_config: AlertsConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example configuration synthesized once per session into <root>/cdktf.out, state files in <root>.

    Shared between tests: read it, or run Terraform in its stack folders; never change the synthesized files
    (a test that needs to change them synthesizes its own copy).
    """
    from guardduty_alerts_app.stacks.synth import synth_to  # loads cdktf: only for the sessions that need it

    root = tmp_path_factory.mktemp("example")
    synth_to(example_config, root / "cdktf.out", state_dir=root)
    return root / "cdktf.out"


@pytest.fixture(scope="session")
def initialized_example_stacks(example_out: Path, terraform_env: dict[str, str]) -> dict[str, Path]:
    """Stack name -> folder of each example stack, `terraform init` run once per folder for the whole session.

    The folders are initialised side by side: each init mostly waits on Terraform's provider checks.
    """
    folders = sorted(path for path in (example_out / "stacks").iterdir() if path.is_dir())
    with ThreadPoolExecutor(max_workers=len(folders)) as pool:
        list(pool.map(lambda folder: terraform(terraform_env, folder, "init", "-input=false"), folders))
    return {folder.name: folder for folder in folders}


@pytest.fixture(scope="session")
def example_deployment(
    aws_env_session: dict[str, str], moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ExampleDeployment]:
    """The example in us-east-1, applied once per session (per xdist worker: each has its own emulator) and
    shared by every test that reads, plans against or drives a live deployment (resources, mail round trip,
    plan review, cdktf CLI). Read-only: a test that breaks or destroys a deployment applies its own in a
    region of its own with `helpers.deploy_example` (test_verify_terraform.py, the destroy test)."""
    project = tmp_path_factory.mktemp("example-deployment")
    with deploy_example(aws_env_session, moto_endpoint, project, "us-east-1") as deployment:
        yield deployment
