"""Stack files an operator could plausibly write that AWS (or the running service) would refuse
later: each is rejected by settings before anything is declared, naming the key, without a
traceback and without echoing a secret.

Four kinds, each a table: sources open to the internet in pieces, secrets in the wrong place,
combinations each area accepts alone but that cannot work together, and the checks the
components make on their arguments.
"""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pytest

import aws_facts
import settings
from mock_engine import RecordedResource, render_config
from settings import SettingsError, load_settings

STAGE: dict[str, Any] = {
    "tags": {"owner": "web-platform", "costCentre": "cc-1"},
    "dns": {"domain": "stage.example.com"},
}
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def config(**areas: Any) -> dict[str, Any]:
    raw = copy.deepcopy(STAGE)
    for area, values in areas.items():
        if isinstance(values, dict):
            raw.setdefault(area, {}).update(values)
        else:
            raw[area] = values
    return raw


def messages(raw: dict[str, Any], stack: str = "stage", region: str = "us-east-1") -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(stack, raw, region=region)
    return [str(issue) for issue in caught.value.issues]


def declared_by(raw: dict[str, Any], stack: str = "stage", region: str = "us-east-1") -> str:
    """Runs the real program with `raw`; returns the error text after checking nothing was
    declared and that the error is one the engine prints without a traceback."""
    values = {"aws:region": region, **{f"ecs-platform:{k}": v for k, v in raw.items()}}
    declared: list[RecordedResource] = []
    with pytest.raises(SettingsError) as caught:
        render_config(stack, values, declared=declared)
    assert declared == []
    assert isinstance(caught.value, pulumi.RunError)
    return str(caught.value)


# ---------------------------------------------------------------------------------------------
# 1. Open to the internet in pieces: the union of the ranges is judged, not a literal /0.

OPEN_IN_PIECES = [
    ("ssh ipv4 halves", config(bastion={"sshCidrs": ["0.0.0.0/1", "128.0.0.0/1"]})),
    ("ssh ipv6 halves", config(bastion={"sshCidrs": ["::/1", "8000::/1"]})),
    (
        "ssh ipv4 quarters",
        config(bastion={"sshCidrs": ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"]}),
    ),
    ("ssh one eighth of the internet", config(bastion={"sshCidrs": ["32.0.0.0/3"]})),
    ("ssh a /15", config(bastion={"sshCidrs": ["81.0.0.0/15"]})),
    ("ssh two /16s", config(bastion={"sshCidrs": ["81.2.0.0/16", "81.3.0.0/16"]})),
    ("ssh a wide ipv6 block", config(bastion={"sshCidrs": ["2000::/16"]})),
]
OPEN_TEST_LISTENER = [
    (
        "test listener ipv4 halves",
        config(deployment={"testListenerCidrs": ["0.0.0.0/1", "128.0.0.0/1"]}),
    ),
    ("test listener ipv6 halves", config(deployment={"testListenerCidrs": ["::/1", "8000::/1"]})),
    ("test listener a /8", config(deployment={"testListenerCidrs": ["81.0.0.0/8"]})),
]
BARE_ADDRESSES = [
    ("ssh bare ipv4", config(bastion={"sshCidrs": ["81.2.69.7"]}), "bastion.sshCidrs"),
    ("ssh bare ipv6", config(bastion={"sshCidrs": ["2001:db8::7"]}), "bastion.sshCidrs"),
    (
        "test listener bare",
        config(deployment={"testListenerCidrs": ["81.2.69.7"]}),
        "deployment.testListenerCidrs",
    ),
    ("vpc bare", config(network={"cidr": "10.0.0.0"}), "network.cidr"),
    (
        "subnet bare",
        config(network={"publicSubnetCidrs": ["10.0.224.0", "10.0.225.0/24"]}),
        "network.publicSubnetCidrs",
    ),
]


@pytest.mark.parametrize("raw", [pytest.param(r, id=i) for i, r in OPEN_IN_PIECES])
def test_ssh_from_the_internet_in_pieces_needs_the_danger_flag(raw: dict[str, Any]) -> None:
    raw["bastion"]["sshPublicKey"] = KEY
    found = [m for m in messages(raw) if m.startswith("ecs-platform:bastion.sshCidrs")]
    assert len(found) == 1 and "dangerouslyAllowSshFromInternet" in found[0], found
    raw["bastion"]["dangerouslyAllowSshFromInternet"] = True
    assert load_settings("stage", raw).bastion.dangerously_allow_ssh_from_internet


@pytest.mark.parametrize("raw", [pytest.param(r, id=i) for i, r in OPEN_TEST_LISTENER])
def test_test_listener_open_to_the_internet_in_pieces_is_rejected(raw: dict[str, Any]) -> None:
    found = [m for m in messages(raw) if m.startswith("ecs-platform:deployment.testListenerCidrs")]
    assert found and "unreleased versions" in found[0]


@pytest.mark.parametrize(("raw", "key"), [pytest.param(r, k, id=i) for i, r, k in BARE_ADDRESSES])
def test_an_address_without_a_prefix_is_an_error(raw: dict[str, Any], key: str) -> None:
    raw.get("bastion", {}).setdefault("sshPublicKey", KEY)
    found = [m for m in messages(raw) if m.startswith(f"ecs-platform:{key} ")]
    assert any("prefix length" in m for m in found), found


@pytest.mark.parametrize(
    "cidrs",
    [
        pytest.param(["81.2.69.0/24"], id="one office"),
        pytest.param(["81.2.0.0/16"], id="a /16 exactly"),
        pytest.param(["81.2.69.0/24", "198.51.7.0/24"], id="two offices"),
        pytest.param(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], id="private space"),
        pytest.param(["2001:db8:1234::/48"], id="an ipv6 site"),
    ],
)
def test_narrow_operator_ranges_are_accepted(cidrs: list[str]) -> None:
    raw = config(bastion={"sshCidrs": cidrs, "sshPublicKey": KEY})
    assert load_settings("stage", raw).bastion.ssh_cidrs == tuple(cidrs)


# ---------------------------------------------------------------------------------------------
# 2. Secrets in the wrong place: the message names the key and says what is wrong, never the
# value.

PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
GITHUB_TOKEN = "ghp_" + "Zr8Qw2Lm4Xc7Vb1Nk9Ps3Td6Yf0Gh5Jq2Ws8"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcGVyYXRvciJ9.c2lnbmF0dXJlLWJ5dGVz"

# (case, config, key the message names, the secret that must not appear)
SECRETS = [
    (
        "password as an unknown key",
        config(database={"masterPassword": "correct-horse-battery"}),
        "database.masterPassword",
        "correct-horse-battery",
    ),
    (
        "private key as the public key",
        config(bastion={"sshCidrs": ["81.2.69.0/24"], "sshPublicKey": PRIVATE_KEY}),
        "bastion.sshPublicKey",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    ),
    (
        "github token at the top level",
        {**config(), "githubToken": GITHUB_TOKEN},
        "githubToken",
        GITHUB_TOKEN,
    ),
    (
        "aws secret key under an unknown name",
        config(iam={"awsSecretAccessKey": AWS_SECRET}),
        "iam.awsSecretAccessKey",
        AWS_SECRET,
    ),
    (
        "token inside an unknown area",
        {**config(), "grafanaAuth": {"apiKey": "glsa_live_7f3a9c2e"}},
        "grafanaAuth",
        "glsa_live_7f3a9c2e",
    ),
    (
        "jwt where a number belongs",
        config(service={"cpu": JWT}),
        "service.cpu",
        JWT,
    ),
    (
        "private key pasted into a cidr list",
        config(bastion={"sshCidrs": [PRIVATE_KEY], "sshPublicKey": KEY}),
        "bastion.sshCidrs",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    ),
    (
        "credentials in a url",
        config(observability={"alarmEmail": "https://ops:s3cr3t-pass@hooks.example.com/x"}),
        "observability.alarmEmail",
        "s3cr3t-pass",
    ),
    (
        "a credential-named key in a known area",
        config(network={"natPassphrase": "tr0ub4dor-and-3"}),
        "network.natPassphrase",
        "tr0ub4dor-and-3",
    ),
]


@pytest.mark.parametrize(
    ("raw", "key", "secret"), [pytest.param(r, k, s, id=i) for i, r, k, s in SECRETS]
)
def test_a_secret_is_named_but_never_echoed(raw: dict[str, Any], key: str, secret: str) -> None:
    found = messages(raw)
    text = "\n".join(found)
    assert secret not in text
    named = [m for m in found if m.startswith(f"ecs-platform:{key} = ")]
    assert named and all("(value hidden: " in m for m in named), found


@pytest.mark.parametrize(
    ("raw", "key", "secret"), [pytest.param(r, k, s, id=i) for i, r, k, s in SECRETS]
)
def test_a_secret_in_the_stack_file_declares_nothing_and_is_not_printed(
    raw: dict[str, Any], key: str, secret: str
) -> None:
    text = declared_by(raw)
    assert f"ecs-platform:{key} = (value hidden: " in text
    assert secret not in text


def test_an_ordinary_bad_value_is_still_shown() -> None:
    assert 'ecs-platform:network.natStrategy = "gateway": must be one of' in "\n".join(
        messages(config(network={"natStrategy": "gateway"}))
    )


# ---------------------------------------------------------------------------------------------
# 3. Infeasible combinations: the FEASIBILITY table, one case or more per rule.

# (rule, case, config, stack, region, key the message names, words of what is allowed)
INFEASIBLE: list[tuple[str, str, dict[str, Any], str, str, str, str]] = [
    (
        "two-azs",
        "one az",
        config(network={"azCount": 1}),
        "stage",
        "us-east-1",
        "network.azCount",
        "two Availability Zones",
    ),
    (
        "two-azs",
        "one az with multi-az db",
        config(network={"azCount": 1}, database={"multiAz": True}),
        "stage",
        "us-east-1",
        "network.azCount",
        "RDS subnet group",
    ),
    (
        "region-azs",
        "three azs in us-west-1",
        config(network={"azCount": 3}),
        "stage",
        "us-west-1",
        "network.azCount",
        "us-west-1 offers 2",
    ),
    (
        "region-azs",
        "six azs in eu-west-1",
        config(network={"azCount": 6}),
        "stage",
        "eu-west-1",
        "network.azCount",
        "at most 3",
    ),
    (
        "region-azs",
        "a region without data",
        config(),
        "stage",
        "xx-nowhere-1",
        "(aws:region)",
        "Availability Zones this program knows",
    ),
    (
        "public-subnet-size",
        "a /20 vpc computes /28 public subnets",
        config(network={"cidr": "10.1.0.0/20"}),
        "stage",
        "us-east-1",
        "network.cidr",
        "/27",
    ),
    (
        "public-subnet-size",
        "explicit /28 public subnets",
        config(network={"publicSubnetCidrs": ["10.0.224.0/28", "10.0.225.0/28"]}),
        "stage",
        "us-east-1",
        "network.publicSubnetCidrs",
        "/27 or larger",
    ),
    (
        "private-subnet-room",
        "tiny private subnets for many tasks",
        config(
            network={"privateSubnetCidrs": ["10.0.0.0/28", "10.0.0.16/28"]},
            service={"maxCount": 20, "desiredCount": 2},
        ),
        "stage",
        "us-east-1",
        "service.maxCount",
        "usable",
    ),
    (
        "no-nat-reachability",
        "no nat without endpoints",
        config(
            network={"natStrategy": "none"},
            bastion={"enabled": False},
            observability={"prometheus": False},
        ),
        "stage",
        "us-east-1",
        "network.interfaceEndpoints",
        "ECR",
    ),
    (
        "no-nat-reachability",
        "no nat with prometheus",
        config(
            network={"natStrategy": "none", "interfaceEndpoints": True}, bastion={"enabled": False}
        ),
        "stage",
        "us-east-1",
        "observability.prometheus",
        "ECR Public",
    ),
    (
        "no-nat-reachability",
        "no nat with ec2 capacity",
        config(
            network={"natStrategy": "none", "interfaceEndpoints": True},
            bastion={"enabled": False},
            observability={"prometheus": False},
            service={"capacity": "ec2"},
        ),
        "stage",
        "us-east-1",
        "service.capacity",
        "ecs-agent",
    ),
    (
        "no-nat-reachability",
        "no nat with ecs exec",
        config(
            network={"natStrategy": "none", "interfaceEndpoints": True},
            bastion={"enabled": False},
            observability={"prometheus": False},
            service={"ecsExec": True},
        ),
        "stage",
        "us-east-1",
        "service.ecsExec",
        "ssmmessages",
    ),
    (
        "no-nat-reachability",
        "no nat with an image from another registry",
        config(
            network={"natStrategy": "none", "interfaceEndpoints": True},
            bastion={"enabled": False},
            observability={"prometheus": False},
            release={"image": "ghcr.io/acme/web@sha256:" + "a" * 64},
        ),
        "stage",
        "us-east-1",
        "release.image",
        "this region's ECR",
    ),
    (
        "ec2-task-fits",
        "task larger than the instance",
        config(
            service={"capacity": "ec2", "ec2InstanceType": "t4g.nano", "cpu": 1024, "memory": 2048}
        ),
        "stage",
        "us-east-1",
        "service.ec2InstanceType",
        "cannot hold one task",
    ),
    (
        "ec2-task-fits",
        "memory equal to the nominal size",
        config(
            service={"capacity": "ec2", "ec2InstanceType": "t4g.small", "cpu": 256, "memory": 2048}
        ),
        "stage",
        "us-east-1",
        "service.ec2InstanceType",
        "cannot hold one task",
    ),
    (
        "ec2-task-fits",
        "graviton type for x86 tasks",
        config(
            service={"capacity": "ec2", "architecture": "x86_64", "ec2InstanceType": "c7g.large"}
        ),
        "stage",
        "us-east-1",
        "service.ec2InstanceType",
        "x86_64 instance type",
    ),
    (
        "ec2-task-fits",
        "arm graviton without a g (a1)",
        config(
            service={"capacity": "ec2", "architecture": "x86_64", "ec2InstanceType": "a1.large"}
        ),
        "stage",
        "us-east-1",
        "service.ec2InstanceType",
        "a1.large is arm64",
    ),
    (
        "metrics-port",
        "container port on the metrics port",
        config(service={"containerPort": settings.METRICS_PORT}),
        "stage",
        "us-east-1",
        "service.containerPort",
        "metrics",
    ),
    (
        "grafana-prometheus",
        "grafana without prometheus",
        config(observability={"grafana": True, "prometheus": False}),
        "stage",
        "us-east-1",
        "observability.grafana",
        "observability.prometheus: true",
    ),
    (
        "grafana-prometheus",
        "grafana where it is not offered",
        config(observability={"grafana": True}),
        "stage",
        "us-west-1",
        "observability.grafana",
        "Amazon Managed Grafana is offered only",
    ),
    (
        "free-storage-alarm",
        "free storage alarm above the storage",
        config(observability={"databaseFreeStorageGb": 25}),
        "stage",
        "us-east-1",
        "observability.databaseFreeStorageGb",
        "allocatedStorageGb (20)",
    ),
    (
        "free-storage-alarm",
        "free storage alarm equal to the storage",
        config(
            database={"allocatedStorageGb": 50, "maxAllocatedStorageGb": 60},
            observability={"databaseFreeStorageGb": 50},
        ),
        "stage",
        "us-east-1",
        "observability.databaseFreeStorageGb",
        "from the start",
    ),
    (
        "connections-alarm",
        "connections alarm above max_connections",
        config(observability={"databaseConnections": 500}),
        "stage",
        "us-east-1",
        "observability.databaseConnections",
        "below 112",
    ),
    (
        "connections-alarm",
        "connections alarm on a small class",
        config(
            database={"instanceClass": "db.t4g.small"}, observability={"databaseConnections": 300}
        ),
        "stage",
        "us-east-1",
        "observability.databaseConnections",
        "below 225",
    ),
    (
        "cpu-alarm",
        "cpu alarm below the scaling target",
        config(observability={"cpuPercent": 50}),
        "stage",
        "us-east-1",
        "observability.cpuPercent",
        "cpuTargetPercent (60)",
    ),
    (
        "cpu-alarm",
        "scaling target above the cpu alarm",
        config(service={"cpuTargetPercent": 85}),
        "stage",
        "us-east-1",
        "observability.cpuPercent",
        "cpuTargetPercent (85)",
    ),
    (
        "bake-time",
        "no bake for blue-green",
        config(deployment={"bakeTimeMinutes": 0}),
        "stage",
        "us-east-1",
        "deployment.bakeTimeMinutes",
        "rollback alarms",
    ),
    (
        "bake-time",
        "canary bake shorter than the alarm window",
        config(
            deployment={"strategy": "canary", "canaryBakeTimeMinutes": 1},
            observability={"alarmPeriodSeconds": 300},
            service={},
        ),
        "stage",
        "us-east-1",
        "deployment.canaryBakeTimeMinutes",
        "at least 10 minutes",
    ),
    (
        "alarm-window",
        "a day-long period evaluated eight times",
        config(
            deployment={"strategy": "rolling"},
            observability={"alarmPeriodSeconds": 86400, "alarmEvaluationPeriods": 8},
        ),
        "stage",
        "us-east-1",
        "observability.alarmPeriodSeconds",
        "at most 604800 s",
    ),
    (
        "stack-name",
        "upper case and underscore",
        config(),
        "Stage_1",
        "us-east-1",
        "(stack name)",
        "lower-case",
    ),
    (
        "stack-name",
        "too long for the bucket prefix",
        config(),
        "a-very-long-stack-name",
        "us-east-1",
        "(stack name)",
        "access-log bucket",
    ),
    (
        "stack-name",
        "two hyphens in a row",
        config(),
        "blue--green",
        "us-east-1",
        "(stack name)",
        "single hyphens",
    ),
    (
        "production-name",
        "prod without production",
        config(),
        "prod",
        "us-east-1",
        "production",
        "must be true for a stack named 'prod'",
    ),
    (
        "production-name",
        "production-eu without production",
        config(),
        "production-eu",
        "us-east-1",
        "production",
        "must be true",
    ),
    (
        "production-safety",
        "prod without multi-az",
        {
            **config(network={"azCount": 3}),
            "production": True,
            "database": {"backupRetentionDays": 14},
        },
        "prod",
        "us-east-1",
        "database.multiAz",
        "acknowledgeUnsafeProduction",
    ),
    (
        "production-safety",
        "prod with disposable stateful resources",
        {
            **config(network={"azCount": 3}),
            "production": True,
            "protectStatefulResources": False,
            "database": {"multiAz": True, "backupRetentionDays": 14},
        },
        "prod",
        "us-east-1",
        "protectStatefulResources",
        "must be true in production",
    ),
    (
        "https-domain",
        "no domain and no plain http",
        config(dns={"domain": ""}, observability={"syntheticProbe": False}),
        "stage",
        "us-east-1",
        "dns.domain",
        "insecureAllowPlainHttp",
    ),
    (
        "https-domain",
        "plain http beside a domain",
        config(deployment={"insecureAllowPlainHttp": True}),
        "stage",
        "us-east-1",
        "deployment.insecureAllowPlainHttp",
        "served on HTTPS",
    ),
    (
        "probe-domain",
        "probe without a domain",
        config(dns={"domain": ""}, deployment={"insecureAllowPlainHttp": True}),
        "stage",
        "us-east-1",
        "observability.syntheticProbe",
        "needs dns.domain",
    ),
    (
        "bastion-ssm-nat",
        "ssm bastion without nat",
        config(
            network={"natStrategy": "none", "interfaceEndpoints": True},
            observability={"prometheus": False},
        ),
        "stage",
        "us-east-1",
        "bastion.enabled",
        "SSM",
    ),
    (
        "test-listener-port",
        "test listener on the container port",
        config(deployment={"testListenerPort": 8080}),
        "stage",
        "us-east-1",
        "deployment.testListenerPort",
        "containerPort",
    ),
    (
        "image-architecture",
        "x86 tasks with the image the program builds",
        config(service={"architecture": "x86_64"}, release={"build": True}),
        "stage",
        "us-east-1",
        "service.architecture",
        "linux/arm64 only",
    ),
]

PROD: dict[str, Any] = {
    "production": True,
    "tags": {"owner": "web-platform", "costCentre": "cc-1"},
    "dns": {"domain": "www.example.com"},
    "network": {"azCount": 3, "natStrategy": "per-az"},
    "database": {"multiAz": True, "backupRetentionDays": 14},
}
PRODUCTION_SAFETY = [
    ("prod without waf", {**PROD, "deployment": {"waf": False}}, "deployment.waf"),
    (
        "prod with ssh from the internet",
        {
            **PROD,
            "bastion": {
                "sshCidrs": ["0.0.0.0/0"],
                "sshPublicKey": KEY,
                "dangerouslyAllowSshFromInternet": True,
            },
        },
        "bastion.dangerouslyAllowSshFromInternet",
    ),
]


def test_every_feasibility_rule_has_a_case() -> None:
    assert {rule for rule, *_ in INFEASIBLE} == {rule.name for rule in settings.FEASIBILITY}


def test_every_feasibility_rule_states_its_reason() -> None:
    assert all(rule.reason for rule in settings.FEASIBILITY)


@pytest.mark.parametrize(
    ("raw", "stack", "region", "key", "allowed"),
    [pytest.param(r, s, g, k, a, id=f"{rule}: {case}") for rule, case, r, s, g, k, a in INFEASIBLE],
)
def test_infeasible_combination_is_rejected_naming_the_key(
    raw: dict[str, Any], stack: str, region: str, key: str, allowed: str
) -> None:
    found = [m for m in messages(raw, stack, region) if m.startswith(f"ecs-platform:{key} = ")]
    assert any(allowed in m for m in found), found


def test_a_sub_minute_alarm_period_declares_nothing() -> None:
    raw = config(observability={"alarmPeriodSeconds": 10})
    assert "ecs-platform:observability.alarmPeriodSeconds = 10: " in declared_by(raw)


@pytest.mark.parametrize(
    ("raw", "stack", "region", "key"),
    [pytest.param(r, s, g, k, id=f"{rule}: {case}") for rule, case, r, s, g, k, _ in INFEASIBLE],
)
def test_infeasible_combination_declares_nothing(
    raw: dict[str, Any], stack: str, region: str, key: str
) -> None:
    assert f"ecs-platform:{key} = " in declared_by(raw, stack, region)


@pytest.mark.parametrize(
    ("raw", "key"), [pytest.param(r, k, id=i) for i, r, k in PRODUCTION_SAFETY]
)
def test_production_safety_covers_waf_and_internet_ssh(raw: dict[str, Any], key: str) -> None:
    found = [m for m in messages(raw, "prod") if m.startswith(f"ecs-platform:{key} = ")]
    assert found and "acknowledgeUnsafeProduction" in found[0]
    waived = {**raw, "acknowledgeUnsafeProduction": "migration window, ticket OPS-12"}
    assert load_settings("prod", waived).production


@pytest.mark.parametrize(
    ("stack", "region", "raw"),
    [
        pytest.param(
            "stage", "us-west-1", config(network={"azCount": 2}), id="two azs in us-west-1"
        ),
        pytest.param(
            "stage", "us-east-1", config(network={"azCount": 6}), id="six azs in us-east-1"
        ),
        pytest.param(
            "stage",
            "us-east-1",
            config(service={"capacity": "ec2", "ec2InstanceType": "t4g.small", "memory": 1024}),
            id="a task that fits",
        ),
        pytest.param(
            "stage",
            "us-east-1",
            config(
                network={"natStrategy": "none", "interfaceEndpoints": True},
                bastion={"enabled": False},
                observability={"prometheus": False},
            ),
            id="no nat done right",
        ),
        pytest.param(
            "stage",
            "us-east-1",
            config(service={"architecture": "x86_64"}),
            id="x86 tasks keeping the image the service runs",
        ),
        pytest.param("dev-eu", "eu-west-1", config(), id="another stack name"),
        pytest.param(
            "stage",
            "us-east-1",
            config(observability={"alarmPeriodSeconds": 120}),
            id="a two-minute alarm period, a multiple of CloudWatch's minute",
        ),
        pytest.param("prod", "us-east-1", PROD, id="prod saying so"),
    ],
)
def test_feasible_combinations_load(stack: str, region: str, raw: dict[str, Any]) -> None:
    assert load_settings(stack, raw, region=region).stack == stack


# ---------------------------------------------------------------------------------------------
# 4. Every check a component makes on its arguments is made by settings first.


COMPONENT_CHECKS = [
    # ObservabilityArgs: grafana needs prometheus.
    (
        "grafana without prometheus",
        config(observability={"grafana": True, "prometheus": False}),
        "us-east-1",
        "observability.grafana",
    ),
    # Network: the region must offer the AZs (raised inside an apply, after declaration).
    (
        "more azs than the region has",
        config(network={"azCount": 3}),
        "us-west-1",
        "network.azCount",
    ),
    # EcsServiceArgs: the metrics port differs from the container port.
    (
        "container port is the metrics port",
        config(service={"containerPort": 9102}),
        "us-east-1",
        "service.containerPort",
    ),
    # Database: the final snapshot identifier must be one RDS accepts (from the stack name).
    ("stack name RDS refuses", config(), "us-east-1", "(stack name)"),
    # BastionArgs: a key is needed with SSH.
    (
        "ssh without a key",
        config(bastion={"sshCidrs": ["81.2.69.0/24"]}),
        "us-east-1",
        "bastion.sshPublicKey",
    ),
    # RegistryArgs: an image to deploy and a build of app/ exclude each other.
    (
        "an image and a build",
        config(
            release={
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "a" * 64,
                "build": True,
            }
        ),
        "us-east-1",
        "release.build",
    ),
    # BlueGreenArgs: the test listener never takes the internet.
    (
        "test listener from the internet",
        config(deployment={"testListenerCidrs": ["0.0.0.0/1", "128.0.0.0/1"]}),
        "us-east-1",
        "deployment.testListenerCidrs",
    ),
]


@pytest.mark.parametrize(
    ("raw", "region", "key"), [pytest.param(r, g, k, id=i) for i, r, g, k in COMPONENT_CHECKS]
)
def test_a_component_check_fails_in_settings_before_anything_is_declared(
    raw: dict[str, Any], region: str, key: str
) -> None:
    stack = "stage" if key != "(stack name)" else "Stage.1"
    text = declared_by(raw, stack, region)
    assert f"ecs-platform:{key} = " in text
    assert "Traceback" not in text and "ValueError" not in text


# Every range, allowed value and cross-area rule a component's Args class checked on what a user
# types is checked by settings, with the message naming the key: one case per such check.
_NO_DOMAIN = {"domain": ""}
ARGS_CHECKS_IN_SETTINGS = [
    # The deployment strategy BlueGreen hands ECS: fields per strategy, ECS's bounds, the
    # approval gate.
    ("canary field on linear", config(deployment={"strategy": "linear", "canaryPercent": 20}),
     "deployment.canaryPercent", "applies only to strategy 'canary'"),
    ("linear field on canary", config(deployment={"strategy": "canary", "linearStepBakeTimeMinutes": 2}),
     "deployment.linearStepBakeTimeMinutes", "applies only to strategy 'linear'"),
    ("canary share too small", config(deployment={"strategy": "canary", "canaryPercent": 0.05}),
     "deployment.canaryPercent", "must be between 0.1 and 100"),
    ("canary bake too long", config(deployment={"strategy": "canary", "canaryBakeTimeMinutes": 1441}),
     "deployment.canaryBakeTimeMinutes", "must be between 0 and 1440"),
    ("linear step too small", config(deployment={"strategy": "linear", "linearStepPercent": 2}),
     "deployment.linearStepPercent", "must be between 3 and 100"),
    ("linear bake negative", config(deployment={"strategy": "linear", "linearStepBakeTimeMinutes": -1}),
     "deployment.linearStepBakeTimeMinutes", "must be between 0 and 1440"),
    ("bake too long", config(deployment={"bakeTimeMinutes": 1441}),
     "deployment.bakeTimeMinutes", "must be between 0 and 1440"),
    ("approval timeout zero", config(deployment={"approvalTimeoutMinutes": 0}),
     "deployment.approvalTimeoutMinutes", "must be between 1 and 20160"),
    ("approval timeout too long", config(deployment={"approvalTimeoutMinutes": 20161}),
     "deployment.approvalTimeoutMinutes", "must be between 1 and 20160"),
    ("approval gate on rolling", config(deployment={"strategy": "rolling", "approvalGate": True}),
     "deployment.approvalGate", "needs a traffic-shifting strategy"),
    # BlueGreenArgs: a certificate or plain HTTP, a test port of its own, health check timing.
    ("no domain and no plain http", config(dns=_NO_DOMAIN, observability={"syntheticProbe": False}),
     "dns.domain", "is required to serve HTTPS"),
    ("plain http with a domain", config(deployment={"insecureAllowPlainHttp": True}),
     "deployment.insecureAllowPlainHttp", "must be false when dns.domain is set"),
    ("test listener on 443", config(deployment={"testListenerPort": 443}),
     "deployment.testListenerPort", "must be between 1024 and 65535"),
    ("health check timeout not below interval",
     config(deployment={"healthCheckTimeoutSeconds": 10, "healthCheckIntervalSeconds": 10}),
     "deployment.healthCheckTimeoutSeconds", "must be less than healthCheckIntervalSeconds"),
    ("test listener open to all", config(deployment={"testListenerCidrs": ["0.0.0.0/0"]}),
     "deployment.testListenerCidrs", "the whole internet"),
    # DnsArgs: a well-formed domain inside its zone.
    ("malformed domain", config(dns={"domain": "www..example.com"}),
     "dns.domain", "must be a lower-case DNS name"),
    ("domain outside its zone", config(dns={"zoneName": "example.org"}),
     "dns.zoneName", "must be the domain stage.example.com or one of its parents"),
    # EcsServiceArgs: a Fargate size, counts in order, the Spot share.
    ("not a fargate size", config(service={"cpu": 256, "memory": 4096}),
     "service.memory", "must be a Fargate memory size for cpu 256"),
    ("floor above ceiling", config(service={"minCount": 3, "maxCount": 2, "desiredCount": 2}),
     "service.minCount", "must not exceed maxCount (2)"),
    ("desired above ceiling", config(service={"desiredCount": 5, "maxCount": 2}),
     "service.desiredCount", "must lie between minCount (1) and maxCount (2)"),
    ("no tasks", config(service={"minCount": 0}),
     "service.minCount", "must be between 1 and 100"),
    ("spot share above 100", config(service={"fargateSpotPercent": 101}),
     "service.fargateSpotPercent", "must be between 0 and 100"),
    ("spot on ec2", config(service={"capacity": "ec2", "fargateSpotPercent": 50}),
     "service.fargateSpotPercent", "applies only to capacity fargate"),
    # NetworkArgs: 1 to 6 AZs; the NAT instances' role is scoped by the stack's tags.
    ("seven azs", config(network={"azCount": 7}), "network.azCount", "must be between 1 and 6"),
    ("no owner tag", {**config(), "tags": {"costCentre": "cc-1"}}, "tags.owner", "is required"),
    # ObservabilityArgs: thresholds, periods, retention, the e-mail and the probe's name.
    ("error rate zero", config(observability={"errorRatePercent": 0}),
     "observability.errorRatePercent", "must be between 0.1 and 100"),
    ("cpu alarm above 100", config(observability={"cpuPercent": 101}),
     "observability.cpuPercent", "must be between 1 and 100"),
    ("memory alarm zero", config(observability={"memoryPercent": 0}),
     "observability.memoryPercent", "must be between 1 and 100"),
    ("database cpu alarm zero", config(observability={"databaseCpuPercent": 0}),
     "observability.databaseCpuPercent", "must be between 1 and 100"),
    ("latency alarm too small", config(observability={"p99LatencySeconds": 0.001}),
     "observability.p99LatencySeconds", "must be between 0.01 and 60"),
    ("free storage alarm too small", config(observability={"databaseFreeStorageGb": 0.1}),
     "observability.databaseFreeStorageGb", "must be between 0.5 and 10000"),
    ("connections alarm zero", config(observability={"databaseConnections": 0}),
     "observability.databaseConnections", "must be between 1 and 100000"),
    ("eleven evaluation periods", config(observability={"alarmEvaluationPeriods": 11}),
     "observability.alarmEvaluationPeriods", "must be between 1 and 10"),
    ("alarm period of 45 s", config(observability={"alarmPeriodSeconds": 45}),
     "observability.alarmPeriodSeconds", "must be a multiple of 60"),
    # One rule for the period, with CloudWatch's own reason: sub-minute periods see no data.
    ("ten second alarms", config(observability={"alarmPeriodSeconds": 10}),
     "observability.alarmPeriodSeconds", "once a minute"),
    ("twenty second alarms", config(observability={"alarmPeriodSeconds": 20}),
     "observability.alarmPeriodSeconds", "must be a multiple of 60"),
    ("alarm period of zero", config(observability={"alarmPeriodSeconds": 0}),
     "observability.alarmPeriodSeconds", "must be a multiple of 60"),
    ("retention logs refuse", config(observability={"logRetentionDays": 2}),
     "observability.logRetentionDays", "must be one of 1, 3, 5, 7"),
    ("alarm e-mail without @", config(observability={"alarmEmail": "oncall.example.com"}),
     "observability.alarmEmail", "must be an e-mail address"),
    ("probe without a name",
     config(dns=_NO_DOMAIN, deployment={"insecureAllowPlainHttp": True}),
     "observability.syntheticProbe", "needs dns.domain"),
    # RegistryArgs: an image by digest.
    ("image by tag", config(release={"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1"}),
     "release.image", "must be an image referenced by digest"),
    # DatabaseArgs: storage autoscaling above the allocation, RDS's backup window.
    ("ceiling below allocation", config(database={"allocatedStorageGb": 200, "maxAllocatedStorageGb": 100}),
     "database.maxAllocatedStorageGb", "must be at least allocatedStorageGb (200)"),
    ("backups kept too long", config(database={"backupRetentionDays": 36}),
     "database.backupRetentionDays", "must be between 1 and 35"),
    ("backups off", config(database={"backupRetentionDays": 0}),
     "database.backupRetentionDays", "must be between 1 and 35"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "key", "allowed"),
    [pytest.param(r, k, a, id=i) for i, r, k, a in ARGS_CHECKS_IN_SETTINGS],
)
def test_every_args_check_on_user_input_is_a_settings_check(
    raw: dict[str, Any], key: str, allowed: str
) -> None:
    found = [m for m in messages(raw) if m.startswith(f"ecs-platform:{key} = ")]
    assert found, messages(raw)
    assert any(allowed in m for m in found), found


def test_built_image_architecture_is_the_one_the_registry_builds() -> None:
    from components.registry import RegistryArgs

    platform = RegistryArgs.__dataclass_fields__["platform"].default
    assert platform == f"linux/{settings.BUILT_IMAGE_ARCHITECTURE}"


def test_metrics_port_is_the_one_the_service_component_uses() -> None:
    from components.ecs_service import METRICS_PORT

    assert settings.METRICS_PORT == METRICS_PORT


def test_postgres_connection_bound_follows_the_rds_formula() -> None:
    # RDS User Guide: max_connections = LEAST({DBInstanceClassMemory/9531392}, 5000); a
    # db.t4g.micro has 1 GiB, a db.r7g.16xlarge 512 GiB.
    assert aws_facts.postgres_max_connections("db.t4g.micro") == 2**30 // 9531392
    assert aws_facts.postgres_max_connections("db.r7g.16xlarge") == 5000
