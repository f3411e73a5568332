"""Bastion: the operators' jump host to the database, SSM first, SSH only when configured."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from components.database import DatabaseEndpoint
from components.instance import AL2023_ARM_AMI_PARAMETER, image_id, instance, instance_identity
from components.network import Subnets
from settings import BastionSettings


@dataclass(frozen=True)
class BastionArgs:
    """Where the bastion sits, what it reaches and who may reach it."""

    network: Subnets
    """The VPC: the bastion sits in the first private subnet, or in the first public one
    (with a public IP) when SSH is configured."""
    database: DatabaseEndpoint
    """The database, the only thing the bastion connects to (and the connect commands name)."""
    config: BastionSettings = field(default_factory=BastionSettings)
    """Instance type and SSH access (sources and key): the stack's bastion settings. Without
    SSH sources the host has no public IP and no port 22, and is reached through SSM only."""

    @property
    def ssh(self) -> bool:
        return bool(self.config.ssh_cidrs)


def ssm_tunnel_command(instance_id: str, database_address: str, port: int) -> str:
    """Forwards localhost:<port> to the database through Session Manager."""
    return (
        f"aws ssm start-session --target {instance_id} "
        "--document-name AWS-StartPortForwardingSessionToRemoteHost "
        f'--parameters \'{{"host":["{database_address}"],"portNumber":["{port}"],'
        f'"localPortNumber":["{port}"]}}\''
    )


def ssh_tunnel_command(public_ip: str, database_address: str, port: int) -> str:
    """Forwards localhost:<port> to the database through SSH."""
    return f"ssh -N -L {port}:{database_address}:{port} ec2-user@{public_ip}"


class Bastion(pulumi.ComponentResource):
    """A small encrypted ARM instance with SSM access and, only if configured, SSH."""

    instance_id: pulumi.Output[str]
    """Id of the instance."""
    security_group_id: pulumi.Output[str]
    """Security group of the bastion (the database admits it)."""
    connect_command: pulumi.Output[str]
    """Exact command that makes the database reachable on localhost."""

    def __init__(self, name: str, args: BastionArgs, opts: ResourceOptions | None = None):
        super().__init__("ecs-platform:bastion:Bastion", name, None, opts)
        child = ResourceOptions(parent=self)
        config, database = args.config, args.database
        tier = args.network.public if args.ssh else args.network.private
        subnet_id = pulumi.Output.from_input(tier).apply(lambda ids: ids[0])
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.network.vpc_id,
            description="Bastion: SSH only from configured ranges; out to the database and HTTPS",
            tags={"Name": f"{name}-bastion"},
            opts=child,
        )
        for i, cidr in enumerate(config.ssh_cidrs):
            ipv6 = ":" in cidr
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ssh-{i}",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=22,
                to_port=22,
                cidr_ipv4=None if ipv6 else cidr,
                cidr_ipv6=cidr if ipv6 else None,
                description=f"SSH from {cidr} (bastion.sshCidrs)",
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-database",
            security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=database.port,
            to_port=database.port,
            referenced_security_group_id=database.security_group_id,
            description="PostgreSQL to the database",
            opts=child,
        )
        # Session Manager, package updates and AWS APIs are all HTTPS.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-https",
            security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
            description="HTTPS to SSM and AWS APIs",
            opts=child,
        )
        identity = instance_identity(
            name,
            description="Bastion: reached through SSM Session Manager",
            name_tag=f"{name}-bastion",
            opts=child,
        )
        key_name = None
        if args.ssh:
            key = aws.ec2.KeyPair(
                f"{name}-key",
                public_key=config.ssh_public_key,
                tags={"Name": f"{name}-bastion"},
                opts=child,
            )
            key_name = key.key_name
        host = instance(
            f"{name}-instance",
            image=image_id(AL2023_ARM_AMI_PARAMETER, self),
            instance_type=config.instance_type,
            profile=identity.profile,
            root_volume_gb=8,
            subnet_id=subnet_id,
            public_ip=args.ssh,
            security_group_ids=[sg.id],
            key_name=key_name,
            name_tag=f"{name}-bastion",
            # A new AMI release must not replace the host under an operator's session.
            opts=ResourceOptions(parent=self, ignore_changes=["ami"]),
        )
        self.instance_id = host.id
        self.security_group_id = sg.id
        if args.ssh:
            self.connect_command = pulumi.Output.all(host.public_ip, database.address).apply(
                lambda v: ssh_tunnel_command(v[0], v[1], database.port)
            )
        else:
            self.connect_command = pulumi.Output.all(host.id, database.address).apply(
                lambda v: ssm_tunnel_command(v[0], v[1], database.port)
            )
        self.register_outputs(
            {"instance_id": self.instance_id, "connect_command": self.connect_command}
        )
