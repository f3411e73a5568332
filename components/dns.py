"""Dns: the site's public hosted zone, its DNS-validated ACM certificate and the alias records
that point the site's name at the load balancer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from components.bluegreen import LoadBalancerOffer


@dataclass(frozen=True)
class DnsArgs:
    """The site's name and the zone it lives in."""

    domain: str
    """Host name of the site, e.g. www.example.com."""
    zone_name: str
    """Public hosted zone that holds the domain."""
    create_zone: bool
    """Create the zone (then delegate to its name servers) instead of looking it up."""

    def __post_init__(self) -> None:
        # The names' form, and that the zone holds the domain, are checked by settings (the
        # zone defaults to the domain's parent there). Here only what code could get wrong:
        # a Dns built without a name, which settings never hand over (no domain, no Dns).
        for label, value in (("domain", self.domain), ("zone_name", self.zone_name)):
            if not value:
                raise ValueError(f"{label} {value!r} must not be empty")


class Dns(pulumi.ComponentResource):
    """Hosted zone (looked up or created) and a certificate validated through it."""

    zone_id: pulumi.Output[str]
    """Id of the hosted zone."""
    certificate_arn: pulumi.Output[str]
    """ARN of the validated certificate (resolves once validation has completed)."""
    domain: str
    """Host name of the site."""
    name_servers: pulumi.Output[Sequence[str]]
    """Name servers to delegate to, when the zone is created here (empty otherwise)."""

    def __init__(self, name: str, args: DnsArgs, opts: ResourceOptions | None = None):
        super().__init__("ecs-platform:dns:Dns", name, None, opts)
        child = ResourceOptions(parent=self)
        if args.create_zone:
            zone = aws.route53.Zone(
                f"{name}-zone",
                name=args.zone_name,
                comment="Public zone of the site",
                tags={"Name": args.zone_name},
                opts=child,
            )
            zone_id: pulumi.Output[str] = zone.zone_id
            self.name_servers = zone.name_servers
        else:
            found = aws.route53.get_zone_output(
                name=args.zone_name, private_zone=False, opts=pulumi.InvokeOptions(parent=self)
            )
            zone_id = found.zone_id
            self.name_servers = pulumi.Output.from_input([])
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=args.domain,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            tags={"Name": args.domain},
            # A replacement must exist before the listener lets go of the old one.
            opts=ResourceOptions(parent=self, delete_before_replace=False),
        )
        option = certificate.domain_validation_options.apply(lambda o: o[0])
        record = aws.route53.Record(
            f"{name}-validation",
            zone_id=zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-validated",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=child,
        )
        self._name = name
        self.zone_id = zone_id
        self.certificate_arn = validation.certificate_arn
        self.domain = args.domain
        self.register_outputs({"zone_id": self.zone_id, "certificate_arn": self.certificate_arn})

    def alias(
        self, name: str, load_balancer: LoadBalancerOffer, opts: ResourceOptions | None = None
    ) -> list[aws.route53.Record]:
        """Points the site's name at `load_balancer` (see `alias_records`), in this zone, as
        children of this component. `opts` is merged into each record's options (e.g. aliases
        that keep an earlier parent's state)."""
        return alias_records(
            name,
            self.zone_id,
            self.domain,
            load_balancer,
            ResourceOptions.merge(ResourceOptions(parent=self), opts),
        )


def alias_records(
    name: str,
    zone_id: pulumi.Input[str],
    domain: str,
    load_balancer: LoadBalancerOffer,
    opts: ResourceOptions | None = None,
) -> list[aws.route53.Record]:
    """An A alias of `domain` to the load balancer, and an AAAA alias when the load balancer
    is dual-stack (otherwise it has no IPv6 address)."""
    target: aws.route53.RecordAliasArgsDict = {
        "name": load_balancer.dns_name,
        "zone_id": load_balancer.zone_id,
        "evaluate_target_health": True,
    }
    return [
        aws.route53.Record(
            f"{name}-dns-{record_type.lower()}",
            zone_id=zone_id,
            name=domain,
            type=record_type,
            aliases=[target],
            opts=opts,
        )
        for record_type in (("A", "AAAA") if load_balancer.dualstack else ("A",))
    ]
