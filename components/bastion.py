"""Bastion: the operators' jump host to the database, SSM first, SSH only when configured."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from components.network import AL2023_ARM_AMI_PARAMETER
from components.policies import assume_role_policy


@dataclass(frozen=True)
class BastionArgs:
    """Where the bastion sits and who may reach it."""

    vpc_id: pulumi.Input[str]
    """VPC of the bastion."""
    public_subnet_id: pulumi.Input[str]
    """Subnet used when SSH is configured (the host then has a public IP)."""
    private_subnet_id: pulumi.Input[str]
    """Subnet used without SSH: no public IP, reached through SSM Session Manager only."""
    database_security_group_id: pulumi.Input[str]
    """Security group of the database, the only thing the bastion connects to."""
    database_address: pulumi.Input[str]
    """Host name of the database, for the connect commands."""
    database_port: int = 5432
    """Port of the database."""
    instance_type: str = "t4g.nano"
    """Graviton instance type."""
    ssh_cidrs: tuple[str, ...] = ()
    """Source CIDRs allowed to SSH; empty means SSM only, no public IP, no port 22."""
    ssh_public_key: str = ""
    """OpenSSH public key for SSH (required with ssh_cidrs)."""

    def __post_init__(self) -> None:
        if self.ssh_cidrs and not self.ssh_public_key:
            raise ValueError("ssh_public_key is required when ssh_cidrs allows SSH")

    @property
    def ssh(self) -> bool:
        return bool(self.ssh_cidrs)


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
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Bastion: SSH only from configured ranges; out to the database and HTTPS",
            tags={"Name": f"{name}-bastion"},
            opts=child,
        )
        for i, cidr in enumerate(args.ssh_cidrs):
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
            from_port=args.database_port,
            to_port=args.database_port,
            referenced_security_group_id=args.database_security_group_id,
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
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            description="Bastion: reached through SSM Session Manager",
            tags={"Name": f"{name}-bastion"},
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-ssm",
            role=role.name,
            policy_arn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            opts=child,
        )
        profile = aws.iam.InstanceProfile(
            f"{name}-profile", role=role.name, tags={"Name": f"{name}-bastion"}, opts=child
        )
        key_name = None
        if args.ssh:
            key = aws.ec2.KeyPair(
                f"{name}-key",
                public_key=args.ssh_public_key,
                tags={"Name": f"{name}-bastion"},
                opts=child,
            )
            key_name = key.key_name
        ami = aws.ssm.get_parameter_output(
            name=AL2023_ARM_AMI_PARAMETER, opts=pulumi.InvokeOptions(parent=self)
        )
        instance = aws.ec2.Instance(
            f"{name}-instance",
            ami=ami.value,
            instance_type=args.instance_type,
            subnet_id=args.public_subnet_id if args.ssh else args.private_subnet_id,
            associate_public_ip_address=args.ssh,
            vpc_security_group_ids=[sg.id],
            iam_instance_profile=profile.name,
            key_name=key_name,
            metadata_options={
                "http_tokens": "required",
                "http_endpoint": "enabled",
                "http_put_response_hop_limit": 1,
            },
            root_block_device={
                "encrypted": True,
                "volume_type": "gp3",
                "volume_size": 8,
                "delete_on_termination": True,
            },
            monitoring=True,
            ebs_optimized=True,
            tags={"Name": f"{name}-bastion"},
            # A new AMI release must not replace the host under an operator's session.
            opts=ResourceOptions(parent=self, ignore_changes=["ami"]),
        )
        self.instance_id = instance.id
        self.security_group_id = sg.id
        if args.ssh:
            self.connect_command = pulumi.Output.all(
                instance.public_ip, args.database_address
            ).apply(lambda v: ssh_tunnel_command(v[0], v[1], args.database_port))
        else:
            self.connect_command = pulumi.Output.all(instance.id, args.database_address).apply(
                lambda v: ssm_tunnel_command(v[0], v[1], args.database_port)
            )
        self.register_outputs(
            {"instance_id": self.instance_id, "connect_command": self.connect_command}
        )
