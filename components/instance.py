"""The hardened EC2 instance, written once: what every instance the program runs shares (the
NAT instances, the ECS capacity, the bastion).

- an image AWS publishes as a public SSM parameter, looked up when the program runs;
- the instance metadata service only with session tokens (IMDSv2), one hop, so a container
  or a forwarded packet cannot reach the instance's credentials;
- an encrypted gp3 root volume deleted with the instance;
- a role EC2 assumes with Session Manager's managed policy (no SSH needed to reach it) and
  whatever else the caller names, behind an instance profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from aws_facts import SSM_MANAGED_INSTANCE_POLICY
from components.iam import assume_role_policy

# Amazon Linux 2023 for ARM, published by AWS as a public SSM parameter.
AL2023_ARM_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
ROOT_DEVICE = "/dev/xvda"
# What an instance and what it launches carry their tags on.
LAUNCH_TAGGED = ("instance", "volume", "network-interface")


def launch_template_metadata() -> aws.ec2.LaunchTemplateMetadataOptionsArgsDict:
    """IMDSv2 only, one hop: a container on the instance cannot reach its credentials."""
    return {"http_tokens": "required", "http_endpoint": "enabled", "http_put_response_hop_limit": 1}


def instance_metadata() -> aws.ec2.InstanceMetadataOptionsArgsDict:
    """IMDSv2 only, one hop (as `launch_template_metadata`, for an instance of its own)."""
    return {"http_tokens": "required", "http_endpoint": "enabled", "http_put_response_hop_limit": 1}


def image_id(parameter: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """The image an AWS-published SSM parameter names, read when the program runs."""
    found = aws.ssm.get_parameter_output(name=parameter, opts=pulumi.InvokeOptions(parent=parent))
    return found.value


@dataclass(frozen=True)
class InstanceIdentity:
    """The role instances run with and the profile that hands it to them."""

    role: aws.iam.Role
    profile: aws.iam.InstanceProfile


def instance_identity(
    prefix: str,
    *,
    description: str,
    name_tag: str,
    managed_policies: Mapping[str, str] | None = None,
    opts: ResourceOptions,
) -> InstanceIdentity:
    """`{prefix}-role` (assumed by EC2) with Session Manager's policy (`{prefix}-ssm`) and each
    of `managed_policies` (`{prefix}-{suffix}`), and its profile `{prefix}-profile`."""
    role = aws.iam.Role(
        f"{prefix}-role",
        assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
        description=description,
        tags={"Name": name_tag},
        opts=opts,
    )
    policies = {**(managed_policies or {}), "ssm": SSM_MANAGED_INSTANCE_POLICY}
    for suffix, policy_arn in policies.items():
        aws.iam.RolePolicyAttachment(
            f"{prefix}-{suffix}", role=role.name, policy_arn=policy_arn, opts=opts
        )
    profile = aws.iam.InstanceProfile(
        f"{prefix}-profile", role=role.name, tags={"Name": name_tag}, opts=opts
    )
    return InstanceIdentity(role=role, profile=profile)


def launch_template(
    name: str,
    *,
    image: pulumi.Input[str],
    instance_type: str,
    profile: aws.iam.InstanceProfile,
    root_volume_gb: int,
    user_data: pulumi.Input[str],
    launch_tags: Mapping[str, str],
    name_tag: str,
    detailed_monitoring: bool,
    security_group_ids: Sequence[pulumi.Input[str]] | None = None,
    network_interfaces: Sequence[aws.ec2.LaunchTemplateNetworkInterfaceArgsDict] | None = None,
    opts: ResourceOptions,
) -> aws.ec2.LaunchTemplate:
    """A launch template of hardened instances: IMDSv2 only, an encrypted root volume,
    `launch_tags` on each instance, volume and interface (an Auto Scaling group's launches
    never get the provider's default tags). `detailed_monitoring` costs per instance."""
    root: aws.ec2.LaunchTemplateBlockDeviceMappingArgsDict = {
        "device_name": ROOT_DEVICE,
        "ebs": {
            "volume_size": root_volume_gb,
            "volume_type": "gp3",
            "encrypted": "true",
            "delete_on_termination": "true",
        },
    }
    tag_specifications: list[aws.ec2.LaunchTemplateTagSpecificationArgsDict] = [
        {"resource_type": kind, "tags": dict(launch_tags)} for kind in LAUNCH_TAGGED
    ]
    return aws.ec2.LaunchTemplate(
        name,
        image_id=image,
        instance_type=instance_type,
        iam_instance_profile={"arn": profile.arn},
        vpc_security_group_ids=list(security_group_ids) if security_group_ids else None,
        metadata_options=launch_template_metadata(),
        network_interfaces=list(network_interfaces) if network_interfaces else None,
        block_device_mappings=[root],
        monitoring={"enabled": True} if detailed_monitoring else None,
        user_data=user_data,
        tag_specifications=tag_specifications,
        tags={"Name": name_tag},
        opts=opts,
    )


def instance(
    name: str,
    *,
    image: pulumi.Input[str],
    instance_type: str,
    profile: aws.iam.InstanceProfile,
    root_volume_gb: int,
    subnet_id: pulumi.Input[str],
    public_ip: bool,
    security_group_ids: Sequence[pulumi.Input[str]],
    key_name: pulumi.Input[str] | None,
    name_tag: str,
    opts: ResourceOptions,
) -> aws.ec2.Instance:
    """One hardened instance of its own: IMDSv2 only, an encrypted root volume, detailed
    monitoring, EBS-optimised."""
    return aws.ec2.Instance(
        name,
        ami=image,
        instance_type=instance_type,
        subnet_id=subnet_id,
        associate_public_ip_address=public_ip,
        vpc_security_group_ids=list(security_group_ids),
        iam_instance_profile=profile.name,
        key_name=key_name,
        metadata_options=instance_metadata(),
        root_block_device={
            "encrypted": True,
            "volume_type": "gp3",
            "volume_size": root_volume_gb,
            "delete_on_termination": True,
        },
        monitoring=True,
        ebs_optimized=True,
        tags={"Name": name_tag},
        opts=opts,
    )
