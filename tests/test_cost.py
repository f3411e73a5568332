"""The cost model's arithmetic on hand-built resources and round prices (expected values
worked out by hand in each test), and the checks of the price and usage files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mock_engine import RecordedResource
from offline_plan.cost import NAIVE, estimate, savings
from offline_plan.inventory import StackView
from offline_plan.pricing import PlanInputError, Price, PriceTable, Usage, load_prices, load_usage

STACK_URN = "urn:pulumi:test::ecs-platform::pulumi:pulumi:Stack::ecs-platform-test"
NETWORK = "ecs-platform:network:Network"
WEB = "ecs-platform:bluegreen:BlueGreen"


def _price(key: str, value: float) -> Price:
    return Price(key=key, price=value, unit="", source="test", date="2026-01-01")


PRICES = PriceTable(
    region="us-east-1",
    currency="USD",
    hours_per_month=730,
    as_of="2026-01-01",
    sources={"test": "hand-made"},
    prices={
        k: _price(k, v)
        for k, v in {
            "nat_gateway_hour": 0.045,
            "nat_gateway_gb": 0.045,
            "public_ipv4_hour": 0.005,
            "alb_hour": 0.0225,
            "alb_lcu_hour": 0.008,
            "data_transfer_out_gb": 0.09,
            "fargate_x86_vcpu_hour": 0.04,
            "fargate_x86_gb_hour": 0.004,
            "fargate_arm_vcpu_hour": 0.032,
            "fargate_arm_gb_hour": 0.0032,
            "fargate_spot_discount": 0.7,
            "fargate_ephemeral_gb_hour": 0.0001,
            "ebs_gp3_gb_month": 0.08,
            "ebs_gp2_gb_month": 0.10,
            "rds_storage_gb_month": 0.115,
            "rds_storage_multi_az_gb_month": 0.23,
            "secret_month": 0.40,
            "vpc_gateway_endpoint": 0.0,
            "vpc_interface_endpoint_az_hour": 0.01,
            "cloudwatch_logs_ingest_gb": 0.5,
            "cloudwatch_logs_store_gb_month": 0.03,
            "ecr_storage_gb_month": 0.1,
            "kms_requests_10k": 0.03,
            "secret_calls_10k": 0.05,
            "route53_queries_million": 0.4,
        }.items()
    },
    ec2_hour={"t4g.nano": _price("ec2 t4g.nano", 0.0042)},
    rds_hour={"db.t4g.micro": (_price("single", 0.016), _price("multi", 0.032))},
)
NO_TRAFFIC = Usage(
    stack="test",
    values={
        k: 0.0
        for k in (
            "nat_internet_gb",
            "s3_gb",
            "internet_egress_gb",
            "alb_lcu",
            "log_ingest_gb",
            "log_stored_gb",
            "prometheus_samples_million",
            "prometheus_storage_gb",
            "grafana_editors",
            "grafana_viewers",
            "waf_requests_million",
            "route53_queries_million",
            "ecr_storage_gb",
            "secret_calls_thousand",
            "kms_requests_thousand",
        )
    },
    source="test",
)


def usage(**values: float) -> Usage:
    return Usage("test", {**NO_TRAFFIC.values, **values}, "test")


def component(name: str, type_: str) -> RecordedResource:
    return RecordedResource(
        type=type_,
        name=name,
        urn=f"urn:pulumi:test::ecs-platform::{type_}::{name}",
        parent=STACK_URN,
        inputs={},
        outputs={},
        id="",
        custom=False,
    )


def res(
    type_: str, name: str, inputs: dict[str, Any], parent: RecordedResource | None, rid: str = ""
) -> RecordedResource:
    chain = f"{parent.type}${type_}" if parent else type_
    return RecordedResource(
        type=type_,
        name=name,
        urn=f"urn:pulumi:test::ecs-platform::{chain}::{name}",
        parent=parent.urn if parent else STACK_URN,
        inputs=inputs,
        outputs={"id": rid or f"{name}-id"},
        id=rid or f"{name}-id",
    )


def subnets(net: RecordedResource, azs: int = 2) -> list[RecordedResource]:
    return [
        res(
            "aws:ec2/subnet:Subnet",
            f"{tier}-{i}",
            {"availabilityZone": f"us-east-1{'abc'[i]}", "tags": {"Tier": tier}},
            net,
        )
        for tier in ("public", "private")
        for i in range(azs)
    ]


def monthly(resources: list[RecordedResource], **kw: Any) -> Any:
    return estimate(StackView(resources), PRICES, kw.pop("use", NO_TRAFFIC), **kw)


def test_nat_gateway_costs_its_hours_and_its_elastic_ip() -> None:
    net = component("net", NETWORK)
    eip = res("aws:ec2/eip:Eip", "eip", {"domain": "vpc"}, net, rid="eipalloc-1")
    nat = res("aws:ec2/natGateway:NatGateway", "nat", {"allocationId": "eipalloc-1"}, net)
    # 730 h x 0.045 = 32.85 for the gateway, 730 h x 0.005 = 3.65 for its address.
    assert monthly([net, eip, nat, *subnets(net, 1)]).fixed == pytest.approx(36.50, abs=0.005)


def test_fargate_spot_discount_applies_to_the_spot_share_only() -> None:
    web = component("web", WEB)
    td = res(
        "aws:ecs/taskDefinition:TaskDefinition",
        "td",
        {
            "family": "site",
            "cpu": "256",
            "memory": "512",
            "runtimePlatform": {"cpuArchitecture": "X86_64"},
        },
        web,
        rid="arn:aws:ecs:us-east-1:1:task-definition/site:1",
    )
    service = res(
        "aws:ecs/service:Service",
        "svc",
        {
            "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/site:1",
            "desiredCount": 2.0,
            "capacityProviderStrategies": [
                {"capacityProvider": "FARGATE", "weight": 1.0},
                {"capacityProvider": "FARGATE_SPOT", "weight": 1.0},
            ],
        },
        web,
    )
    # A task: 0.25 vCPU x 0.04 + 0.5 GB x 0.004 = 0.012 per hour; half of it on Spot at 70%
    # off leaves 0.65 of that: 2 tasks x 730 h x 0.012 x 0.65 = 11.388.
    assert monthly([web, td, service]).fixed == pytest.approx(11.388, abs=0.005)


def test_naive_layout_prices_tasks_as_x86_on_demand() -> None:
    web = component("web", WEB)
    td = res(
        "aws:ecs/taskDefinition:TaskDefinition",
        "td",
        {
            "family": "site",
            "cpu": "1024",
            "memory": "2048",
            "runtimePlatform": {"cpuArchitecture": "ARM64"},
        },
        web,
        rid="td-arn",
    )
    service = res(
        "aws:ecs/service:Service",
        "svc",
        {
            "taskDefinition": "td-arn",
            "desiredCount": 1.0,
            "capacityProviderStrategies": [{"capacityProvider": "FARGATE_SPOT", "weight": 1.0}],
        },
        web,
    )
    # As built: (1 x 0.032 + 2 x 0.0032) x 0.3 x 730 = 8.4096; naive: (0.04 + 0.008) x 730 = 35.04.
    assert monthly([web, td, service]).fixed == pytest.approx(8.4096, abs=0.005)
    assert monthly([web, td, service], layout=NAIVE).fixed == pytest.approx(35.04, abs=0.005)


def test_internet_facing_load_balancer_pays_a_public_address_per_az() -> None:
    web = component("web", WEB)
    lb = res(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb",
        {"loadBalancerType": "application", "internal": False, "subnets": ["a", "b"]},
        web,
    )
    # 730 x 0.0225 = 16.425 plus 2 x 730 x 0.005 = 7.30; 1.5 LCU x 730 x 0.008 = 8.76.
    e = monthly([web, lb], use=usage(alb_lcu=1.5))
    assert e.fixed == pytest.approx(23.725, abs=0.005)
    assert e.usage == pytest.approx(8.76, abs=0.005)


def test_multi_az_database_pays_multi_az_instance_and_storage_prices() -> None:
    db = component("db", "ecs-platform:database:Database")
    rds = res(
        "aws:rds/instance:Instance",
        "rds",
        {
            "instanceClass": "db.t4g.micro",
            "multiAz": True,
            "allocatedStorage": 20.0,
            "manageMasterUserPassword": True,
        },
        db,
    )
    # 730 x 0.032 = 23.36, 20 GB x 0.23 = 4.60, the managed password secret 0.40.
    assert monthly([db, rds]).fixed == pytest.approx(28.36, abs=0.005)


def nat_instances(public_ip: bool = True) -> list[RecordedResource]:
    net = component("net", NETWORK)
    out = [net, *subnets(net)]
    for i in range(2):
        out.append(
            res(
                "aws:ec2/launchTemplate:LaunchTemplate",
                f"lt-{i}",
                {
                    "instanceType": "t4g.nano",
                    "networkInterfaces": [{"associatePublicIpAddress": public_ip}],
                    "blockDeviceMappings": [{"ebs": {"volumeSize": 8.0, "volumeType": "gp3"}}],
                },
                net,
                rid=f"lt-{i}",
            )
        )
        out.append(
            res(
                "aws:autoscaling/group:Group",
                f"asg-{i}",
                {"desiredCapacity": 1.0, "launchTemplate": {"id": f"lt-{i}"}},
                net,
            )
        )
    out.append(res("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"}, net))
    return out


def test_nat_instances_cost_instance_hours_public_addresses_and_disks() -> None:
    # 2 x 730 x 0.0042 = 6.132, 2 x 730 x 0.005 = 7.30, 2 x 8 GB x 0.08 = 1.28.
    assert monthly(nat_instances()).fixed == pytest.approx(14.712, abs=0.005)


def test_naive_layout_puts_a_nat_gateway_with_its_address_in_every_az() -> None:
    # 2 AZs x 730 x (0.045 + 0.005) = 73.00, replacing the NAT instances.
    assert monthly(nat_instances(), layout=NAIVE).fixed == pytest.approx(73.00, abs=0.005)


def test_naive_layout_sends_s3_traffic_through_nat_at_the_per_gb_price() -> None:
    traffic = usage(nat_internet_gb=10, s3_gb=100)
    # (10 + 100) GB x 0.045 = 4.95 through the naive NAT Gateways; the NAT instances charge
    # no processing and S3 goes through the free gateway endpoint as built.
    assert monthly(nat_instances(), layout=NAIVE, use=traffic).usage == pytest.approx(
        4.95, abs=0.005
    )
    assert monthly(nat_instances(), use=traffic).usage == pytest.approx(0.0, abs=0.005)


def test_savings_of_the_choices_add_up_to_naive_minus_as_built() -> None:
    traffic = usage(nat_internet_gb=10, s3_gb=100)
    view = StackView(nat_instances())
    steps = savings(view, PRICES, traffic)
    naive = estimate(view, PRICES, traffic, NAIVE).total()
    built = estimate(view, PRICES, traffic).total()
    assert sum(s.monthly_total for s in steps) == pytest.approx(naive - built)
    assert steps[0].monthly_total == pytest.approx(4.50, abs=0.005)  # 100 GB of S3 x 0.045


def test_a_type_without_a_price_is_listed_as_not_priced() -> None:
    thing = res("aws:memorydb/cluster:Cluster", "cache", {}, None)
    e = monthly([thing])
    assert [x.type for x in e.unpriced()] == ["aws:memorydb/cluster:Cluster"]
    assert e.total() == 0.0


def test_an_instance_type_missing_from_the_table_is_not_priced() -> None:
    vm = res("aws:ec2/instance:Instance", "vm", {"instanceType": "m7g.large"}, None)
    assert [x.item for x in monthly([vm]).unpriced()] == ["EC2 m7g.large"]


def test_shipped_price_table_gives_every_price_a_source_and_date() -> None:
    table = load_prices()
    everything = [*table.prices.values(), *table.ec2_hour.values()]
    everything += [p for pair in table.rds_hour.values() for p in pair]
    assert all(p.source in table.sources and p.date for p in everything)
    assert table["fargate_spot_discount"].estimate


def test_price_without_a_known_source_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "prices.yaml"
    bad.write_text(
        "hours_per_month: 730\nsources: {aws: pages}\n"
        "prices:\n  alb_hour: {price: 0.0225, source: blog, date: '2024'}\n"
    )
    with pytest.raises(PlanInputError, match=r"alb_hour.source = 'blog': must be one of .*aws"):
        load_prices(bad)


def test_usage_file_stack_section_overrides_the_defaults(tmp_path: Path) -> None:
    shipped = (Path(__file__).resolve().parent.parent / "usage.yaml").read_text()
    path = tmp_path / "usage.yaml"
    path.write_text(shipped.replace("stacks:", "stacks:\n  demo:\n    alb_lcu: 7", 1))
    assert load_usage("demo", path)["alb_lcu"] == 7.0
    assert load_usage("other", path)["alb_lcu"] == load_usage("other")["alb_lcu"]


def test_usage_file_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text("defaults:\n  alb_lcus: 2\n")
    with pytest.raises(
        PlanInputError, match=r"defaults.alb_lcus: unknown usage key; did you mean 'alb_lcu'"
    ):
        load_usage("stage", path)


def test_usage_file_negative_value_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text("stacks:\n  stage:\n    s3_gb: -1\n")
    with pytest.raises(PlanInputError, match=r"stacks.stage.s3_gb = -1: must be a number >= 0"):
        load_usage("stage", path)
