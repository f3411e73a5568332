"""Hand-built resources for the policy tests, shaped as the engine presents inputs."""

from __future__ import annotations

from typing import Any

from policy.model import REQUIRED_TAG_KEYS, Resource

TAGS = {key: f"{key.lower()}-value" for key in REQUIRED_TAG_KEYS}


def urn(type_: str, name: str, parents: tuple[str, ...] = (), stack: str = "stage") -> str:
    chain = "$".join(("pulumi:pulumi:Stack", *parents, type_))
    return f"urn:pulumi:{stack}::ecs-platform::{chain}::{name}"


def res(
    type_: str,
    name: str,
    props: dict[str, Any] | None = None,
    *,
    parents: tuple[str, ...] = (),
    stack: str = "stage",
    id: str | None = None,
    deps: dict[str, list[str]] | None = None,
) -> Resource:
    return Resource(
        type=type_,
        name=name,
        urn=urn(type_, name, parents, stack),
        props=props or {},
        id=id,
        dependencies=deps or {},
    )
