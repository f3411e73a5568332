"""The release: the image being deployed, or the build of app/, and its version and colour."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from settings.engine import Issue, setting

_IMAGE_BY_DIGEST = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$")


def _image_problem(value: str) -> str | None:
    if value and not _IMAGE_BY_DIGEST.match(value):
        return (
            "must be an image referenced by digest, "
            "<registry>/<repository>@sha256:<64 hex digits>, never a mutable tag"
        )
    return None


@dataclass(frozen=True)
class ReleaseSettings:
    """The version being deployed; CI sets these with `pulumi config set --path release.*`."""

    image: str = setting(
        "",
        "Image by digest to deploy; empty keeps the image the service runs now (or builds "
        "app/ with release.build).",
        check=_image_problem,
    )
    build: bool = setting(
        False,
        "Build app/ and deploy it (the first deploy of a stack, or a deliberate development "
        "build); false with release.image empty keeps the running image.",
    )
    version: str = setting(
        "dev",
        "Version shown by the website and in app_build_info.",
        check=lambda v: (
            None
            if re.match(r"^[A-Za-z0-9._+-]{1,64}$", v)
            else "must be 1-64 characters of letters, digits and . _ + -"
        ),
    )
    color: Literal["blue", "green"] = setting("blue", "Colour of this release (CI alternates).")

    @property
    def keeps_running_image(self) -> bool:
        """Neither an image nor a build is asked for: the service keeps the image it runs."""
        return not self.image and not self.build


def release_issues(release: ReleaseSettings, issues: list[Issue]) -> None:
    """An image to deploy or a build, not both."""
    if release.build and release.image:
        issues.append(
            Issue(
                "release.build",
                True,
                f"must be false when release.image is given ({release.image}): release.image "
                "deploys that image, release.build builds app/; set one of them",
            )
        )
