"""Network: the exact child contract for each NAT strategy."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable

import pytest

from components.network import INTERFACE_ENDPOINT_SERVICES, Network, NetworkArgs
from offline_plan.mocks import Recording
from settings import plan_subnets

KEY = "arn:aws:kms:us-east-1:123456789012:key/test"


def args(az_count: int = 2, **overrides: object) -> NetworkArgs:
    plan = plan_subnets("10.0.0.0/16", az_count)
    values: dict = {
        "kms_key_arn": KEY,
        "public_subnet_cidrs": plan.public,
        "private_subnet_cidrs": plan.private,
        "database_subnet_cidrs": plan.database,
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
    enis = [e.id for e in rec.of_type("aws:ec2/networkInterface:NetworkInterface")]
    attach, modify = policy["Statement"]
    assert attach["Action"] == ["ec2:AttachNetworkInterface"]
    assert attach["Resource"] == [
        *(f"arn:aws:ec2:us-east-1:123456789012:network-interface/{e}" for e in enis),
        "arn:aws:ec2:us-east-1:123456789012:instance/*",
    ]
    assert modify["Action"] == ["ec2:ModifyInstanceAttribute"]
    assert "Condition" in modify


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
            public_subnet_cidrs=plan.public,
            private_subnet_cidrs=plan.private[:1],
            database_subnet_cidrs=plan.database,
        )
