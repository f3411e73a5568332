"""EC2 instances, launch templates and Auto Scaling groups (the bastion, the NAT
instances and the ECS capacity)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from policy import secrets
from policy.graph import (
    EC2_INSTANCE,
    LAUNCH_TEMPLATE,
    number,
)
from policy.model import UNKNOWN, Resource, StackContext
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    listing,
    resource_rule,
    truthy,
)

ASG = "aws:autoscaling/group:Group"


def _lt_interfaces(r: Resource) -> list[Mapping[str, Any]]:
    return [n for n in listing(r.get("networkInterfaces")) if isinstance(n, Mapping)]


@resource_rule(
    "ec2-imdsv2-required",
    M,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "Instances require IMDSv2 tokens (checkov CKV_AWS_79; FSBP EC2.8).",
)
def ec2_imdsv2(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if r.get("metadataOptions", "httpTokens") != "required":
        return ["metadataOptions.httpTokens is not 'required'"]
    return []


@resource_rule(
    "ec2-imds-hop-limit",
    A,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "The instance metadata hop limit is 1 (checkov CKV_AWS_341).",
)
def ec2_hop_limit(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    hops = number(r.get("metadataOptions", "httpPutResponseHopLimit"))
    return [f"httpPutResponseHopLimit is {int(hops)}"] if hops and hops > 1 else []


@resource_rule(
    "encrypted-volumes",
    M,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "Root and data volumes are encrypted "
    "(checkov CKV_AWS_8; FSBP EC2.3, EC2.7; awsguard encrypted-volumes).",
)
def encrypted_volumes(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    out = []
    if r.type == EC2_INSTANCE:
        if not truthy(r.get("rootBlockDevice", "encrypted")):
            out.append("root volume is not encrypted")
        for d in listing(r.get("ebsBlockDevices")):
            if isinstance(d, Mapping) and not truthy(d.get("encrypted")):
                out.append(f"volume {d.get('deviceName')} is not encrypted")
    else:
        mappings = [m for m in listing(r.get("blockDeviceMappings")) if isinstance(m, Mapping)]
        if not mappings:
            out.append("no block device mapping encrypts the root volume")
        for m in mappings:
            if not truthy((m.get("ebs") or {}).get("encrypted")):
                out.append(f"volume {m.get('deviceName')} is not encrypted")
    return out


@resource_rule(
    "ec2-instance-no-public-ip",
    M,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "Instances get no public IP; the bastion's, when SSH is configured, is the named "
    "exception BASTION_PUBLIC_SSH (checkov CKV_AWS_88; FSBP EC2.9; awsguard ec2-instance-no-public-ip).",
)
def ec2_no_public_ip(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if truthy(r.get("associatePublicIpAddress")):
        return ["associatePublicIpAddress is true"]
    if any(truthy(n.get("associatePublicIpAddress")) for n in _lt_interfaces(r)):
        return ["a network interface associates a public IP"]
    return []


@resource_rule(
    "ec2-instance-profile",
    A,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "Instances have an IAM role (instance profile) (checkov CKV2_AWS_41).",
)
def ec2_instance_profile(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if r.get("iamInstanceProfile") else ["no IAM instance profile"]


def _user_data(r: Resource) -> str | None:
    data = r.get("userData")
    if isinstance(data, str) and r.type == LAUNCH_TEMPLATE:
        try:
            return base64.b64decode(data, validate=True).decode("utf-8", "replace")
        except ValueError:
            return data
    return data if isinstance(data, str) else r.get("userDataBase64")


@resource_rule(
    "ec2-user-data-no-secrets",
    A,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "User data holds no secrets (checkov CKV_AWS_46).",
)
def ec2_user_data(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    data = _user_data(r)
    if not isinstance(data, str):
        return []
    out = []
    for line in data.splitlines():
        name, _, value = line.partition("=")
        literal = value.strip().strip("'\"")
        # `token=$(curl ...)` reads a value at boot; only a literal is a secret in user data.
        if (
            literal
            and not literal.startswith(("$", "`"))
            and secrets.sensitive_name(name.strip().removeprefix("export "))
        ):
            out.append(f"user data sets {name.strip()}")
        elif secrets.value_reason(line):
            out.append(f"user data line: {secrets.value_reason(line)}")
    return out


@resource_rule(
    "asg-launch-template",
    A,
    [ASG],
    "Auto Scaling groups use a launch template (checkov CKV_AWS_315; FSBP AutoScaling.9).",
)
def asg_launch_template(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if r.get("launchTemplate") or r.get("mixedInstancesPolicy"):
        return []
    return ["no launch template"]


@resource_rule(
    "asg-elb-health-check",
    A,
    [ASG],
    "Auto Scaling groups behind a load balancer use its health checks "
    "(checkov CKV2_AWS_15; FSBP AutoScaling.1).",
)
def asg_elb_health(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    attached = listing(r.get("targetGroupArns")) or listing(r.get("loadBalancers"))
    if attached and r.get("healthCheckType") != "ELB":
        return ["attached to a load balancer but healthCheckType is not ELB"]
    return []


@resource_rule(
    "asg-multi-az",
    A,
    [ASG],
    "Auto Scaling groups span several availability zones (FSBP AutoScaling.2).",
)
def asg_multi_az(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    zones = r.get("vpcZoneIdentifiers")
    if zones is UNKNOWN:
        return []
    count = max(len(listing(zones)), len(listing(r.get("availabilityZones"))))
    return [f"spans {count} zone(s)"] if count < 2 else []
