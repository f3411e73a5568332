"""What Pulumi's mock engine sees of pulumi-awsx's VPC and of the program's Network.

The program builds its network from `pulumi_aws` primitives rather than `awsx.ec2.Vpc`. The
reason is what a plan can inspect: awsx's components are remote (multi-language) components,
whose children the awsx provider plugin creates; under mocks there is no plugin, so the
component registers as one opaque resource and nothing inside it exists. This script shows it
with both, side by side, by counting what each registers. It does not compare outputs: under
mocks a resource's outputs are whatever the mock's `new_resource` returns, for awsx's VPC as
for any other resource, so they say nothing about awsx.

- the program's `components.network.Network`, as the prod stack declares it (`make plan`'s
  render of `Pulumi.prod.yaml`, through `mock_engine`);
- `awsx.ec2.Vpc` with the same CIDR, AZ count and NAT strategy, under Pulumi's mocks
  (`pulumi.runtime.set_mocks`). pulumi-awsx cannot be installed beside the program's
  pulumi-docker 5 and pulumi-aws 7, so this half runs in `build/awsx-venv`
  (`make awsx-venv`, from the hash lock scripts/requirements-awsx.lock).

    .venv/bin/python scripts/awsx_visibility.py            # the table (docs/design.md)
    build/awsx-venv/bin/python scripts/awsx_visibility.py --awsx-json '<settings>'   # one half
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AWSX_PYTHON = ROOT / "build" / "awsx-venv" / "bin" / "python"
# Run as a script (`python scripts/awsx_visibility.py`): the project's packages are importable.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
NETWORK_TYPE = "ecs-platform:network:Network"
# awsx's names for the NAT strategies the program offers (`instance` has no awsx counterpart).
AWSX_NAT = {"per-az": "OnePerAz", "single": "Single", "none": "None"}


class AwsxUnavailable(RuntimeError):
    """build/awsx-venv is missing: `make awsx-venv` creates it."""


@dataclass(frozen=True)
class Registered:
    """One registration the mock engine received."""

    type: str
    name: str
    custom: bool


@dataclass(frozen=True)
class VpcShape:
    """The settings both VPCs are built with, read from the rendered Network."""

    cidr: str
    az_count: int
    nat: str  # the program's NAT strategy name

    def as_json(self) -> str:
        return json.dumps({"cidr": self.cidr, "az_count": self.az_count, "nat": self.nat})


@dataclass(frozen=True)
class Seen:
    """What one VPC implementation showed the mock engine."""

    label: str
    registered: tuple[Registered, ...]

    def count(self, *type_tokens: str) -> int:
        return sum(1 for r in self.registered if r.type in type_tokens)


# What a plan looks for in a VPC, who needs it, and the resource types that carry it.
ROWS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "VPC",
        "the diagram; `vpc-flow-logs-enabled`",
        ("aws:ec2/vpc:Vpc",),
    ),
    (
        "subnets",
        "`subnet-no-auto-public-ip`, `ecs-tasks-in-private-subnets`, `rds-private-subnet-group`",
        ("aws:ec2/subnet:Subnet",),
    ),
    (
        "route tables, routes, associations",
        "`private-subnets-route-via-nat`, `ecs-tasks-in-private-subnets`",
        (
            "aws:ec2/routeTable:RouteTable",
            "aws:ec2/route:Route",
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
        ),
    ),
    (
        "NAT gateways and Elastic IPs",
        "cost: NAT Gateway hours and GB, public IPv4 addresses",
        ("aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip"),
    ),
    (
        "Internet Gateway",
        "`ecs-tasks-in-private-subnets` (what makes a subnet public)",
        ("aws:ec2/internetGateway:InternetGateway",),
    ),
    (
        "flow log and its log group",
        "`vpc-flow-logs-enabled`, `log-group-kms`; cost: log ingestion",
        ("aws:ec2/flowLog:FlowLog", "aws:cloudwatch/logGroup:LogGroup"),
    ),
    (
        "default security group (emptied)",
        "`vpc-default-security-group-managed`, `default-security-group-closed`",
        ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",),
    ),
    (
        "gateway endpoint for S3",
        "cost: the saving on S3/ECR traffic through NAT",
        ("aws:ec2/vpcEndpoint:VpcEndpoint",),
    ),
)


def _awsx_half(shape: VpcShape) -> dict[str, object]:
    """Declares `awsx.ec2.Vpc` under Pulumi's mocks and returns what the engine received.

    Runs in build/awsx-venv. The mocks answer every registration with no outputs: only the
    registrations are compared, and those do not depend on what a mock answers.
    """
    import pulumi
    import pulumi_awsx as awsx  # only in build/awsx-venv
    from pulumi.runtime import stack as runtime_stack
    from pulumi.runtime.sync_await import _sync_await

    registered: list[dict[str, object]] = []

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(
            self, args: pulumi.runtime.MockResourceArgs
        ) -> tuple[str, dict[str, object]]:
            registered.append({"type": args.typ, "name": args.name, "custom": args.custom})
            return f"{args.name}-id", {}

        def call(
            self, args: pulumi.runtime.MockCallArgs
        ) -> tuple[dict[str, object], list[tuple[str, str]] | None]:
            return {}, []  # no result and no failures

    pulumi.runtime.set_mocks(Mocks(), project="ecs-platform", stack="prod", preview=False)

    def build() -> None:
        nat = AWSX_NAT.get(shape.nat, "OnePerAz")
        awsx.ec2.Vpc(
            "net",
            cidr_block=shape.cidr,
            number_of_availability_zones=shape.az_count,
            nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(
                strategy=awsx.ec2.NatGatewayStrategy(nat)
            ),
            subnet_specs=[
                awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.PUBLIC),
                awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.PRIVATE),
                awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.ISOLATED),
            ],
        )

    _sync_await(runtime_stack.run_pulumi_func(build))
    return {"registered": registered}


def seen_of_awsx(shape: VpcShape) -> Seen:
    """Runs the awsx half in build/awsx-venv."""
    if not AWSX_PYTHON.is_file():
        raise AwsxUnavailable(f"{AWSX_PYTHON} is missing; run: make awsx-venv")
    done = subprocess.run(
        [str(AWSX_PYTHON), str(Path(__file__).resolve()), "--awsx-json", shape.as_json()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the awsx half failed:\n{done.stderr}")
    document = json.loads(done.stdout)
    registered = tuple(
        Registered(type=str(r["type"]), name=str(r["name"]), custom=bool(r["custom"]))
        for r in document["registered"]
    )
    return Seen(label="`awsx.ec2.Vpc`", registered=registered)


def seen_of_network(stack: str = "prod") -> tuple[Seen, VpcShape]:
    """The program's Network as `stack` declares it, and the settings it was built with."""
    from mock_engine import render_stack

    recording = render_stack(stack)
    inside = [r for r in recording.resources if NETWORK_TYPE in r.urn.split("::")[2]]
    registered = tuple(Registered(type=r.type, name=r.name, custom=r.custom) for r in inside)
    vpcs = [r for r in inside if r.type == "aws:ec2/vpc:Vpc"]
    subnets = [r for r in inside if r.type == "aws:ec2/subnet:Subnet"]
    nat_gateways = sum(1 for r in inside if r.type == "aws:ec2/natGateway:NatGateway")
    az_count = len({s.inputs.get("availabilityZone") for s in subnets})
    nat = "per-az" if nat_gateways == az_count else "single" if nat_gateways == 1 else "none"
    shape = VpcShape(cidr=str(vpcs[0].inputs["cidrBlock"]), az_count=az_count, nat=nat)
    label = "`components.network.Network`"
    return Seen(label=label, registered=registered), shape


def _types(seen: Seen) -> str:
    counts = Counter(r.type for r in seen.registered)
    return ", ".join(f"`{t}` x{n}" if n > 1 else f"`{t}`" for t, n in sorted(counts.items()))


def table(awsx: Seen, network: Seen, shape: VpcShape, stack: str = "prod") -> str:
    """The comparison as Markdown (the generated section of docs/design.md)."""
    lines = [
        f"Both built with {stack}'s network: `{shape.cidr}`, {shape.az_count} AZs, NAT "
        f"`{shape.nat}` (`python scripts/awsx_visibility.py`).",
        "",
        f"| what the mock engine sees | needed by | {awsx.label} | {network.label} |",
        "|---|---|---:|---:|",
        f"| registrations | the plan's inventory | {len(awsx.registered)} "
        f"| {len(network.registered)} |",
        f"| of which AWS resources (custom) | the plan's inventory and cost "
        f"| {sum(r.custom for r in awsx.registered)} "
        f"| {sum(r.custom for r in network.registered)} |",
    ]
    for label, needed_by, types in ROWS:
        lines.append(f"| {label} | {needed_by} | {awsx.count(*types)} | {network.count(*types)} |")
    lines += [
        "",
        f"Types registered: {awsx.label}: {_types(awsx)}; {network.label}: {_types(network)}.",
    ]
    return "\n".join(lines)


def comparison(stack: str = "prod") -> tuple[Seen, Seen, VpcShape]:
    network, shape = seen_of_network(stack)
    return seen_of_awsx(shape), network, shape


def markdown(stack: str = "prod") -> str:
    awsx, network, shape = comparison(stack)
    return table(awsx, network, shape, stack)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--awsx-json", metavar="SETTINGS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.awsx_json:
        shape = VpcShape(**json.loads(args.awsx_json))
        print(json.dumps(_awsx_half(shape), default=str))
        return 0
    try:
        print(markdown())
    except AwsxUnavailable as error:
        print(f"awsx_visibility: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
