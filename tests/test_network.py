"""Network: the exact child contract for each NAT strategy."""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.network import (
    INTERFACE_ENDPOINT_SERVICES,
    NAT_SETUP_PATH,
    Network,
    NetworkArgs,
    nat_forwarding_script,
    nat_setup_script,
    nat_setup_unit,
)
from mock_engine import Recording
from settings import NetworkSettings, SubnetPlan, plan_subnets

KEY = "arn:aws:kms:us-east-1:123456789012:key/test"
STACK_TAGS = {"Project": "ecs-platform", "Environment": "stage", "Owner": "web"}


NETWORK_FIELDS = {f.name for f in dataclasses.fields(NetworkSettings)}


def args(az_count: int = 2, **overrides: Any) -> NetworkArgs:
    """The network's arguments for `az_count` AZs; an override names a field of the
    arguments or of the network settings."""
    plan = plan_subnets("10.0.0.0/16", az_count)
    config = {k: overrides.pop(k) for k in list(overrides) if k in NETWORK_FIELDS}
    values: dict[str, Any] = {
        "kms_key_arn": KEY,
        "subnets": plan,
        "config": NetworkSettings(**config),
        "stack_tags": STACK_TAGS,
    }
    values.update(overrides)
    return NetworkArgs(**values)


@pytest.fixture
def network(build: Callable[..., Recording]) -> Callable[..., Recording]:
    def make(az_count: int = 2, **overrides: object) -> Recording:
        return build(lambda: Network("net", args(az_count, **overrides)))

    return make


def routes_of(rec: Recording, table_name: str) -> list[dict]:
    table = next(r for r in rec.of_type("aws:ec2/routeTable:RouteTable") if r.name == table_name)
    return [
        r.inputs for r in rec.of_type("aws:ec2/route:Route") if r.inputs["routeTableId"] == table.id
    ]


def test_instance_strategy_declares_exactly_these_resources(network) -> None:
    rec = network(2, nat_strategy="instance")
    counts = rec.counts()
    assert counts == {
        "ecs-platform:network:Network": 1,
        "aws:ec2/vpc:Vpc": 1,
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
        "aws:ec2/internetGateway:InternetGateway": 1,
        "aws:ec2/subnet:Subnet": 6,
        "aws:ec2/routeTable:RouteTable": 4,
        "aws:ec2/routeTableAssociation:RouteTableAssociation": 6,
        "aws:ec2/route:Route": 4,
        "aws:ec2/securityGroup:SecurityGroup": 1,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 1,
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 1,
        "aws:ec2/networkInterface:NetworkInterface": 2,
        "aws:iam/role:Role": 2,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:iam/rolePolicy:RolePolicy": 2,
        "aws:iam/instanceProfile:InstanceProfile": 1,
        "aws:ec2/launchTemplate:LaunchTemplate": 2,
        "aws:autoscaling/group:Group": 2,
        "aws:ec2/vpcEndpoint:VpcEndpoint": 1,
        "aws:cloudwatch/logGroup:LogGroup": 1,
        "aws:ec2/flowLog:FlowLog": 1,
    }


def test_every_child_is_parented_to_the_network_and_uniquely_named(network) -> None:
    rec = network(3, nat_strategy="per-az", interface_endpoints=True)
    children = [r for r in rec.resources if r.type != "ecs-platform:network:Network"]
    assert all(r.parent_type == "ecs-platform:network:Network" for r in children)
    keys = [(r.type, r.name) for r in rec.resources]
    assert len(keys) == len(set(keys))
    assert all(r.name.startswith("net-") for r in children)


def test_subnets_follow_the_cidr_plan_one_per_az(network) -> None:
    rec = network(3, nat_strategy="none")
    plan = plan_subnets("10.0.0.0/16", 3)
    subnets = {r.name: r.inputs for r in rec.of_type("aws:ec2/subnet:Subnet")}
    for tier, cidrs in (
        ("public", plan.public),
        ("private", plan.private),
        ("database", plan.database),
    ):
        for i, cidr in enumerate(cidrs):
            s = subnets[f"net-{tier}-{i}"]
            assert s["cidrBlock"] == cidr
            assert s["availabilityZone"] == f"us-east-1{'abc'[i]}"
            assert s["tags"] == {"Name": f"net-{tier}-{i}", "Tier": tier}


def test_no_subnet_assigns_public_ips_on_launch(network) -> None:
    rec = network(2)
    assert {r.inputs["mapPublicIpOnLaunch"] for r in rec.of_type("aws:ec2/subnet:Subnet")} == {
        False
    }


def test_only_the_public_route_table_routes_to_the_internet_gateway(network) -> None:
    for strategy in ("none", "single", "per-az", "instance"):
        rec = network(2, nat_strategy=strategy)
        igw = rec.one("aws:ec2/internetGateway:InternetGateway").id
        to_igw = [r for r in rec.of_type("aws:ec2/route:Route") if r.inputs.get("gatewayId") == igw]
        assert [r.name for r in to_igw] == ["net-public-default", "net-public-default-ipv6"]
        public = rec.named("net-public-rt").id
        assert {r.inputs["routeTableId"] for r in to_igw} == {public}
        assert to_igw[0].inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert to_igw[1].inputs["destinationIpv6CidrBlock"] == "::/0"


def test_only_public_subnets_get_ipv6_blocks_from_the_vpc(network) -> None:
    rec = network(3)
    vpc = rec.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["assignGeneratedIpv6CidrBlock"] is True
    first_three = list(ipaddress.IPv6Network(vpc.outputs["ipv6CidrBlock"]).subnets(8))[:3]
    blocks = {r.name: r.inputs.get("ipv6CidrBlock") for r in rec.of_type("aws:ec2/subnet:Subnet")}
    assert [blocks[f"net-public-{i}"] for i in range(3)] == [str(b) for b in first_three]
    assert all(
        blocks[f"net-{tier}-{i}"] is None for tier in ("private", "database") for i in range(3)
    )


def test_ipv6_can_be_left_off(network) -> None:
    rec = network(2, ipv6=False)
    assert "assignGeneratedIpv6CidrBlock" not in rec.one("aws:ec2/vpc:Vpc").inputs or (
        rec.one("aws:ec2/vpc:Vpc").inputs["assignGeneratedIpv6CidrBlock"] is False
    )
    assert all("ipv6CidrBlock" not in r.inputs for r in rec.of_type("aws:ec2/subnet:Subnet"))
    assert all(
        "destinationIpv6CidrBlock" not in r.inputs for r in rec.of_type("aws:ec2/route:Route")
    )


def test_database_subnets_have_no_route_out_of_the_vpc(network) -> None:
    for strategy in ("single", "per-az", "instance"):
        rec = network(2, nat_strategy=strategy)
        assert routes_of(rec, "net-database-rt") == []


def test_per_az_strategy_routes_each_az_through_its_own_nat_gateway(network) -> None:
    rec = network(3, nat_strategy="per-az")
    gateways = rec.of_type("aws:ec2/natGateway:NatGateway")
    assert len(gateways) == 3
    assert len(rec.of_type("aws:ec2/eip:Eip")) == 3
    public = {r.name: r.id for r in rec.of_type("aws:ec2/subnet:Subnet")}
    for i in range(3):
        assert gateways[i].inputs["subnetId"] == public[f"net-public-{i}"]
        (route,) = routes_of(rec, f"net-private-rt-{i}")
        assert route == {
            **route,
            "destinationCidrBlock": "0.0.0.0/0",
            "natGatewayId": gateways[i].id,
        }


def test_single_strategy_routes_every_az_through_one_nat_gateway(network) -> None:
    rec = network(3, nat_strategy="single")
    gateway = rec.one("aws:ec2/natGateway:NatGateway")
    for i in range(3):
        (route,) = routes_of(rec, f"net-private-rt-{i}")
        assert route["natGatewayId"] == gateway.id


def test_none_strategy_leaves_private_subnets_without_a_default_route(network) -> None:
    rec = network(2, nat_strategy="none")
    assert rec.of_type("aws:ec2/natGateway:NatGateway") == []
    assert all(routes_of(rec, f"net-private-rt-{i}") == [] for i in range(2))


def test_nat_instance_routes_private_traffic_through_its_static_interface(network) -> None:
    rec = network(2, nat_strategy="instance")
    enis = rec.of_type("aws:ec2/networkInterface:NetworkInterface")
    public = {r.name: r.id for r in rec.of_type("aws:ec2/subnet:Subnet")}
    for i, eni in enumerate(enis):
        assert eni.inputs["sourceDestCheck"] is False
        assert eni.inputs["subnetId"] == public[f"net-public-{i}"]
        (route,) = routes_of(rec, f"net-private-rt-{i}")
        assert route["networkInterfaceId"] == eni.id


def test_nat_instances_use_imdsv2_encrypted_arm_volumes_and_a_group_of_one(network) -> None:
    rec = network(2, nat_strategy="instance", nat_instance_type="t4g.nano")
    for template in rec.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert template.inputs["instanceType"] == "t4g.nano"
        assert template.inputs["metadataOptions"] == {
            "httpTokens": "required",
            "httpEndpoint": "enabled",
            "httpPutResponseHopLimit": 1,
        }
        (device,) = template.inputs["blockDeviceMappings"]
        assert device["ebs"]["encrypted"] == "true"
    for group in rec.of_type("aws:autoscaling/group:Group"):
        assert (group.inputs["minSize"], group.inputs["maxSize"]) == (1, 1)


def test_nat_instance_role_allows_ssm_and_attaching_only_its_interfaces(network) -> None:
    rec = network(2, nat_strategy="instance")
    attachments = [
        r
        for r in rec.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name == "net-nat-ssm"
    ]
    assert attachments[0].inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    )
    policy = json.loads(rec.named("net-nat-attach").inputs["policy"])
    attach, modify = policy["Statement"]
    assert attach["Action"] == ["ec2:AttachNetworkInterface"]
    assert attach["Resource"] == [
        "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
        "arn:aws:ec2:us-east-1:123456789012:instance/*",
    ]
    assert modify["Action"] == ["ec2:ModifyInstanceAttribute"]
    assert modify["Resource"] == ["arn:aws:ec2:us-east-1:123456789012:instance/*"]


def test_nat_role_acts_only_on_instances_and_interfaces_tagged_as_this_stacks_nat(
    network,
) -> None:
    rec = network(2, nat_strategy="instance")
    policy = json.loads(rec.named("net-nat-attach").inputs["policy"])
    for grant in policy["Statement"]:
        assert grant["Condition"] == {
            "StringEquals": {
                "aws:ResourceTag/Project": "ecs-platform",
                "aws:ResourceTag/Environment": "stage",
                "aws:ResourceTag/Role": "nat",
            }
        }


def test_aws_evaluates_resource_tags_for_both_nat_actions_on_instances_and_interfaces() -> None:
    # The tag conditions above only bind if AWS evaluates aws:ResourceTag for these actions
    # on these resource types: the IAM service-authorization catalog says whether it does.
    from policy_sentry.querying.actions import get_action_data

    for action, kinds in (
        ("AttachNetworkInterface", ("instance", "network-interface")),
        ("ModifyInstanceAttribute", ("instance",)),
    ):
        rows = get_action_data("ec2", action)["ec2"]
        for kind in kinds:
            (row,) = [r for r in rows if f":{kind}/" in r["resource_arn_format"]]
            assert "aws:ResourceTag/${TagKey}" in row["condition_keys"], (action, kind)


def test_nat_instances_volumes_and_interfaces_are_tagged_with_the_stack_and_role(
    network,
) -> None:
    rec = network(2, nat_strategy="instance")
    wanted = {**STACK_TAGS, "Role": "nat"}
    for i, template in enumerate(rec.of_type("aws:ec2/launchTemplate:LaunchTemplate")):
        specs = {t["resourceType"]: t["tags"] for t in template.inputs["tagSpecifications"]}
        assert set(specs) == {"instance", "volume", "network-interface"}
        for tags in specs.values():
            assert tags == {**wanted, "Name": f"net-nat-{i}"}
    for i, group in enumerate(rec.of_type("aws:autoscaling/group:Group")):
        tags = {t["key"]: t["value"] for t in group.inputs["tags"]}
        assert tags == {**wanted, "Name": f"net-nat-{i}"}
        assert all(t["propagateAtLaunch"] for t in group.inputs["tags"])
    for eni in rec.of_type("aws:ec2/networkInterface:NetworkInterface"):
        assert {k: eni.inputs["tags"][k] for k in wanted} == wanted


def test_nat_groups_leave_their_name_to_auto_naming_so_stacks_never_collide(network) -> None:
    # Group names are unique per account and region (CreateAutoScalingGroup API reference).
    rec = network(2, nat_strategy="instance")
    for group in rec.of_type("aws:autoscaling/group:Group"):
        assert "name" not in group.inputs


def test_instance_strategy_requires_the_stack_tags_its_role_is_scoped_to() -> None:
    with pytest.raises(ValueError, match="stack_tags lacks Environment"):
        args(2, nat_strategy="instance", stack_tags={"Project": "ecs-platform"})
    assert args(2, nat_strategy="per-az", stack_tags={}).config.nat_strategy == "per-az"


# --- the NAT boot script ------------------------------------------------------------------
ENI = "eni-0123456789abcdef0"
PRIMARY_MAC = "0a:00:00:00:00:01"


def user_data_of(rec) -> str:
    (template, *_) = rec.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    return base64.b64decode(template.inputs["userData"]).decode()


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is not installed")
def test_nat_boot_scripts_pass_shellcheck(network, tmp_path: Path) -> None:
    rendered = tmp_path / "user-data.sh"
    rendered.write_text(user_data_of(network(2, nat_strategy="instance")))
    every_boot = tmp_path / "nat-setup.sh"
    every_boot.write_text(nat_setup_script(ENI, "us-east-1"))
    result = subprocess.run(
        ["shellcheck", "--shell=bash", str(rendered), str(every_boot)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_nat_setup_runs_at_every_boot_from_an_enabled_systemd_unit(network) -> None:
    user_data = user_data_of(network(2, nat_strategy="instance"))
    eni = network(2, nat_strategy="instance").of_type("aws:ec2/networkInterface:NetworkInterface")
    # The script the unit runs is written verbatim, for this AZ's interface.
    assert nat_setup_script(eni[0].id, "us-east-1") in user_data
    unit = user_data.split("<<'NAT_UNIT'\n", 1)[1].split("NAT_UNIT\n", 1)[0]
    assert f"ExecStart={NAT_SETUP_PATH}" in unit.splitlines()
    assert "WantedBy=multi-user.target" in unit.splitlines()
    assert "After=network-online.target" in unit.splitlines()
    assert "Restart=on-failure" in unit.splitlines()  # metadata or EC2 not answering yet
    lines = user_data.splitlines()
    assert "systemctl enable nat-setup.service" in lines
    assert lines[-1] == NAT_SETUP_PATH  # and runs once now, at first boot


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd is not installed")
def test_nat_setup_unit_is_one_systemd_accepts_without_a_warning(tmp_path: Path) -> None:
    # systemd-analyze checks the unit's keys and values; the script itself exists only on
    # the instance, so the check runs the unit with a command that exists here.
    unit = tmp_path / "nat-setup.service"
    unit.write_text(nat_setup_unit().replace(f"ExecStart={NAT_SETUP_PATH}", "ExecStart=/bin/true"))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


STUBS = {
    "curl": """#!/bin/bash
for arg in "$@"; do [[ "$arg" == http* ]] && url="$arg"; done
case "$url" in
  */api/token) echo token ;;
  */meta-data/instance-id) echo i-0123 ;;
  */meta-data/mac) echo %(mac)s ;;
  */meta-data/network/interfaces/macs/) cat "$STUB/macs" ;;
  */interface-id) mac="${url%/interface-id}"; cat "$STUB/if-${mac##*/}" ;;
  *) exit 22 ;;
esac
""",
    "aws": """#!/bin/bash
echo "aws $*" >> "$STUB/log"
if [[ "$*" == *attach-network-interface* ]] && [ -s "$STUB/attach-failures" ]; then
  sed -i 1d "$STUB/attach-failures"
  exit 255
fi
""",
    "ip": """#!/bin/bash
echo "1: lo: <LOOPBACK,UP> mtu 65536 qdisc noqueue link/loopback 00:00:00:00:00:00"
echo "2: ens5: <BROADCAST,UP> mtu 9001 qdisc mq link/ether %(mac)s brd ff:ff:ff:ff:ff:ff"
echo "3: ens6: <BROADCAST,UP> mtu 9001 qdisc mq link/ether 0a:00:00:00:00:02 brd ff:ff:ff:ff:ff:ff"
""",
    "sysctl": '#!/bin/bash\necho "sysctl $*" >> "$STUB/log"\n',
    "iptables": '#!/bin/bash\necho "iptables $*" >> "$STUB/log"\n[[ " $* " != *" -C "* ]]\n',
    "sleep": "#!/bin/bash\n",
}


def run_setup(tmp_path: Path, macs: dict[str, str], attach_failures: int = 0) -> list[str]:
    """Runs the every-boot script against stand-ins for IMDS, the AWS CLI, ip and iptables;
    returns the commands it ran."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool, text in STUBS.items():
        (bin_dir / tool).write_text(text.replace("%(mac)s", PRIMARY_MAC))
        (bin_dir / tool).chmod(0o755)
    (tmp_path / "macs").write_text("".join(f"{mac}/\n" for mac in macs))
    for mac, eni in macs.items():
        (tmp_path / f"if-{mac}").write_text(eni + "\n")
    (tmp_path / "attach-failures").write_text("x\n" * attach_failures)
    (tmp_path / "log").write_text("")
    script = tmp_path / "nat-setup"
    script.write_text(nat_setup_script(ENI, "us-east-1"))
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB": str(tmp_path)}
    subprocess.run(["bash", str(script)], env=env, check=True, capture_output=True)
    return (tmp_path / "log").read_text().splitlines()


def test_first_boot_turns_off_the_check_and_attaches_the_interface(tmp_path: Path) -> None:
    log = run_setup(tmp_path, {PRIMARY_MAC: "eni-primary"})
    assert log[:2] == [
        "aws --region us-east-1 ec2 modify-instance-attribute --instance-id i-0123 "
        "--no-source-dest-check",
        "aws --region us-east-1 ec2 attach-network-interface --instance-id i-0123 "
        f"--network-interface-id {ENI} --device-index 1",
    ]
    assert "iptables -t nat -A POSTROUTING -o ens5 -j MASQUERADE" in log
    assert "iptables -A FORWARD -j ACCEPT" in log


def test_a_reboot_with_the_interface_attached_does_not_attach_it_again(tmp_path: Path) -> None:
    log = run_setup(tmp_path, {PRIMARY_MAC: "eni-primary", "0a:00:00:00:00:02": ENI})
    assert not [line for line in log if "attach-network-interface" in line]
    assert "iptables -t nat -A POSTROUTING -o ens5 -j MASQUERADE" in log


def test_attach_is_retried_while_a_replaced_instance_still_holds_the_interface(
    tmp_path: Path,
) -> None:
    log = run_setup(tmp_path, {PRIMARY_MAC: "eni-primary"}, attach_failures=2)
    assert len([line for line in log if "attach-network-interface" in line]) == 3


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("iptables") or not shutil.which("unshare"),
    reason="needs root, iptables and unshare for a throwaway network namespace",
)
def test_nat_rules_apply_once_however_often_the_script_runs(tmp_path: Path) -> None:
    # In a new network namespace: the host's rules and sysctls are never touched.
    script = tmp_path / "rules.sh"
    script.write_text(
        "set -euo pipefail\nprimary=ens5\n"
        + nat_forwarding_script()
        + nat_forwarding_script()
        + "cat /proc/sys/net/ipv4/ip_forward\niptables-save\n"
    )
    result = subprocess.run(
        ["unshare", "--net", "bash", str(script)], capture_output=True, text=True, check=False
    )
    if result.returncode and "Operation not permitted" in result.stderr:
        pytest.skip("network namespaces are not permitted here")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "1"
    rules = [line for line in lines if line.startswith("-A ")]
    assert rules == ["-A FORWARD -j ACCEPT", "-A POSTROUTING -o ens5 -j MASQUERADE"]


def test_nat_security_group_admits_only_the_vpc(network) -> None:
    rec = network(2, nat_strategy="instance")
    (ingress,) = rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert ingress.inputs["cidrIpv4"] == "10.0.0.0/16"
    assert ingress.inputs["description"]


def test_default_security_group_is_left_with_no_rules(network) -> None:
    rec = network(2)
    default = rec.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.inputs["ingress"] == []
    assert default.inputs["egress"] == []


def test_flow_logs_go_to_an_encrypted_log_group_with_retention(network) -> None:
    rec = network(2, flow_log_retention_days=14)
    group = rec.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == KEY
    assert group.inputs["retentionInDays"] == 14
    flow = rec.one("aws:ec2/flowLog:FlowLog")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestination"] == group.outputs["arn"]
    policy = json.loads(rec.named("net-flow-logs-write").inputs["policy"])
    (only,) = policy["Statement"]
    assert only["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":*"]
    trust = json.loads(rec.named("net-flow-logs-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"}
    }


def test_s3_gateway_endpoint_serves_the_private_route_tables(network) -> None:
    rec = network(2)
    endpoint = rec.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    private = [
        r.id
        for r in rec.of_type("aws:ec2/routeTable:RouteTable")
        if r.name.startswith("net-private-rt-")
    ]
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    assert endpoint.inputs["routeTableIds"] == private


def test_interface_endpoints_are_optional_and_private(network) -> None:
    assert len(network(2).of_type("aws:ec2/vpcEndpoint:VpcEndpoint")) == 1
    rec = network(2, interface_endpoints=True)
    interface = [
        r
        for r in rec.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if r.inputs["vpcEndpointType"] == "Interface"
    ]
    assert sorted(r.inputs["serviceName"] for r in interface) == sorted(
        f"com.amazonaws.us-east-1.{s}" for s in INTERFACE_ENDPOINT_SERVICES
    )
    assert all(r.inputs["privateDnsEnabled"] for r in interface)
    rule = next(
        r
        for r in rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.name == "net-endpoints-https"
    )
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["cidrIpv4"]) == (
        443,
        443,
        "10.0.0.0/16",
    )


def test_mismatched_subnet_lists_are_rejected() -> None:
    plan = plan_subnets("10.0.0.0/16", 2)
    with pytest.raises(ValueError, match="one CIDR per AZ"):
        NetworkArgs(
            kms_key_arn=KEY,
            subnets=SubnetPlan(
                public=plan.public, private=plan.private[:1], database=plan.database
            ),
        )
