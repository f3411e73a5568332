"""The AWS facts settings rely on agree with AWS's own data as shipped in the development tools:
botocore's endpoint data (regions, where a service is offered) and cfn-lint's copy of the
CloudFormation registry (instance types per region, Fargate task sizes). When a tool upgrade
brings newer data, a stale table fails here instead of in a deployment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore
import cfnlint
import yaml

import aws_facts
from settings import FARGATE_SIZES

BOTOCORE = Path(botocore.__file__).parent / "data" / "endpoints.json"
CFN_EXTENSIONS = Path(cfnlint.__file__).parent / "data" / "schemas" / "extensions"
ROOT = Path(__file__).resolve().parent.parent


def aws_partition() -> dict[str, Any]:
    partitions = json.loads(BOTOCORE.read_text())["partitions"]
    return next(p for p in partitions if p["partition"] == "aws")


def service_regions(service: str) -> set[str]:
    regions = set(aws_partition()["regions"])
    return set(aws_partition()["services"][service]["endpoints"]) & regions


def cfn_instance_types(region: str | None = None) -> set[str]:
    data = json.loads((CFN_EXTENSIONS / "aws_ec2_instance" / "instancetype_enum.json").read_text())
    if region is not None:
        return set(data[region]["enum"])
    return {t for entry in data.values() if isinstance(entry, dict) for t in entry.get("enum", [])}


def test_every_region_with_az_data_is_an_aws_region() -> None:
    assert set(aws_facts.AZ_COUNT) <= set(aws_partition()["regions"])


def test_grafana_regions_are_the_ones_botocore_serves() -> None:
    assert service_regions("grafana") == aws_facts.GRAFANA_REGIONS


def test_prometheus_and_waf_are_offered_wherever_we_know_the_azs() -> None:
    for service in ("aps", "wafv2", "ecs", "rds"):
        assert set(aws_facts.AZ_COUNT) <= service_regions(service), service


def test_instance_types_the_table_knows_are_ones_ec2_lists() -> None:
    # cfn-lint also lists retired and Mac types the table leaves out; the other way round,
    # only a type newer than cfn-lint's data may be missing.
    unknown = set(aws_facts._instance_table()) - cfn_instance_types()
    assert len(unknown) <= 5, sorted(unknown)


def test_stack_files_use_instance_types_offered_in_their_region() -> None:
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        region = config["aws:region"]
        offered = cfn_instance_types(region)
        for area, key in (
            ("network", "natInstanceType"),
            ("bastion", "instanceType"),
            ("service", "ec2InstanceType"),
        ):
            value = (config.get(f"ecs-platform:{area}") or {}).get(key)
            if value:
                assert value in offered, (path.name, area, key, value)


def test_graviton_types_are_arm64_and_others_are_not() -> None:
    # A spot check against AWS's naming (a `g` after the generation digit means Graviton;
    # a1 is the first Graviton generation).
    for name in ("t4g.nano", "m7g.large", "c6gn.xlarge", "r8g.medium", "a1.large"):
        found = aws_facts.instance_type(name)
        assert found is not None and found.architectures == ("arm64",), name
    for name in ("t3.small", "m7i.large", "c5.xlarge"):
        found = aws_facts.instance_type(name)
        assert found is not None and "arm64" not in found.architectures, name


def test_fargate_sizes_match_the_registry_schema() -> None:
    schema = json.loads(
        (CFN_EXTENSIONS / "aws_ecs_taskdefinition" / "fargate_cpu_memory.json").read_text()
    )
    allowed: dict[int, set[int]] = {}
    for option in schema["then"]["anyOf"]:
        cpu = option["properties"]["Cpu"]["then"]["enum"]
        memory = option["properties"]["Memory"]["then"]
        values = set(memory.get("enum", []))
        if not values:
            low, high = memory["minimum"], memory["maximum"]
            step = memory.get("multipleOf", 1024)
            values = set(range(low, high + 1, step))
        for c in cpu:
            allowed.setdefault(int(c), set()).update(int(v) for v in values)
    assert {cpu: set(sizes) for cpu, sizes in FARGATE_SIZES.items()} == allowed
