"""Bastion and Dns: exact child contracts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.bastion import Bastion, BastionArgs, ssh_tunnel_command, ssm_tunnel_command
from components.bluegreen import LoadBalancerOffer
from components.database import DatabaseEndpoint
from components.dns import Dns, DnsArgs, alias_records
from components.network import Subnets
from settings import BastionSettings, SettingsError, load_settings

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyMaterial operator@example"


def bastion_args(**overrides: Any) -> BastionArgs:
    """The bastion's arguments; an override names a bastion setting."""
    return BastionArgs(
        network=Subnets(
            vpc_id="vpc-1",
            vpc_cidr="10.0.0.0/16",
            public=["subnet-public", "subnet-public-2"],
            private=["subnet-private", "subnet-private-2"],
            database=["subnet-db", "subnet-db-2"],
        ),
        database=DatabaseEndpoint(
            address="db.internal",
            port=5432,
            name="app",
            secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
            security_group_id="sg-db",
        ),
        config=BastionSettings(**overrides),
    )


def test_bastion_without_ssh_is_private_and_reached_through_ssm(build) -> None:
    rec = build(lambda: Bastion("bastion", bastion_args()))
    instance = rec.one("aws:ec2/instance:Instance").inputs
    assert instance["subnetId"] == "subnet-private"
    assert instance["associatePublicIpAddress"] is False
    assert "keyName" not in instance
    assert rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == []
    assert rec.of_type("aws:ec2/keyPair:KeyPair") == []
    attachment = rec.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    )
    trust = json.loads(rec.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_bastion_with_ssh_is_public_and_admits_only_the_given_ranges(build) -> None:
    rec = build(
        lambda: Bastion(
            "bastion",
            bastion_args(ssh_cidrs=("203.0.113.0/24", "2001:db8::/48"), ssh_public_key=KEY),
        )
    )
    instance = rec.one("aws:ec2/instance:Instance").inputs
    assert instance["subnetId"] == "subnet-public"
    assert instance["associatePublicIpAddress"] is True
    rules = rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert [
        (
            r.inputs.get("cidrIpv4"),
            r.inputs.get("cidrIpv6"),
            r.inputs["fromPort"],
            r.inputs["toPort"],
        )
        for r in rules
    ] == [("203.0.113.0/24", None, 22, 22), (None, "2001:db8::/48", 22, 22)]
    assert rec.one("aws:ec2/keyPair:KeyPair").inputs["publicKey"] == KEY


def test_bastion_reaches_only_the_database_and_https(build) -> None:
    rec = build(lambda: Bastion("bastion", bastion_args()))
    egress = {
        r.name: r.inputs
        for r in rec.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    }
    assert egress["bastion-to-database"]["referencedSecurityGroupId"] == "sg-db"
    assert (egress["bastion-to-database"]["fromPort"], egress["bastion-to-database"]["toPort"]) == (
        5432,
        5432,
    )
    assert (egress["bastion-https"]["fromPort"], egress["bastion-https"]["toPort"]) == (443, 443)
    assert len(egress) == 2
    assert all(rule["description"] for rule in egress.values())


def test_bastion_uses_imdsv2_and_an_encrypted_root_volume(build) -> None:
    rec = build(lambda: Bastion("bastion", bastion_args(instance_type="t4g.nano")))
    instance = rec.one("aws:ec2/instance:Instance")
    assert instance.inputs["metadataOptions"] == {
        "httpTokens": "required",
        "httpEndpoint": "enabled",
        "httpPutResponseHopLimit": 1,
    }
    assert instance.inputs["rootBlockDevice"]["encrypted"] is True
    assert instance.inputs["instanceType"] == "t4g.nano"
    assert instance.ignore_changes == ("ami",)
    assert (
        instance.inputs["iamInstanceProfile"]
        == rec.one("aws:iam/instanceProfile:InstanceProfile").outputs["name"]
    )


def test_bastion_ssh_without_a_key_is_refused() -> None:
    # Settings refuse it, naming the key, before anything is declared.
    stack = {
        "tags": {"owner": "web", "costCentre": "cc-1"},
        "dns": {"domain": "www.example.com"},
        "bastion": {"sshCidrs": ["203.0.113.0/24"]},
    }
    with pytest.raises(SettingsError, match="sshPublicKey") as caught:
        load_settings("test", stack)
    assert any(
        "is required when bastion.sshCidrs allows SSH" in str(i) for i in caught.value.issues
    )


def test_connect_commands_name_the_host_and_port() -> None:
    assert ssm_tunnel_command("i-1", "db.internal", 5432) == (
        "aws ssm start-session --target i-1 --document-name "
        "AWS-StartPortForwardingSessionToRemoteHost --parameters "
        '\'{"host":["db.internal"],"portNumber":["5432"],"localPortNumber":["5432"]}\''
    )
    assert ssh_tunnel_command("203.0.113.10", "db.internal", 5432) == (
        "ssh -N -L 5432:db.internal:5432 ec2-user@203.0.113.10"
    )


# Dns ----------------------------------------------------------------------------------------


def test_existing_zone_is_looked_up_and_the_certificate_validated_by_dns(build) -> None:
    rec = build(
        lambda: Dns(
            "dns", DnsArgs(domain="www.example.com", zone_name="example.com", create_zone=False)
        )
    )
    assert rec.of_type("aws:route53/zone:Zone") == []
    cert = rec.one("aws:acm/certificate:Certificate").inputs
    assert cert["domainName"] == "www.example.com"
    assert cert["validationMethod"] == "DNS"
    record = rec.one("aws:route53/record:Record")
    option = rec.one("aws:acm/certificate:Certificate").outputs["domainValidationOptions"][0]
    assert record.inputs["name"] == option["resourceRecordName"]
    assert record.inputs["records"] == [option["resourceRecordValue"]]
    assert record.inputs["zoneId"] == "Z0123456789EXAMPLE"
    validation = rec.one("aws:acm/certificateValidation:CertificateValidation").inputs
    assert validation["validationRecordFqdns"] == [record.outputs["fqdn"]]


def test_zone_can_be_created_instead(build) -> None:
    rec = build(
        lambda: Dns("dns", DnsArgs(domain="example.net", zone_name="example.net", create_zone=True))
    )
    zone = rec.one("aws:route53/zone:Zone")
    assert zone.inputs["name"] == "example.net"
    assert rec.one("aws:route53/record:Record").inputs["zoneId"] == zone.outputs["zoneId"]


def test_domain_outside_its_zone_is_refused() -> None:
    # A rule of the settings alone: they refuse the zone before a Dns is ever built.
    with pytest.raises(SettingsError) as caught:
        load_settings(
            "stage",
            {
                "tags": {"owner": "o", "costCentre": "c"},
                "dns": {"domain": "www.example.com", "zoneName": "example.org"},
            },
        )
    assert any(
        'dns.zoneName = "example.org"' in str(issue)
        and "must be the domain www.example.com or one of its parents" in str(issue)
        for issue in caught.value.issues
    ), caught.value.issues


def test_a_zone_without_a_domain_is_refused() -> None:
    # No alias record without the name it is for (once EcsServiceArgs' "dns_zone_id needs
    # domain"): the zone's component holds both, and refuses an empty domain.
    with pytest.raises(ValueError, match="must not be empty"):
        DnsArgs(domain="", zone_name="example.com", create_zone=False)


def load_balancer(dns_name: str, *, dualstack: bool = False) -> LoadBalancerOffer:
    return LoadBalancerOffer(
        security_group_id="sg-alb",
        load_balancers=[],
        deployment_configuration={"strategy": "BLUE_GREEN"},
        arn_suffix="app/web/1",
        target_group_arn_suffixes=["targetgroup/blue/1", "targetgroup/green/2"],
        dns_name=dns_name,
        zone_id="Z35SXDOTRQ7X7K",
        dualstack=dualstack,
    )


def test_dns_alias_points_the_site_at_the_load_balancer(build) -> None:
    rec = build(
        lambda: alias_records(
            "web", "Z123", "www.example.com", load_balancer("web-1.us-east-1.elb.amazonaws.com")
        )
    )
    record = rec.one("aws:route53/record:Record").inputs
    assert (record["zoneId"], record["name"], record["type"]) == ("Z123", "www.example.com", "A")
    assert record["aliases"] == [
        {
            "name": "web-1.us-east-1.elb.amazonaws.com",
            "zoneId": "Z35SXDOTRQ7X7K",
            "evaluateTargetHealth": True,
        }
    ]


def site_aliases(build, *, dualstack: bool):
    def program() -> None:
        dns = Dns(
            "dns", DnsArgs(domain="www.example.com", zone_name="example.com", create_zone=False)
        )
        dns.alias("web", load_balancer("web-123.us-east-1.elb.amazonaws.com", dualstack=dualstack))

    rec = build(program)
    return [r for r in rec.of_type("aws:route53/record:Record") if r.name.startswith("web-dns-")]


def test_site_name_is_an_alias_of_the_load_balancer_a_and_aaaa(build) -> None:
    records = site_aliases(build, dualstack=True)
    assert sorted(r.inputs["type"] for r in records) == ["A", "AAAA"]
    for record in records:
        assert record.inputs["name"] == "www.example.com"
        assert record.inputs["zoneId"] == "Z0123456789EXAMPLE"
        assert record.inputs["aliases"] == [
            {
                "name": "web-123.us-east-1.elb.amazonaws.com",
                "zoneId": "Z35SXDOTRQ7X7K",
                "evaluateTargetHealth": True,
            }
        ]
        assert record.parent_type == "ecs-platform:dns:Dns"


def test_ipv4_only_site_gets_no_aaaa_record(build) -> None:
    assert [r.inputs["type"] for r in site_aliases(build, dualstack=False)] == ["A"]
