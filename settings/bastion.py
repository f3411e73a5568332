"""The bastion: the operators' jump host to the database, over SSM or SSH."""

from __future__ import annotations

import re
from dataclasses import dataclass

from address_space import WIDEST_PUBLIC_RANGE
from settings.engine import Issue, setting
from settings.fields import arm_ec2_class_problem, cidr_list_issues


def _public_key_problem(value: str) -> str | None:
    if value and not re.match(r"^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+", value):
        return (
            "must be an OpenSSH public key (ssh-ed25519 ..., ecdsa-sha2-nistp256 ..., ssh-rsa ...)"
        )
    return None


@dataclass(frozen=True)
class BastionSettings:
    """Jump host for operators to reach the database."""

    enabled: bool = setting(True, "Create the bastion host.")
    instance_type: str = setting(
        "t4g.nano", "Graviton instance type of the bastion.", check=arm_ec2_class_problem
    )
    ssh_cidrs: tuple[str, ...] = setting(
        (),
        "Source CIDRs allowed to SSH, each with its prefix length; empty means no SSH and no "
        "public IP (SSM only).",
    )
    ssh_public_key: str = setting(
        "",
        "OpenSSH public key installed for SSH (needed with sshCidrs).",
        check=_public_key_problem,
    )
    dangerously_allow_ssh_from_internet: bool = setting(
        False,
        f"INSECURE: accept sshCidrs that together admit more than {WIDEST_PUBLIC_RANGE}, up "
        "to the whole internet (never in production without acknowledgeUnsafeProduction).",
    )


def bastion_issues(bastion: BastionSettings, issues: list[Issue]) -> None:
    """SSH needs a key and ranges that do not open the bastion to the internet."""
    open_ssh = cidr_list_issues("bastion.sshCidrs", bastion.ssh_cidrs, issues)
    if open_ssh and not bastion.dangerously_allow_ssh_from_internet:
        issues.append(
            Issue(
                "bastion.sshCidrs",
                list(bastion.ssh_cidrs),
                f"{open_ssh}; list your own ranges, or set "
                "bastion.dangerouslyAllowSshFromInternet: true to accept the risk",
            )
        )
    key_rejected = any(issue.path == "bastion.sshPublicKey" for issue in issues)
    if bastion.ssh_cidrs and not bastion.ssh_public_key and not key_rejected:
        issues.append(
            Issue("bastion.sshPublicKey", "", "is required when bastion.sshCidrs allows SSH")
        )
    if (bastion.ssh_cidrs or bastion.ssh_public_key) and not bastion.enabled:
        issues.append(Issue("bastion.enabled", False, "must be true when SSH settings are given"))
