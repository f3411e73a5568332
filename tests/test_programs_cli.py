"""Both programs run through their `__main__.py` with config encoded as the Pulumi CLI encodes
a stack file: plain strings as written, numbers and booleans as their text, objects and
lists as JSON (settings.read_stack)."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from mock_engine import RecordedResource, Recording
from mock_engine.run import ROOT, render_stack
from settings import read_stack

BOOTSTRAP = ROOT / "bootstrap"
PREFIX = "ecs-platform-bootstrap:"


@pytest.fixture(scope="module")
def account() -> Recording:
    """The bootstrap stack `account`, run from bootstrap/Pulumi.account.yaml."""
    return render_stack("account", BOOTSTRAP)


def _with(**values: str) -> dict[str, str]:
    config = dict(read_stack("account", BOOTSTRAP).config)
    config.update({f"{PREFIX}{key}": value for key, value in values.items()})
    return config


def _fails(config: dict[str, str]) -> tuple[str, list[RecordedResource]]:
    declared: list[RecordedResource] = []
    with pytest.raises(pulumi.RunError) as error:
        render_stack("account", BOOTSTRAP, config=config, declared=declared)
    return str(error.value), declared


def test_the_cli_encoding_keeps_plain_strings_and_numbers_as_text() -> None:
    account_file = read_stack("account", BOOTSTRAP)
    config, secrets = dict(account_file.config), list(account_file.secret_keys)
    assert config[f"{PREFIX}githubRepository"] == "acme/ecs-platform"
    assert config[f"{PREFIX}kmsAlias"] == "alias/ecs-platform-pulumi"
    assert config[f"{PREFIX}noncurrentVersionDays"] == "90"
    assert config[f"{PREFIX}environments"] == '["stage", "prod"]'
    assert secrets == []


def test_bootstrap_program_declares_its_resources_from_the_stack_file(account: Recording) -> None:
    counts = account.counts()
    assert counts["aws:s3/bucket:Bucket"] == 1
    assert counts["aws:kms/key:Key"] == 3
    assert counts["aws:iam/role:Role"] == 4
    assert counts["aws:iam/openIdConnectProvider:OpenIdConnectProvider"] == 1


def test_bootstrap_program_exports_what_the_bootstrap_steps_use(account: Recording) -> None:
    out = account.outputs
    assert set(out) == {
        "stateBucket",
        "backendUrl",
        "kmsKeyArn",
        "bootstrapSecretsProvider",
        "secretsProviders",
        "oidcProviderArn",
        "deployRoleArns",
        "previewRoleArn",
        "previewRoleArns",
        "workloadBoundaryArn",
    }
    assert out["secretsProviders"] == {
        "stage": "awskms://alias/ecs-platform-pulumi-stage?region=us-east-1",
        "prod": "awskms://alias/ecs-platform-pulumi-prod?region=us-east-1",
    }
    assert set(out["deployRoleArns"]) == set(out["previewRoleArns"]) == {"stage", "prod"}
    assert out["previewRoleArn"] == out["previewRoleArns"]["stage"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"noncurrentVersionDays": "abc"},
            "noncurrentVersionDays='abc': expected a whole number",
        ),
        (
            {"githubRepository": "not-a-repo"},
            "githubRepository='not-a-repo': expected OWNER/REPO",
        ),
        (
            {"environments": "stage"},
            "environments='stage': expected a YAML list of names",
        ),
        (
            {"tags": "platform-team"},
            "tags='platform-team': expected a YAML mapping",
        ),
        (
            {"pullRequestEnvironment": "qa"},
            "pullRequestEnvironment='qa': expected one of environments",
        ),
    ],
)
def test_a_bad_bootstrap_value_is_named_and_nothing_is_declared(
    values: dict[str, str], message: str
) -> None:
    text, declared = _fails(_with(**values))
    assert text.startswith("invalid bootstrap settings:")
    assert message in text
    assert declared == []


def test_every_bad_bootstrap_value_is_reported_at_once() -> None:
    text, _declared = _fails(_with(noncurrentVersionDays="abc", githubRepository="nope"))
    assert "noncurrentVersionDays='abc'" in text and "githubRepository='nope'" in text


def test_an_unknown_bootstrap_key_is_named() -> None:
    text, declared = _fails(_with(githubRepo="acme/x"))
    assert "unknown config keys ['githubRepo']" in text
    assert declared == []


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_main_program_runs_from_each_stack_file(stack: str, request: pytest.FixtureRequest) -> None:
    recording: Recording = request.getfixturevalue(stack)
    assert recording.counts().get("aws:ecs/service:Service") == 1
    assert recording.outputs["url"]
    config = dict(read_stack(stack).config)
    assert config["aws:region"] == "us-east-1"  # a plain string, passed as written
    assert Path(ROOT / f"Pulumi.{stack}.yaml").is_file()
