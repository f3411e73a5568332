"""No secret in plain text: the detector on good and bad samples, then the real stack files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policy.check import stack_file_hits, stack_files
from policy.secrets import scan_outputs, scan_stack_config, sensitive_name, value_reason

ROOT = Path(__file__).resolve().parent.parent

# Built from pieces so that no credential-shaped literal sits in the repository.
ACCESS_KEY = "AKIA" + "Q3EGRIZ7XMPL4EXA"
PRIVATE_KEY = "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
RANDOM_TOKEN = "wJalrXUtnFEMI" + "/K7MDENG/bPxRfiCYEXAMPLEKEY"

BAD = [
    {"ecs-platform:database": {"password": "correct-horse-battery"}},
    {"ecs-platform:grafanaApiKey": "not-encrypted"},
    {"ecs-platform:ci": {"deployKey": PRIVATE_KEY}},
    {"ecs-platform:note": f"uses {ACCESS_KEY} for uploads"},
    {"ecs-platform:webhook": {"url": "https://hooks.example.com/x", "signing": RANDOM_TOKEN}},
    {"ecs-platform:alerts": {"slackToken": "xoxb-" + "123456789012-abcdefghij"}},
    {"ecs-platform:db": {"url": "postgres://app:" + "s3cr3tpass@db.internal:5432/app"}},
]
GOOD = [
    {"ecs-platform:database": {"password": {"secure": "v1:AAAABBBBCCCC"}}},
    {"ecs-platform:grafanaApiKey": {"secure": "v1:QUFBQUJCQkJDQ0ND"}},
    {
        "ecs-platform:database": {
            "passwordSecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:db"
        }
    },
    {
        "ecs-platform:release": {
            "image": "1.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "ab12" * 16
        }
    },
    {"ecs-platform:bastion": {"sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample ops"}},
    {"ecs-platform:tags": {"owner": "web-platform", "costCentre": "cc-web-stage"}},
    {
        "ecs-platform:certificate": {
            "arn": "arn:aws:acm:us-east-1:1:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        }
    },
    {"ecs-platform:secretRotationDays": 30},
]


@pytest.mark.parametrize("config", BAD)
def test_plain_text_secrets_in_a_stack_file_are_found(config: dict) -> None:
    assert scan_stack_config({"config": config})


@pytest.mark.parametrize("config", GOOD)
def test_encrypted_entries_and_harmless_values_pass(config: dict) -> None:
    assert scan_stack_config({"config": config}) == []


def test_names_that_point_at_a_secret_are_not_secrets() -> None:
    assert sensitive_name("dbPassword") and sensitive_name("api_key") and sensitive_name("token")
    assert not sensitive_name("databaseSecretArn") and not sensitive_name("tokenUrl")
    assert value_reason("ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8") is not None


def test_outputs_neither_named_nor_shaped_like_secrets() -> None:
    assert scan_outputs({"url": "https://www.example.com", "databaseSecretArn": "arn:x"}) == []
    assert [h.path for h in scan_outputs({"dbPassword": "x"})] == ["dbPassword"]
    assert [h.path for h in scan_outputs({"connect": f"aws s3 cp --key {ACCESS_KEY}"})] == [
        "connect"
    ]


def test_the_stack_files_hold_no_plain_text_secret() -> None:
    files = stack_files(ROOT)
    assert {p.name for p in files} >= {"Pulumi.stage.yaml", "Pulumi.prod.yaml"}
    for path in files:
        hits = scan_stack_config(yaml.safe_load(path.read_text()) or {})
        assert hits == [], f"{path.relative_to(ROOT)}: {hits}"


def test_the_check_reads_stack_files_as_settings_read_them(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.x.yaml").write_text(
        yaml.safe_dump(
            {
                "config": {
                    "aws:region": "us-east-1",
                    "ecs-platform:grafanaApiKey": "not-encrypted",
                    "ecs-platform:database": {"password": "correct-horse-battery"},
                    "ecs-platform:dbPassword": {"secure": "v1:AAAABBBBCCCC"},
                    "ecs-platform:secretRotationDays": 30,
                }
            }
        )
    )
    hits = stack_file_hits([tmp_path / "Pulumi.x.yaml"])
    assert sorted(h.path for h in hits) == [
        "Pulumi.x.yaml:config.ecs-platform:database.password",
        "Pulumi.x.yaml:config.ecs-platform:grafanaApiKey",
    ]
    assert stack_file_hits(stack_files(ROOT)) == []
