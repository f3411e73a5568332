"""Named exceptions: what the design breaks on purpose, each with its reason.

An exception never hides a finding. The finding is still reported, with the exception's
name and reason beside it. It just does not block a deployment. Each predicate is
deliberately narrow, so a resource that drifts from the intended shape (another port, a
world-open SSH rule, a group that is not the load balancer's) is a violation again.
Each declaration carries what the security documentation's exceptions table shows (what it
matches exactly, why), so the table is generated from here (policy/docs.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from address_space import WIDEST_PUBLIC_RANGE
from policy.graph import (
    BASTION_COMPONENT,
    BLUEGREEN_COMPONENT,
    EC2_INSTANCE,
    LAUNCH_TEMPLATE,
    LISTENERS,
    LOAD_BALANCERS,
    NETWORK_COMPONENT,
    S3_BUCKETS,
    StackIndex,
    internet_wide,
    is_public_cidr,
)
from policy.model import Resource

ASG = "aws:autoscaling/group:Group"

Predicate = Callable[[Resource, Mapping[str, Any], StackIndex], bool]


@dataclass(frozen=True)
class PolicyException:
    name: str
    rules: frozenset[str]
    reason: str
    """Why the design breaks the rules here; reported beside every finding it covers."""
    applies: Predicate
    matches: str
    """What ``applies`` accepts, exactly, in words (the documentation's table)."""
    note: str = ""
    """What the documentation adds to the reason: what still blocks, what is preferred."""


def _alb_http_https(resource: Resource, detail: Mapping[str, Any], index: StackIndex) -> bool:
    cidr = detail.get("cidr")
    return (
        isinstance(cidr, str)
        and is_public_cidr(cidr)
        and str(detail.get("protocol")) in {"tcp", "6"}
        and detail.get("fromPort") == detail.get("toPort")
        and detail.get("fromPort") in (80.0, 443.0)
        and _on_load_balancer(resource, detail.get("group"), index)
    )


def _on_load_balancer(resource: Resource, group: str | None, index: StackIndex) -> bool:
    if index.of_type(*LOAD_BALANCERS):
        return index.is_load_balancer_group(group)
    # Seen alone (a resource validation), the group is known by its owner, the BlueGreen
    # component, which creates the load balancer and nothing else with public ingress.
    return resource.under(BLUEGREEN_COMPONENT)


def _ssh_sources(resource: Resource, group: Any, index: StackIndex) -> list[str]:
    """Every source range that reaches port 22 of `group` (of `resource` when seen alone)."""
    entries = (
        [e for e in index.rule_entries("ingress") if e.group == group]
        if group
        else index.entries_of(resource, "ingress")
    )
    if not entries:
        entries = index.entries_of(resource, "ingress")
    return [cidr for e in entries if e.covers(22) for cidr in e.cidrs]


def _test_listener_clients(
    resource: Resource, detail: Mapping[str, Any], index: StackIndex
) -> bool:
    """Ingress on the load balancer's test-listener port from ranges that, all together, are
    not the internet: the NAT addresses (a client inside the VPC reaches an internet-facing
    load balancer from them) and the operators' ranges."""
    cidr, port = detail.get("cidr"), detail.get("fromPort")
    if not isinstance(cidr, str) or port in (80.0, 443.0) or detail.get("toPort") != port:
        return False
    test_ports = {
        float(listener.get("port"))
        for listener in index.of_type(*LISTENERS)
        if isinstance(listener.get("port"), int | float) and listener.get("port") not in (80, 443)
    }
    if port not in test_ports or str(detail.get("protocol")) not in {"tcp", "6"}:
        return False
    group = detail.get("group")
    if not _on_load_balancer(resource, group, index):
        return False
    sources = [
        c
        for e in index.rule_entries("ingress")
        if e.group == group and e.covers(int(port))
        for c in e.cidrs
    ]
    return cidr not in internet_wide([cidr, *sources])


def _bastion_public_ssh(resource: Resource, detail: Mapping[str, Any], index: StackIndex) -> bool:
    if resource.type == EC2_INSTANCE:
        return resource.under(BASTION_COMPONENT)
    cidr = detail.get("cidr")
    # The operator ranges are judged together: pieces that add up to the internet are not
    # "the configured operator ranges".
    return (
        isinstance(cidr, str)
        and cidr not in internet_wide([cidr, *_ssh_sources(resource, detail.get("group"), index)])
        and str(detail.get("protocol")) in {"tcp", "6"}
        and detail.get("fromPort") == 22.0
        and detail.get("toPort") == 22.0
        and (resource.under(BASTION_COMPONENT) or index.is_bastion_group(detail.get("group")))
    )


def _alb_access_logs_sse_s3(
    resource: Resource, detail: Mapping[str, Any], index: StackIndex
) -> bool:
    bucket = index.by_urn.get(str(detail.get("bucket", resource.urn)))
    if bucket is None or bucket.type not in S3_BUCKETS:
        return False
    if detail.get("algorithm") != "AES256":
        return False
    return any(bucket in index.refs(lb, "accessLogs") for lb in index.of_type(*LOAD_BALANCERS))


def _public_subnet_tier(resource: Resource, detail: Mapping[str, Any], index: StackIndex) -> bool:
    label = " ".join(
        str(x) for x in (resource.name, resource.get("tags", "Name"), resource.get("tags", "tier"))
    )
    return resource.under(NETWORK_COMPONENT) and "public" in label.lower()


def _nat_instance(resource: Resource, detail: Mapping[str, Any], index: StackIndex) -> bool:
    return (
        resource.type in (LAUNCH_TEMPLATE, ASG)
        and resource.under(NETWORK_COMPONENT)
        and "-nat-" in f"-{resource.name}-"
    )


EXCEPTIONS: tuple[PolicyException, ...] = (
    PolicyException(
        name="ALB_PUBLIC_HTTP_HTTPS",
        rules=frozenset({"internet-ingress-only-load-balancer", "sg-world-ingress-web-ports"}),
        reason=(
            "the website is public: its load balancer's security group takes the internet on "
            "TCP 80 (a redirect to HTTPS only) and 443, nothing else (CKV_AWS_260)"
        ),
        applies=_alb_http_https,
        matches=(
            "ingress from a public range, TCP, on port 80 or port 443 alone, to a security group "
            "attached to a load balancer; a rule checked on its own must belong to the BlueGreen "
            "component"
        ),
        note=(
            "`alb-http-to-https-redirection` keeps port 80 a redirect and 443 serves TLS 1.2+; "
            "any other port on that group, or any public ingress to another group, still blocks"
        ),
    ),
    PolicyException(
        name="BASTION_PUBLIC_SSH",
        rules=frozenset({"ec2-instance-no-public-ip", "internet-ingress-only-load-balancer"}),
        reason=(
            "operators reach the private database through the bastion; when SSH is configured "
            "the bastion has a public IP and takes TCP 22 from the configured operator ranges "
            "only, never 0.0.0.0/0 nor ranges as wide together (SSM Session Manager needs "
            "neither)"
        ),
        applies=_bastion_public_ssh,
        matches=(
            "the bastion instance (a child of `ecs-platform:bastion:Bastion`), and TCP 22 alone to "
            "the bastion's group from the configured operator ranges, never `0.0.0.0/0`, `::/0`, "
            f"or ranges that together admit more than {WIDEST_PUBLIC_RANGE}"
        ),
        note=(
            "Session Manager is preferred; SSH from the whole internet is still a mandatory "
            "violation (`sg-no-world-ssh-rdp` and the stack rule)"
        ),
    ),
    PolicyException(
        name="TEST_LISTENER_CLIENTS",
        rules=frozenset({"internet-ingress-only-load-balancer"}),
        reason=(
            "the test listener takes the release under test before production traffic moves: "
            "from the NAT Gateways' addresses (the in-VPC smoke test reaches an internet-facing "
            "load balancer through them) and deployment.testListenerCidrs, on its own port "
            "only, never ranges that together make up the internet"
        ),
        applies=_test_listener_clients,
        matches=(
            "TCP ingress on the port of a listener other than 80 and 443 (the test listener) to the "
            "load balancer's group, from ranges that together are not the internet: the NAT "
            "Gateways' addresses (/32) and `deployment.testListenerCidrs`"
        ),
    ),
    PolicyException(
        name="ALB_ACCESS_LOGS_SSE_S3",
        rules=frozenset({"s3-bucket-kms-encryption"}),
        reason=(
            "Elastic Load Balancing writes access logs only to buckets encrypted with "
            "S3-managed keys (SSE-S3); a KMS key is not supported for that bucket"
        ),
        applies=_alb_access_logs_sse_s3,
        matches="a bucket that a load balancer writes access logs to, encrypted with `AES256`",
    ),
    PolicyException(
        name="NAT_INSTANCE_PUBLIC_IP",
        rules=frozenset({"ec2-instance-no-public-ip"}),
        reason=(
            "with the `instance` NAT strategy (the cheap one, for stage) each AZ's NAT instance "
            "sits in the public subnet and needs a public IP to forward the private subnets' "
            "outbound traffic; its security group admits only traffic from inside the VPC"
        ),
        applies=_nat_instance,
        matches="NAT instance launch templates of the Network component (`*-nat-*`)",
    ),
    PolicyException(
        name="NAT_INSTANCE_PER_AZ",
        rules=frozenset({"asg-multi-az"}),
        reason=(
            "each NAT instance's Auto Scaling group keeps one instance in its own AZ, where the "
            "static interface the private routes point at lives; one group per AZ is the "
            "multi-AZ design"
        ),
        applies=_nat_instance,
        matches="the NAT instances' Auto Scaling groups of the Network component (`*-nat-*`)",
    ),
    PolicyException(
        name="PUBLIC_SUBNET_TIER",
        rules=frozenset({"subnet-no-auto-public-ip"}),
        reason=(
            "the public tier holds the load balancer, the NAT gateways and the optional "
            "bastion; nothing else is placed there"
        ),
        applies=_public_subnet_tier,
        matches="public-tier subnets of the Network component (`public` in the name or tags)",
    ),
)

BY_NAME = {e.name: e for e in EXCEPTIONS}


def find_exception(
    rule: str, resource: Resource | None, detail: Mapping[str, Any], index: StackIndex
) -> PolicyException | None:
    if resource is None:
        return None
    for exception in EXCEPTIONS:
        if rule in exception.rules and exception.applies(resource, detail, index):
            return exception
    return None
