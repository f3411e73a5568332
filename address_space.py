"""How much of the internet a list of CIDR ranges admits, judged on their union.

A rule is as open as the union of its ranges: `0.0.0.0/1` and `128.0.0.0/1` together are the
whole IPv4 internet though neither is written `0.0.0.0/0`. Settings and the policy pack both
judge source ranges here, so a stack file and a rendered stack are held to the same line.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Address space that is not routed on the public internet (IANA special-purpose registries,
# RFC 6890 and its updates): private and shared ranges, loopback, link-local, documentation,
# benchmarking, multicast and reserved space. Ingress from these never comes from the internet.
NOT_PUBLIC: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/3",
        "::/8",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)

# The most public space one rule may admit before it counts as "open to the internet": a /16
# of IPv4 (65,536 addresses, more than any one office or VPN egress needs) and a /32 of IPv6
# (a whole provider allocation). Wider than that is the internet in all but name.
MAX_PUBLIC_ADDRESSES = {4: 2**16, 6: 2**96}


def widest_public_prefix(version: int) -> int:
    """MAX_PUBLIC_ADDRESSES as a prefix length: 16 for IPv4, 32 for IPv6."""
    bits = 32 if version == 4 else 128
    return bits - (MAX_PUBLIC_ADDRESSES[version].bit_length() - 1)


# The same limit in words: every setting, message and exception that names it uses this phrase.
WIDEST_PUBLIC_RANGE = (
    f"a /{widest_public_prefix(4)} of public IPv4 or a /{widest_public_prefix(6)} of IPv6"
)


def _collapse(networks: Iterable[Network]) -> tuple[Network, ...]:
    # One IP version at a time: collapse_addresses refuses a mix.
    items: list[Any] = list(networks)
    return tuple(ipaddress.collapse_addresses(items))


def _public_total(version: int) -> int:
    whole = ipaddress.ip_network("0.0.0.0/0" if version == 4 else "::/0")
    reserved = _collapse(n for n in NOT_PUBLIC if n.version == version)
    return whole.num_addresses - sum(n.num_addresses for n in reserved)


PUBLIC_TOTAL = {4: _public_total(4), 6: _public_total(6)}


@dataclass(frozen=True)
class Scope:
    """What a set of ranges admits, per IP version: its union and the public addresses in it."""

    union: dict[int, tuple[Network, ...]]
    public: dict[int, int]

    def whole_internet(self, version: int | None = None) -> bool:
        """Whether the union holds every public address of `version` (of either, when None)."""
        versions = (4, 6) if version is None else (version,)
        return any(self.public[v] >= PUBLIC_TOTAL[v] for v in versions)

    def too_wide(self, version: int | None = None) -> bool:
        """Whether the union admits more public addresses than one rule may."""
        versions = (4, 6) if version is None else (version,)
        return any(self.public[v] > MAX_PUBLIC_ADDRESSES[v] for v in versions)

    def describe(self) -> str:
        """The public reach in words, e.g. "every public IPv4 address"."""
        parts = []
        for v in (4, 6):
            if self.whole_internet(v):
                parts.append(f"every public IPv{v} address")
            elif self.too_wide(v):
                share = self.public[v] / PUBLIC_TOTAL[v]
                parts.append(
                    f"{self.public[v]:,} public IPv{v} addresses ({share:.1%} of the internet; "
                    f"at most {MAX_PUBLIC_ADDRESSES[v]:,} allowed)"
                )
        return " and ".join(parts) or "no more public space than allowed"


def _overlap(network: Network, other: Network) -> int:
    if network.version != other.version or not network.overlaps(other):
        return 0
    return min(network.num_addresses, other.num_addresses)


def scope(cidrs: Iterable[str | Network]) -> Scope:
    """The union of `cidrs` (unparseable entries are skipped: their parser reports them)."""
    networks: dict[int, list[Network]] = {4: [], 6: []}
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=False) if isinstance(cidr, str) else cidr
        except ValueError:
            continue
        networks[network.version].append(network)
    union: dict[int, tuple[Network, ...]] = {}
    public: dict[int, int] = {}
    for version, items in networks.items():
        collapsed = _collapse(items)
        union[version] = collapsed
        reserved = _collapse(n for n in NOT_PUBLIC if n.version == version)
        public[version] = sum(
            n.num_addresses - sum(_overlap(n, r) for r in reserved) for n in collapsed
        )
    return Scope(union=union, public=public)


def prefix_problem(cidr: str) -> str | None:
    """Why `cidr` is not a CIDR block written with its prefix length, or None."""
    if "/" not in cidr:
        return (
            "must be a CIDR block with its prefix length (e.g. 203.0.113.7/32); a bare address "
            "is not taken as a single host"
        )
    try:
        ipaddress.ip_network(cidr, strict=True)
    except ValueError as error:
        return f"must be a CIDR block such as 203.0.113.0/24 ({error})"
    return None
