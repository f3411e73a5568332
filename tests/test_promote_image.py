"""promote-image.sh against a real ECR implementation: moto in server mode, the real AWS CLI.

moto keeps ECR's rules that matter here: an IMMUTABLE repository refuses a tag it already
holds (ImageAlreadyExistsException), and BatchGetImage returns the stored manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".github" / "scripts" / "promote-image.sh"
ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-west-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
TAG = "0123456789abcdef0123456789abcdef01234567"

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
pytestmark = [
    pytest.mark.skipif(not MOTO_SERVER.exists(), reason="moto[server] is in requirements-dev.txt"),
    pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is needed"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh moto server on a free loopback port, and an environment that points the CLI at it."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = (tmp_path / "moto.log").open("w")
    server = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"moto_server did not start: {(tmp_path / 'moto.log').read_text()}")
                time.sleep(0.2)
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        # The script calls plain `aws`; this one is the real CLI sent to moto.
        shim = bin_dir / "aws"
        shim.write_text(f'#!/bin/sh\nexec {shutil.which("aws")} --endpoint-url {endpoint} "$@"\n')
        shim.chmod(0o755)
        env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        env.pop("AWS_PROFILE", None)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def aws(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run(
        ["aws", *args, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    ).stdout
    return json.loads(out) if out.strip() else {}


def manifest(layer: str) -> str:
    """A single-platform Docker v2 manifest, as buildx pushes with provenance off."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1469,
                "digest": "sha256:" + hashlib.sha256(b"config" + layer.encode()).hexdigest(),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 3208942,
                    "digest": "sha256:" + hashlib.sha256(layer.encode()).hexdigest(),
                }
            ],
        },
        indent=3,
    )


def push(env: dict[str, str], repo: str, tag: str, body: str) -> str:
    """Pushes a manifest the way a registry client does; ECR's digest is sha256 of its bytes."""
    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    aws(
        env,
        "ecr",
        "put-image",
        "--repository-name",
        repo,
        "--image-tag",
        tag,
        "--image-manifest",
        body,
        "--image-digest",
        digest,
    )
    return digest


def stored_digest(env: dict[str, str], repo: str, tag: str) -> str:
    images = aws(
        env, "ecr", "batch-get-image", "--repository-name", repo, "--image-ids", f"imageTag={tag}"
    )["images"]
    return str(images[0]["imageId"]["imageDigest"])


@pytest.fixture
def repos(moto: dict[str, str]) -> dict[str, str]:
    for name, mutability in (("website-stage", "IMMUTABLE"), ("website-prod", "IMMUTABLE")):
        aws(
            moto,
            "ecr",
            "create-repository",
            "--repository-name",
            name,
            "--image-tag-mutability",
            mutability,
        )
    return moto


def promote(env: dict[str, str], digest: str, tag: str = TAG) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), f"{REGISTRY}/website-stage@{digest}", f"{REGISTRY}/website-prod", tag],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_promotion_keeps_the_digest_stage_tested(repos: dict[str, str]) -> None:
    digest = push(repos, "website-stage", TAG, manifest("app-v1"))
    result = promote(repos, digest)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{REGISTRY}/website-prod@{digest}"
    assert stored_digest(repos, "website-prod", TAG) == stored_digest(repos, "website-stage", TAG)


def test_promotion_copies_the_manifest_bytes_and_media_type(repos: dict[str, str]) -> None:
    body = manifest("app-v1")
    digest = push(repos, "website-stage", TAG, body)
    assert promote(repos, digest).returncode == 0
    (image,) = aws(
        repos,
        "ecr",
        "batch-get-image",
        "--repository-name",
        "website-prod",
        "--image-ids",
        f"imageTag={TAG}",
    )["images"]
    assert image["imageManifest"] == body
    assert image["imageManifestMediaType"] == json.loads(body)["mediaType"]


def test_a_rerun_with_the_same_tag_and_digest_is_skipped(repos: dict[str, str]) -> None:
    digest = push(repos, "website-stage", TAG, manifest("app-v1"))
    assert promote(repos, digest).returncode == 0
    again = promote(repos, digest)
    assert again.returncode == 0, again.stderr
    assert "nothing to copy" in again.stderr
    assert again.stdout.strip() == f"{REGISTRY}/website-prod@{digest}"


def test_the_immutable_repository_itself_refuses_a_second_push_of_a_tag(
    repos: dict[str, str],
) -> None:
    # Why the script looks first: ECR (here moto) refuses the tag even with the same bytes.
    body = manifest("app-v1")
    push(repos, "website-prod", TAG, body)
    with pytest.raises(subprocess.CalledProcessError) as refused:
        push(repos, "website-prod", TAG, body)
    assert "AlreadyExists" in refused.value.stderr


def test_the_same_tag_with_another_digest_fails_with_a_clear_message(
    repos: dict[str, str],
) -> None:
    old = push(repos, "website-prod", TAG, manifest("app-v0"))
    new = push(repos, "website-stage", TAG, manifest("app-v1"))
    result = promote(repos, new)
    assert result.returncode == 1
    assert f"already holds {old}, not {new}" in result.stderr
    assert stored_digest(repos, "website-prod", TAG) == old


def test_a_digest_missing_from_stage_fails_the_promotion(repos: dict[str, str]) -> None:
    result = promote(repos, "sha256:" + "cd" * 32)
    assert result.returncode != 0
    assert "is not in the source repository" in result.stderr
