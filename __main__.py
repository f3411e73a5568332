"""ecs-platform: a containerised website on AWS ECS, one stack per environment.

Reads the stack's settings once (the `settings` package), then wires the components. Stage
and prod differ only by the values in their stack files.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, cast

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from components.bastion import Bastion, BastionArgs
from components.bluegreen import BlueGreen, BlueGreenArgs
from components.database import Database, DatabaseArgs
from components.dns import Dns, DnsArgs
from components.ecs_service import CONTAINER_NAME, EcsService, EcsServiceArgs
from components.iam import iam_scope
from components.kms import StackKey, StackKeyArgs
from components.network import Network, NetworkArgs
from components.observability import Observability, ObservabilityArgs
from components.registry import Registry, RegistryArgs, RunningService, running_release
from settings import from_pulumi_config

cfg = from_pulumi_config()

# Every resource gets the stack-wide tags through this provider's default tags.
provider = aws.Provider(
    "aws",
    region=cfg.region,
    default_tags={"tags": cfg.stack_tags()},
)
# Every role and instance profile lives under one IAM path with one permissions boundary:
# the CI deploy roles may manage roles there and nowhere else (see bootstrap/).
opts = ResourceOptions(
    providers=[provider],
    transformations=[iam_scope(cfg.iam.role_path, cfg.iam.permissions_boundary_arn)],
)

# Physical names AWS needs fixed, unique per stack; alarms and the service both use them.
cluster_name = cfg.name_prefix
service_name = f"{cfg.name_prefix}-web"

# Without release.image or release.build, the service keeps the image it runs now: a hand-run
# `pulumi up` changes the infrastructure, never the release. It is read before anything is
# declared, so that a stack that runs nothing yet fails having created nothing.
release = cfg.release
image, app_version, app_color = release.image, release.version, release.color
if release.keeps_running_image:
    running = running_release(
        RunningService(cluster_name, service_name, CONTAINER_NAME),
        pulumi.InvokeOptions(provider=provider),
    )
    image = running.image
    # The kept image keeps the version and colour it was released with (its container's
    # APP_VERSION and APP_COLOR, set by EcsService), so its task definition stays as it is.
    app_version = running.environment.get("APP_VERSION", app_version)
    if running.environment.get("APP_COLOR") in ("blue", "green"):
        app_color = cast(Literal["blue", "green"], running.environment["APP_COLOR"])

# What cannot be recreated without loss (the key everything is encrypted with, the image
# repository, the database) is protected and retained on delete where the stack says so.
protect_stateful = cfg.protect_stateful_resources
key = StackKey("stack", StackKeyArgs(alias=cfg.name_prefix, protect=protect_stateful), opts=opts)

network = Network(
    "net",
    NetworkArgs(
        kms_key_arn=key.key_arn,
        subnets=cfg.subnets,
        config=cfg.network,
        stack_tags=cfg.stack_tags(),
    ),
    opts=opts,
)

dns = (
    Dns(
        "dns",
        DnsArgs(domain=cfg.dns.domain, zone_name=cfg.zone_name, create_zone=cfg.dns.create_zone),
        opts=opts,
    )
    if cfg.dns.domain
    else None
)

registry = Registry(
    "registry",
    RegistryArgs(
        kms_key_arn=key.key_arn,
        image=image,
        build=release.build,
        version=release.version,
        protect=protect_stateful,
    ),
    opts=opts,
)

database = Database(
    "db",
    DatabaseArgs(
        network=network.subnets,
        kms_key_arn=key.key_arn,
        identifier=cfg.name_prefix,
        # database.protect can only add Pulumi protection to what protectStatefulResources gives.
        protect=cfg.database.protect or protect_stateful,
        retain_on_delete=protect_stateful,
        log_retention_days=cfg.observability.log_retention_days,
        config=cfg.database,
    ),
    opts=opts,
)

bluegreen = BlueGreen(
    "lb",
    BlueGreenArgs(
        network=network.subnets,
        config=cfg.deployment,
        certificate_arn=dns.certificate_arn if dns is not None else None,
        dualstack=cfg.network.ipv6,
        container_port=cfg.service.container_port,
        # A client inside the VPC reaches the internet-facing test listener from these.
        test_listener_nat_ips=network.nat_public_ips,
        access_log_bucket_prefix=cfg.access_log_bucket_prefix,
    ),
    opts=opts,
)
public_url = bluegreen.url(cfg.dns.domain)
# What the load balancer offers the service: its security group, target groups, rules and
# the deployment configuration, and the alias target of the site's name.
front = bluegreen.offer(CONTAINER_NAME)


observability = Observability(
    "obs",
    ObservabilityArgs(
        cluster_name=cluster_name,
        service_name=service_name,
        load_balancer=front,
        database_instance_id=database.instance_id,
        kms_key_arn=key.key_arn,
        region=cfg.region,
        nat_gateway_ids=network.nat_gateways,
        # The probe needs a name known before deployment: settings require a domain for it.
        public_url=cfg.public_url,
        certificate_arn=dns.certificate_arn if dns is not None else None,
        config=cfg.observability,
        # The Grafana token rotates by the deployment's date; components never read the clock.
        today=datetime.now(UTC).date(),
    ),
    opts=opts,
)

service = EcsService(
    "web",
    EcsServiceArgs(
        network=network.subnets,
        cluster_name=cluster_name,
        service_name=service_name,
        image=registry.image_ref,
        repository_arn=registry.repository_arn,
        kms_key_arn=key.key_arn,
        database=database.offer,
        load_balancer=front,
        rollback_alarm_names=observability.rollback_alarm_names,
        config=cfg.service,
        app_version=app_version,
        app_color=app_color,
        stack_name=cfg.stack,
        stack_tags=cfg.stack_tags(),
        prometheus_remote_write_url=observability.prometheus_remote_write_url,
        prometheus_workspace_arn=observability.prometheus_workspace_arn,
    ),
    opts=opts,
)
if dns is not None:
    # The records were the service's children once: the alias keeps their state (no
    # replacement of the site's name) now that the zone's component holds them.
    dns.alias(
        "web",
        front,
        ResourceOptions(aliases=[pulumi.Alias(parent=service)]),
    )
bluegreen.forward_to("service", service.security_group_id)
database.admit("service", service.security_group_id, "PostgreSQL from the website's tasks")

if cfg.bastion.enabled:
    bastion = Bastion(
        "bastion",
        BastionArgs(network=network.subnets, database=database.offer, config=cfg.bastion),
        opts=opts,
    )
    database.admit("bastion", bastion.security_group_id, "PostgreSQL from the bastion")
    # The release workflow smoke-tests the new version from the bastion (through the NAT).
    bluegreen.admit_test_client("bastion", bastion.security_group_id)
    pulumi.export("bastionInstanceId", bastion.instance_id)
    pulumi.export("databaseConnectCommand", bastion.connect_command)

pulumi.export("url", public_url)
pulumi.export("testUrl", bluegreen.test_url(cfg.dns.domain))
pulumi.export("clusterName", service.cluster_name)
pulumi.export("serviceName", service.service_name)
pulumi.export("serviceArn", service.service_arn)
# With an approval gate `pulumi up` returns when ECS accepts a release; the workflow then
# follows the service deployment (ListServiceDeployments by serviceArn) and continues its hook.
pulumi.export("releaseWaitsForApproval", not service.watches_release)
pulumi.export("loadBalancerDnsName", bluegreen.dns_name)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("repositoryUrl", registry.repository_url)
pulumi.export("releaseImage", registry.image_ref)
pulumi.export("databaseAddress", database.address)
pulumi.export("databasePort", database.port)
pulumi.export("databaseName", database.database_name)
pulumi.export("databaseSecretArn", database.secret_arn)
pulumi.export("releaseColor", app_color)
pulumi.export("releaseVersion", app_version)
if dns is not None:
    pulumi.export("certificateArn", dns.certificate_arn)
