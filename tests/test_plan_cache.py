"""The plan's cache of recordings: a key that changes with every input of the render, a
render whenever the key cannot be computed, and a second plan of an unchanged stack served
from the cache."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from offline_plan import cache
from offline_plan.plan import build_plan

TODAY = date(2026, 11, 29)
PACKAGES = ["pulumi-3.200.0", "pulumi_aws-7.10.0", "pyyaml-6.0.2"]
PROJECT = {
    "__main__.py": "import settings\n",
    "settings.py": "AZ_COUNT = 2\n",
    "components/network.py": "class Network: ...\n",
    "observability/dashboards/service.json": '{"title": "service"}\n',
    "Pulumi.yaml": "name: ecs-platform\nruntime: python\n",
    "Pulumi.stage.yaml": "config:\n  aws:region: us-east-1\n",
    "app/Dockerfile": "FROM scratch\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def key(project: Path, **overrides: object) -> str:
    kwargs: dict[str, object] = {
        "today": TODAY,
        "files": cache.project_files(project),
        "packages": PACKAGES,
        "environ": {},
    }
    kwargs.update(overrides)
    return cache.cache_key("stage", project, **kwargs)  # type: ignore[arg-type]


def test_the_same_inputs_give_the_same_key(project: Path) -> None:
    assert key(project) == key(project)


@pytest.mark.parametrize("name", sorted(PROJECT))
def test_an_edit_to_any_project_file_changes_the_key(project: Path, name: str) -> None:
    before = key(project)
    (project / name).write_text((project / name).read_text() + "# edited\n")
    assert key(project) != before


def test_a_new_file_in_the_project_changes_the_key(project: Path) -> None:
    before = key(project)
    (project / "observability" / "dashboards" / "new.json").write_text("{}\n")
    assert key(project) != before


def test_another_package_version_changes_the_key(project: Path) -> None:
    newer = [p.replace("pulumi_aws-7.10.0", "pulumi_aws-7.11.0") for p in PACKAGES]
    assert key(project, packages=newer) != key(project)


def test_another_day_changes_the_key(project: Path) -> None:
    # The program passes today's UTC date to the Grafana token rotation.
    assert key(project, today=date(2026, 11, 30)) != key(project)


def test_another_stack_changes_the_key(project: Path) -> None:
    files = cache.project_files(project)
    prod = cache.cache_key("prod", project, today=TODAY, files=files, packages=PACKAGES, environ={})
    assert prod != key(project)


def test_a_pulumi_environment_variable_changes_the_key(project: Path) -> None:
    assert key(project, environ={"PULUMI_CONFIG": '{"x": 1}'}) != key(project)


def test_the_installed_packages_are_found_with_their_versions() -> None:
    names = cache.package_versions()
    assert any(n.startswith("pulumi_aws-") for n in names)
    assert any(n.startswith("pulumi-") for n in names)


def test_outputs_caches_and_environments_are_not_hashed(project: Path) -> None:
    for ignored in ("build/plan/stage.json", ".venv/lib/x.py", "components/__pycache__/n.pyc"):
        (project / ignored).parent.mkdir(parents=True, exist_ok=True)
        (project / ignored).write_text("x")
    names = {p.relative_to(project).as_posix() for p in cache.project_files(project)}
    assert names == set(PROJECT)


def counting(value: object) -> tuple[Callable[[], object], list[int]]:
    calls: list[int] = []

    def render() -> object:
        calls.append(1)
        return value

    return render, calls


def test_a_second_render_of_unchanged_inputs_comes_from_the_cache(
    project: Path, tmp_path: Path
) -> None:
    render, calls = counting({"resources": 3})
    first = cache.cached_render(
        "stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c"
    )
    second = cache.cached_render(
        "stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c"
    )
    assert (first[1], second[1]) == ("rendered", "cache")
    assert second[0] == {"resources": 3} and len(calls) == 1


def test_an_edited_input_is_rendered_again(project: Path, tmp_path: Path) -> None:
    render, calls = counting("recording")
    cache.cached_render("stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c")
    (project / "settings.py").write_text("AZ_COUNT = 3\n")
    _, source = cache.cached_render(
        "stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c"
    )
    assert source == "rendered" and len(calls) == 2


def test_no_cache_renders_even_when_an_entry_exists(project: Path, tmp_path: Path) -> None:
    render, calls = counting("recording")
    cache.cached_render("stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c")
    _, source = cache.cached_render(
        "stage", project, render, accept=lambda v: True, use_cache=False, cache_dir=tmp_path / "c"
    )
    assert source == "rendered (--no-cache)" and len(calls) == 2


def test_an_unreadable_input_renders_and_stores_nothing(project: Path, tmp_path: Path) -> None:
    (project / "components" / "gone.py").symlink_to(project / "components" / "missing.py")
    render, calls = counting("recording")
    for _ in range(2):
        _, source = cache.cached_render(
            "stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c"
        )
        assert source.startswith("rendered (not cached:")
    assert len(calls) == 2 and not (tmp_path / "c").exists()


def test_a_corrupt_entry_is_rendered_again(project: Path, tmp_path: Path) -> None:
    render, calls = counting("recording")
    cache.cached_render("stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c")
    (entry,) = (tmp_path / "c").glob("stage-*.pickle")
    entry.write_bytes(b"not a pickle")
    _, source = cache.cached_render(
        "stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c"
    )
    assert source == "rendered" and len(calls) == 2


def test_an_entry_stored_under_another_key_is_not_served(project: Path, tmp_path: Path) -> None:
    render, _ = counting("recording")
    cache.cached_render("stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c")
    (entry,) = (tmp_path / "c").glob("stage-*.pickle")
    entry.write_bytes(pickle.dumps({"key": "another", "value": "stale"}))
    value, source = cache.cached_render(
        "stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c"
    )
    assert (value, source) == ("recording", "rendered")


def test_a_repeated_plan_of_the_stage_stack_is_served_from_the_cache(tmp_path: Path) -> None:
    first = build_plan("stage", use_cache=True, cache_dir=tmp_path)
    assert first.recording_source == "rendered"
    # A file of the repository edited between two plans is a legitimate miss (the second
    # renders and stores again): a few attempts, and one must come from the cache.
    for _ in range(3):
        again = build_plan("stage", use_cache=True, cache_dir=tmp_path)
        if again.recording_source == "cache":
            break
    assert again.recording_source == "cache"
    assert [r.urn for r in again.recording.resources] == [r.urn for r in first.recording.resources]
    assert again.findings == first.findings and again.cost.total() == first.cost.total()


def test_an_entry_of_another_shape_is_rendered_again(project: Path, tmp_path: Path) -> None:
    render, calls = counting("recording")
    cache.cached_render("stage", project, render, accept=lambda v: True, cache_dir=tmp_path / "c")
    value, source = cache.cached_render(
        "stage", project, render, accept=lambda v: False, cache_dir=tmp_path / "c"
    )
    assert (value, source) == ("recording", "rendered") and len(calls) == 2


def test_the_recorder_files_the_key_covers_exist() -> None:
    # A recorder file moved away would make every key fail, and every plan render.
    names = {p.relative_to(cache.HERE.parent).as_posix() for p in cache.RECORDER_FILES}
    assert names == {"mock_engine/mocks.py", "mock_engine/run.py", "offline_plan/cache.py"}
    assert all(p.is_file() for p in cache.RECORDER_FILES)
