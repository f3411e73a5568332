"""DNS: the site's public name and the hosted zone that holds it."""

from __future__ import annotations

from dataclasses import dataclass

from aws_facts import DNS_LABEL, DNS_NAME_MAX_LENGTH
from settings.engine import Issue, setting


def domain_problem(value: str) -> str | None:
    """Why `value` is not a fully qualified lower-case DNS name, or None when it is one."""
    if value == "":
        return None
    labels = value.split(".")
    if (
        len(value) > DNS_NAME_MAX_LENGTH
        or len(labels) < 2
        or not all(DNS_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        return "must be a lower-case DNS name such as www.example.com (labels of a-z, 0-9, '-')"
    return None


@dataclass(frozen=True)
class DnsSettings:
    """Public name and certificate of the site."""

    domain: str = setting(
        "",
        "Host name of the site (e.g. www.example.com); empty for none "
        "(allowed only outside production, with plain HTTP opted in).",
        check=domain_problem,
    )
    zone_name: str = setting(
        "",
        "Public hosted zone holding the domain; empty takes the domain without its first label.",
        check=domain_problem,
    )
    create_zone: bool = setting(
        False,
        "Create the hosted zone instead of looking up an existing "
        "one (then delegate to its name servers).",
    )


def dns_issues(dns: DnsSettings, issues: list[Issue]) -> None:
    """The zone must exist or be created for a domain, and hold it."""
    if dns.create_zone and not dns.domain:
        issues.append(Issue("dns.createZone", True, "needs dns.domain"))
    if (
        dns.zone_name
        and dns.domain
        and not (dns.domain == dns.zone_name or dns.domain.endswith("." + dns.zone_name))
    ):
        issues.append(
            Issue(
                "dns.zoneName",
                dns.zone_name,
                f"must be the domain {dns.domain} or one of its parents",
            )
        )
