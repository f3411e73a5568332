"""ecs-platform: a containerised website on AWS ECS, one stack per environment.

Reads the stack's settings once (settings.py), then wires the components. Stage and prod
differ only by the values in their stack files.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from components.bastion import Bastion, BastionArgs
from components.database import Database, DatabaseArgs
from components.dns import Dns, DnsArgs
from components.kms import StackKey, StackKeyArgs
from components.network import Network, NetworkArgs
from components.registry import Registry, RegistryArgs
from settings import from_pulumi_config

cfg = from_pulumi_config()

# Every resource gets the stack-wide tags through this provider's default tags.
provider = aws.Provider(
    "aws",
    region=cfg.region,
    default_tags={"tags": cfg.stack_tags()},
)
opts = ResourceOptions(providers=[provider])

key = StackKey("stack", StackKeyArgs(alias=cfg.name_prefix), opts=opts)

network = Network(
    "net",
    NetworkArgs(
        kms_key_arn=key.key_arn,
        cidr=cfg.network.cidr,
        public_subnet_cidrs=cfg.subnets.public,
        private_subnet_cidrs=cfg.subnets.private,
        database_subnet_cidrs=cfg.subnets.database,
        nat_strategy=cfg.network.nat_strategy,
        nat_instance_type=cfg.network.nat_instance_type,
        interface_endpoints=cfg.network.interface_endpoints,
        flow_log_retention_days=cfg.network.flow_log_retention_days,
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
    RegistryArgs(kms_key_arn=key.key_arn, image=cfg.release.image, version=cfg.release.version),
    opts=opts,
)

db = cfg.database
database = Database(
    "db",
    DatabaseArgs(
        vpc_id=network.vpc_id,
        subnet_ids=network.database_subnet_ids,
        kms_key_arn=key.key_arn,
        identifier=cfg.name_prefix,
        instance_class=db.instance_class,
        engine_version=db.engine_version,
        allocated_storage_gb=db.allocated_storage_gb,
        max_allocated_storage_gb=db.max_allocated_storage_gb,
        multi_az=db.multi_az,
        deletion_protection=db.deletion_protection,
        backup_retention_days=db.backup_retention_days,
        final_snapshot=db.final_snapshot,
        protect=db.protect,
        performance_insights=db.performance_insights,
        monitoring_interval_seconds=db.monitoring_interval_seconds,
        database_name=db.database_name,
        master_username=db.master_username,
        log_retention_days=cfg.observability.log_retention_days,
    ),
    opts=opts,
)

if cfg.bastion.enabled:
    bastion = Bastion(
        "bastion",
        BastionArgs(
            vpc_id=network.vpc_id,
            public_subnet_id=network.public_subnet_ids.apply(lambda ids: ids[0]),
            private_subnet_id=network.private_subnet_ids.apply(lambda ids: ids[0]),
            database_security_group_id=database.security_group_id,
            database_address=database.address,
            database_port=database.port,
            instance_type=cfg.bastion.instance_type,
            ssh_cidrs=cfg.bastion.ssh_cidrs,
            ssh_public_key=cfg.bastion.ssh_public_key,
        ),
        opts=opts,
    )
    database.admit("bastion", bastion.security_group_id, "PostgreSQL from the bastion")
    pulumi.export("bastionInstanceId", bastion.instance_id)
    pulumi.export("databaseConnectCommand", bastion.connect_command)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("repositoryUrl", registry.repository_url)
pulumi.export("image", registry.image_ref)
pulumi.export("databaseAddress", database.address)
pulumi.export("databaseSecretArn", database.secret_arn)
pulumi.export("releaseColor", cfg.release.color)
pulumi.export("releaseVersion", cfg.release.version)
if dns is not None:
    pulumi.export("certificateArn", dns.certificate_arn)
