"""The egress comparison: every way private subnets reach the internet, priced for the stack
(expected values worked out by hand from round prices), and how the plan shows it."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from offline_plan import cli
from offline_plan.cost import EgressInputs, nat_alternatives
from offline_plan.pricing import Usage
from tests.test_cost import PRICES as COST_PRICES
from tests.test_cost import _price

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "offline_plan" / "plan.schema.json").read_text())


# The cost tests' hand-made table, plus the prices only the egress comparison reads.
PRICES = dataclasses.replace(
    COST_PRICES,
    prices={
        **COST_PRICES.prices,
        **{
            k: _price(k, v)
            for k, v in {
                "vpc_interface_endpoint_gb": 0.01,
                "inter_az_gb": 0.01,
                "egress_only_internet_gateway": 0.0,
            }.items()
        },
    },
)


def usage(gb: float) -> Usage:
    return Usage("test", {"nat_internet_gb": gb}, "test")


def inputs(**kw: Any) -> EgressInputs:
    base: dict[str, Any] = {
        "az_count": 2,
        "strategy": "instance",
        "nat_instance_type": "t4g.nano",
        "dual_stack": False,
        "prometheus": False,
        "ssm_bastion": False,
    }
    base.update(kw)
    return EgressInputs(**base)


def choice(strategy: str, gb: float = 0.0, **kw: Any) -> Any:
    return nat_alternatives(inputs(**kw), PRICES, usage(gb)).by_strategy(strategy)


def test_nat_gateway_per_az_costs_hours_addresses_and_processing() -> None:
    a = choice("per-az", gb=100, az_count=3)
    # 3 x (0.045 + 0.005) x 730 = 109.50; 100 GB x 0.045 = 4.50
    assert (a.fixed_usd, a.usage_usd, a.total_usd) == (109.5, 4.5, 114.0)


def test_one_nat_gateway_adds_cross_az_transfer_for_the_other_azs() -> None:
    a = choice("single", gb=100, az_count=3)
    # (0.045 + 0.005) x 730 = 36.50; 100 GB x (0.045 + 2/3 of the GB crossing AZs x 2 x 0.01)
    assert (a.fixed_usd, a.usage_usd) == (36.5, 5.83)


def test_nat_instances_cost_instance_disk_and_address_but_no_processing() -> None:
    a = choice("instance", gb=100, az_count=2)
    # 2 x (0.0042 x 730 + 8 GB x 0.08 + 0.005 x 730) = 2 x 7.356
    assert (a.fixed_usd, a.usage_usd) == (14.71, 0.0)


def test_no_nat_prices_ecr_logs_and_secrets_endpoints_in_every_az() -> None:
    a = choice("none", gb=100, az_count=2)
    # 4 endpoints x 2 AZ x 0.01 x 730 = 58.40; 100 GB x 0.01 = 1.00
    assert (a.fixed_usd, a.usage_usd) == (58.4, 1.0)
    assert not a.reaches_ipv4_internet
    needs = " ".join(a.needs)
    assert all(s in needs for s in ("ecr.api", "ecr.dkr", "logs", "secretsmanager"))


def test_prometheus_and_a_session_manager_bastion_add_their_endpoints() -> None:
    e = nat_alternatives(inputs(prometheus=True, ssm_bastion=True), PRICES, usage(0))
    assert e.endpoints == (
        "ecr.api",
        "ecr.dkr",
        "logs",
        "secretsmanager",
        "aps-workspaces",
        "ssm",
        "ssmmessages",
        "ec2messages",
    )
    assert e.by_strategy("none").fixed_usd == 116.8  # 8 x 2 x 0.01 x 730


def test_only_one_nat_gateway_loses_egress_with_its_az() -> None:
    e = nat_alternatives(inputs(az_count=3), PRICES, usage(0))
    survives = {a.strategy: a.survives_az_loss for a in e.alternatives}
    assert survives == {"none": True, "instance": True, "single": False, "per-az": True}


def test_egress_only_gateway_is_offered_to_a_dual_stack_vpc_only() -> None:
    single_stack = nat_alternatives(inputs(dual_stack=False), PRICES, usage(10))
    dual_stack = nat_alternatives(inputs(dual_stack=True), PRICES, usage(10))
    assert "egress-only" not in {a.strategy for a in single_stack.alternatives}
    eigw = dual_stack.by_strategy("egress-only")
    assert (eigw.total_usd, eigw.reaches_ipv4_internet) == (0.0, False)


def test_the_stack_choice_is_marked() -> None:
    e = nat_alternatives(inputs(strategy="per-az"), PRICES, usage(0))
    assert [a.strategy for a in e.alternatives if a.as_built] == ["per-az"]


def test_cheapest_with_the_same_availability_as_nat_gateways_per_az_is_nat_instances() -> None:
    e = nat_alternatives(inputs(strategy="per-az", az_count=3), PRICES, usage(50))
    assert e.cheapest_same_availability == "instance"


def test_a_cheaper_choice_that_loses_egress_with_an_az_is_not_offered() -> None:
    # With a large NAT instance type (2 x (0.0725 x 730 + 0.64 + 3.65) = 114.43) the one NAT
    # Gateway (36.50) is the cheapest way out, but it does not survive an AZ loss: for a stack
    # with a NAT Gateway per AZ (73.00) the cheapest equal choice is what it has.
    prices = replace(PRICES, ec2_hour={"c7g.large": _price("ec2 c7g.large", 0.0725)})
    e = nat_alternatives(inputs(strategy="per-az", nat_instance_type="c7g.large"), prices, usage(0))
    assert e.cheapest_same_availability == "per-az"


def test_a_single_nat_gateway_stack_may_move_to_anything_that_reaches_the_internet() -> None:
    # One NAT Gateway survives no AZ loss: every choice that reaches the internet qualifies;
    # the cheapest of them (NAT instances, 14.71) is named.
    e = nat_alternatives(inputs(strategy="single"), PRICES, usage(0))
    assert e.cheapest_same_availability == "instance"


def test_break_even_volume_of_endpoints_against_nat_gateways_per_az() -> None:
    e = nat_alternatives(inputs(prometheus=True, ssm_bastion=True), PRICES, usage(0))
    per_az = next(b for b in e.break_even if b.versus == "per-az")
    # endpoints 116.80 against 73.00 fixed; each GB saves 0.045 - 0.01: 43.80 / 0.035
    assert per_az.gb == 1251.4


def test_endpoints_cheaper_in_fixed_cost_break_even_at_zero() -> None:
    e = nat_alternatives(inputs(az_count=2), PRICES, usage(0))
    per_az = next(b for b in e.break_even if b.versus == "per-az")
    assert per_az.gb == 0.0  # 58.40 for 4 endpoints against 73.00 for two NAT Gateways


# The plan of the shipped stacks ---------------------------------------------------------


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("plan") / "plan.json"
    assert (
        cli.main(["--stack", "stage", "--stack", "prod", "--no-diagram", "--json", str(out)]) == 0
    )
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


def test_json_document_holds_the_alternatives_of_each_stack(document: dict[str, Any]) -> None:
    jsonschema.validate(document, SCHEMA)
    for stack in document["stacks"]:
        strategies = {a["strategy"] for a in stack["nat_alternatives"]}
        assert {"none", "instance", "single", "per-az"} <= strategies, stack["stack"]


def test_json_marks_the_choice_of_each_stack_file(document: dict[str, Any]) -> None:
    built = {
        s["stack"]: [a["strategy"] for a in s["nat_alternatives"] if a["as_built"]]
        for s in document["stacks"]
    }
    assert built == {"stage": ["instance"], "prod": ["per-az"]}


def test_prod_is_priced_for_its_three_azs(document: dict[str, Any]) -> None:
    prod = next(s for s in document["stacks"] if s["stack"] == "prod")
    per_az = next(a for a in prod["nat_alternatives"] if a["strategy"] == "per-az")
    assert "3 NAT Gateways and 3 Elastic IPs" in per_az["needs"]


def test_schema_rejects_an_alternative_without_its_availability(document: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(document))
    del broken["stacks"][0]["nat_alternatives"][0]["survives_az_loss"]
    with pytest.raises(jsonschema.ValidationError, match="'survives_az_loss' is a required"):
        jsonschema.validate(broken, SCHEMA)


def test_plan_prints_the_egress_comparison_of_both_stacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--stack", "stage", "--stack", "prod", "--no-diagram"]) == 0
    out = capsys.readouterr().out
    for stack in ("stage", "prod"):
        assert f"{stack}: how private subnets reach the internet" in out
    assert out.count("break-even: interface endpoints cost less than") == 4
    assert "public side: Internet Gateway (no charge) 0.00" in out


def test_pull_request_summary_shows_the_egress_comparison(tmp_path: Path) -> None:
    md = tmp_path / "prod.md"
    assert cli.main(["--stack", "prod", "--no-diagram", "--markdown", str(md)]) == 0
    text = md.read_text()
    assert "### Egress of the private subnets" in text
    assert "| **NAT Gateway per AZ** (the stack's choice) |" in text
    assert "cheapest with the same availability as the stack's choice" in text
