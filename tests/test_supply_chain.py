"""What the builds download and run is pinned and verified: the Pulumi CLI against Pulumi's
published checksums, Python packages from hashed lock files, actions by SHA with their release
in the comment; Dependabot watches every manifest; pull requests without secrets or a write
token (Dependabot, forks) skip what needs them and still show their results."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PR_WORKFLOW = ROOT / ".github" / "workflows" / "pull-request.yml"
INSTALL_PULUMI = ROOT / ".github" / "scripts" / "install-pulumi.sh"
VERSION = "3.272.0"
TARBALL = f"pulumi-v{VERSION}-linux-x64.tar.gz"
CHECKSUMS = f"pulumi-{VERSION}-checksums.txt"
RELEASE_URL = f"https://github.com/pulumi/pulumi/releases/download/v{VERSION}"


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    if True in doc:  # PyYAML reads the key `on` as True
        doc["on"] = doc.pop(True)
    return doc


def pr_jobs() -> dict[str, Any]:
    return load(PR_WORKFLOW)["jobs"]


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]
    return step


# --- the Pulumi CLI ----------------------------------------------------------------------


@dataclass
class Release:
    """A fake GitHub release served by a stub `curl`, and where the CLI gets installed."""

    serve: Path
    bin: Path
    install_dir: Path
    github_path: Path
    curl_log: Path

    def run(self) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "HOME": str(self.install_dir.parent),
            "PULUMI_INSTALL_DIR": str(self.install_dir),
            "GITHUB_PATH": str(self.github_path),
            "SERVE_DIR": str(self.serve),
            "CURL_LOG": str(self.curl_log),
        }
        return subprocess.run(
            [str(INSTALL_PULUMI), VERSION], env=env, capture_output=True, text=True, check=False
        )


STUB_CURL = """#!/usr/bin/env bash
# Serves release assets from $SERVE_DIR by file name; a missing asset is GitHub's 404.
out="" url=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --output) out="$2"; shift 2 ;;
    --proto | --retry) shift 2 ;;
    -*) shift ;;
    *) url="$1"; shift ;;
  esac
done
echo "$url" >>"$CURL_LOG"
name="${url##*/}"
if [[ ! -f "$SERVE_DIR/$name" ]]; then
  echo "curl: (22) The requested URL returned error: 404" >&2
  exit 22
fi
cp "$SERVE_DIR/$name" "$out"
"""

STUB_UNAME = """#!/usr/bin/env bash
case "$1" in -s) echo Linux ;; -m) echo x86_64 ;; *) echo Linux ;; esac
"""


def fake_tarball() -> bytes:
    """A release archive laid out like Pulumi's: pulumi/pulumi and its language hosts."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, body in (
            ("pulumi/pulumi", f"#!/bin/sh\necho v{VERSION}\n"),
            ("pulumi/pulumi-language-python", "#!/bin/sh\nexit 0\n"),
        ):
            data = body.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def release(tmp_path: Path) -> Release:
    serve, bin_dir = tmp_path / "release", tmp_path / "bin"
    serve.mkdir()
    bin_dir.mkdir()
    for name, body in (("curl", STUB_CURL), ("uname", STUB_UNAME)):
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    (serve / TARBALL).write_bytes(fake_tarball())
    return Release(
        serve=serve,
        bin=bin_dir,
        install_dir=tmp_path / "home" / "pulumi-bin",
        github_path=tmp_path / "github_path",
        curl_log=tmp_path / "curl.log",
    )


def write_checksums(release: Release, lines: list[str]) -> None:
    (release.serve / CHECKSUMS).write_text("".join(f"{line}\n" for line in lines))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def other_asset_line() -> str:
    return f"{'0' * 64}  pulumi-v{VERSION}-darwin-arm64.tar.gz"


def test_pulumi_cli_installs_when_its_sha256_matches_the_release_checksums(
    release: Release,
) -> None:
    write_checksums(release, [other_asset_line(), f"{sha256(release.serve / TARBALL)}  {TARBALL}"])
    result = release.run()
    assert result.returncode == 0, result.stderr
    cli = release.install_dir / "pulumi"
    assert subprocess.run([str(cli)], capture_output=True, text=True).stdout == f"v{VERSION}\n"
    assert (release.install_dir / "pulumi-language-python").is_file()
    assert release.github_path.read_text() == f"{release.install_dir}\n"
    # Both files come from the release itself on GitHub, the checksums first.
    assert release.curl_log.read_text().split() == [
        f"{RELEASE_URL}/{CHECKSUMS}",
        f"{RELEASE_URL}/{TARBALL}",
    ]


def assert_refused(release: Release, result: subprocess.CompletedProcess[str], why: str) -> None:
    assert result.returncode != 0
    assert why in result.stderr
    assert not (release.install_dir / "pulumi").exists()
    assert not release.github_path.exists()


def test_pulumi_cli_is_refused_when_its_sha256_differs_from_the_release_checksums(
    release: Release,
) -> None:
    write_checksums(release, [f"{'1' * 64}  {TARBALL}"])
    result = release.run()
    assert_refused(release, result, f"sha256 mismatch for {TARBALL}")


def test_pulumi_cli_is_refused_when_the_checksums_have_no_entry_for_its_tarball(
    release: Release,
) -> None:
    # An entry for a file whose name merely contains the tarball's does not count either.
    good = sha256(release.serve / TARBALL)
    write_checksums(release, [other_asset_line(), f"{good}  {TARBALL}.sig"])
    result = release.run()
    assert_refused(release, result, f"has no entry for {TARBALL}")


def test_pulumi_cli_is_refused_when_the_release_has_no_checksum_file(release: Release) -> None:
    result = release.run()
    assert_refused(release, result, "404")


def test_pull_request_previews_install_the_verified_pulumi_cli() -> None:
    assert "pulumi/actions@" not in PR_WORKFLOW.read_text()
    for name in ("preview", "preview-prod"):
        runs = [str(s.get("run", "")) for s in pr_jobs()[name]["steps"]]
        assert '.github/scripts/install-pulumi.sh "$PULUMI_VERSION"' in runs, name


# --- Python lock files -------------------------------------------------------------------

LOCKS = {
    "requirements-dev.txt": "requirements-dev.lock",
    "requirements.txt": "requirements.lock",
    "app/requirements.txt": "app/requirements.lock",
    "scripts/requirements-awsx.txt": "scripts/requirements-awsx.lock",
}


def top_level(source: Path) -> list[Requirement]:
    """The requirements a file names, following `-r other.txt` includes."""
    found: list[Requirement] = []
    for raw in source.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += top_level(ROOT / line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


def locked(lock: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every entry, continuation lines joined."""
    text = lock.read_text().replace("\\\n", " ")
    entries: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)", line)
        assert match, f"{lock.name}: not an exact pin: {line[:80]}"
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
        entries[canonicalize_name(match.group(1))] = (match.group(2), hashes)
    return entries


@pytest.mark.parametrize(("source", "lock"), LOCKS.items())
def test_lock_pins_every_top_level_requirement_within_its_range(source: str, lock: str) -> None:
    pins = locked(ROOT / lock)
    for requirement in top_level(ROOT / source):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} does not pin {name} ({source}): run make lock"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {name}=={version}, outside {requirement} ({source}): run make lock"
        )


@pytest.mark.parametrize("lock", LOCKS.values())
def test_every_locked_package_carries_its_sha256(lock: str) -> None:
    pins = locked(ROOT / lock)
    assert pins
    assert [name for name, (_, hashes) in pins.items() if not hashes] == []


def test_tests_run_against_the_versions_the_image_installs() -> None:
    dev = locked(ROOT / "requirements-dev.lock")
    image = locked(ROOT / "app/requirements.lock")
    assert {name: dev.get(name, ("missing",))[0] for name in image} == {
        name: version for name, (version, _) in image.items()
    }


def test_venv_installs_only_from_the_lock_and_requires_hashes() -> None:
    result = subprocess.run(
        ["make", "-n", "-B", "venv"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    installs = [line for line in result.stdout.splitlines() if "pip install" in line]
    assert installs == [
        ".venv/bin/python -m pip install -q --require-hashes -r requirements-dev.lock"
    ]


def test_make_lock_regenerates_every_lock_with_hashes() -> None:
    result = subprocess.run(
        ["make", "-n", "-B", "lock"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    compiles = [
        line for line in result.stdout.replace("\\\n", " ").splitlines() if "compile" in line
    ]
    assert len(compiles) == len(LOCKS)
    outputs = {words[words.index("-o") + 1]: words for words in map(str.split, compiles)}
    for source, lock in LOCKS.items():
        assert "--generate-hashes" in outputs[lock] and source in outputs[lock], lock


# --- Dependabot, action pins, SonarQube -------------------------------------------------


def manifest_dirs(pattern: str) -> set[str]:
    skip = {".venv", "build", ".git", "node_modules"}
    return {
        "/" + str(p.parent.relative_to(ROOT)).replace(".", "").strip("/")
        for p in ROOT.rglob(pattern)
        if not skip & set(p.relative_to(ROOT).parts)
    }


def dependabot_dirs(ecosystem: str) -> set[str]:
    updates = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())["updates"]
    return {u["directory"] for u in updates if u["package-ecosystem"] == ecosystem}


def test_dependabot_watches_every_python_manifest() -> None:
    assert manifest_dirs("requirements*.txt") <= dependabot_dirs("pip")
    assert {"/", "/app"} <= dependabot_dirs("pip")


def test_dependabot_watches_every_dockerfile_base_image() -> None:
    assert manifest_dirs("Dockerfile") == dependabot_dirs("docker") == {"/app"}


def test_dependabot_watches_the_actions() -> None:
    assert dependabot_dirs("github-actions") == {"/"}


def test_every_action_pin_comment_names_an_exact_release() -> None:
    # A moving major tag (`# v1`) says nothing about which release the SHA is; zizmor's
    # online ref-version-mismatch audit (CI) checks that the named release is the SHA's.
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for line in path.read_text().splitlines():
            if re.match(r"^\s*(?:-\s+)?uses:\s", line):
                assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), f"{path.name}: {line}"


def sonar_properties() -> dict[str, str]:
    props: dict[str, str] = {}
    for line in (ROOT / "sonar-project.properties").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            props[key.strip()] = value.strip()
    return props


@pytest.mark.parametrize("key", ["sonar.sources", "sonar.tests"])
def test_every_path_sonarqube_is_given_exists(key: str) -> None:
    # The scanner stops at once when a listed source or test directory does not exist.
    paths = [p.strip() for p in sonar_properties()[key].split(",")]
    assert paths
    assert [p for p in paths if not (ROOT / p).is_dir()] == []


# --- pull requests without secrets or a write token -------------------------------------


@pytest.mark.parametrize(
    ("job", "action", "secret"),
    [
        ("checks", "SonarSource/sonarqube-scan-action", "SONAR_TOKEN"),
        ("image", "docker/scout-action", "DOCKERHUB_TOKEN"),
    ],
)
def test_steps_needing_a_secret_are_skipped_when_it_is_absent(
    job: str, action: str, secret: str
) -> None:
    # Dependabot's and forks' pull requests get no repository secrets.
    spec = pr_jobs()[job]
    flag = f"HAS_{secret}"
    assert spec["env"][flag] == "${{ secrets." + secret + " != '' }}"
    step = step_using(spec, action)
    assert f"env.{flag} == 'true'" in step["if"]
    assert "${{ secrets." + secret + " }}" in yaml.safe_dump(step)
    skipped = [s for s in spec["steps"] if f"env.{flag} != 'true'" in str(s.get("if", ""))]
    assert len(skipped) == 1 and "GITHUB_STEP_SUMMARY" in skipped[0]["run"]


def test_fork_pull_requests_get_the_plan_in_the_job_summary_not_a_comment() -> None:
    steps = pr_jobs()["plan"]["steps"]
    runs = [str(s.get("run", "")) for s in steps]
    summary = next(i for i, r in enumerate(runs) if "GITHUB_STEP_SUMMARY" in r)
    comment = next(i for i, r in enumerate(runs) if "pr-comment.sh" in r)
    assert summary < comment
    assert "if" not in steps[summary]
    assert steps[comment]["if"] == (
        "${{ github.event.pull_request.head.repo.full_name == github.repository }}"
    )
    assert "build/plan/stage.md" in runs[summary] and "build/plan/prod.md" in runs[summary]


def test_previews_are_also_written_to_the_job_summary() -> None:
    for name in ("preview", "preview-prod"):
        (run,) = [
            str(s["run"]) for s in pr_jobs()[name]["steps"] if "pr-comment.sh" in str(s.get("run"))
        ]
        assert 'cat "build/preview-$STACK.md" >> "$GITHUB_STEP_SUMMARY"' in run


def test_ci_runs_zizmor_with_its_online_audits() -> None:
    steps = pr_jobs()["checks"]["steps"]
    (step,) = [s for s in steps if s.get("run") == "make workflows-check-online"]
    assert step["env"] == {"GH_TOKEN": "${{ github.token }}"}
    result = subprocess.run(
        ["make", "-n", "workflows-check-online"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GH_TOKEN": "x"},
    )
    (zizmor,) = [line for line in result.stdout.splitlines() if "/zizmor " in line]
    assert "--offline" not in zizmor and "--no-online-audits" not in zizmor


def test_arm64_image_builds_on_a_native_arm_runner_with_a_layer_cache() -> None:
    job = pr_jobs()["image"]
    assert job["runs-on"] == "ubuntu-24.04-arm"
    assert not any("setup-qemu-action" in str(s.get("uses")) for s in job["steps"])
    build = step_using(job, "docker/build-push-action")["with"]
    assert build["platforms"] == "linux/arm64"
    assert build["cache-from"].startswith("type=gha,")
    assert build["cache-to"].startswith("type=gha,mode=max,")
