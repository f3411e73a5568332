"""A cache of recordings: the program rendered under mocks, with the policy pack's findings
over it, is kept in build/plan-cache/, keyed by a hash of everything that can change either,
so that a repeated plan of an unchanged stack skips both (most of a plan's time is importing
the provider's classes, which the render and the pack's tag rule both do).

The key covers:
- every file of the project (program, settings, components, stack and project files, the
  dashboards, rules and build context the program reads), and of this repository when the
  project lies elsewhere, except the directories in EXCLUDED_DIRS, which the program never
  reads;
- the recorder itself (the mock engine's modules and this one) and the policy pack
  (policy/, inside the project);
- the stack's name, the Python version and every installed distribution's name and version;
- the environment variables the Pulumi SDK reads (PULUMI_*);
- today's UTC date: the program passes it to the Grafana token rotation, so the same files
  declare different resources on another day.

A cache must never answer with a stale recording: when any part of the key cannot be
computed (an unreadable file, a broken distribution), the plan renders and stores nothing.
Prices and usage are not part of the cached object: they are applied afresh on every run.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar, cast

T = TypeVar("T")

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE_DIR = HERE.parent / "build" / "plan-cache"
#: Bumped when the shape of a cached recording changes.
KEY_VERSION = 1
#: Directories the program never reads: version control, environments, caches, outputs.
EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "build",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "node_modules",
    }
)
#: The recorder: the mock engine that renders and this module that keeps its recordings.
RECORDER_FILES = (
    HERE.parent / "mock_engine" / "mocks.py",
    HERE.parent / "mock_engine" / "run.py",
    HERE / "cache.py",
)


class KeyUnavailable(Exception):
    """A part of the cache key could not be computed."""


def project_files(project_dir: Path) -> list[Path]:
    """Every file of the project the key hashes, sorted, outside EXCLUDED_DIRS."""
    out: list[Path] = []
    for top, dirs, files in os.walk(project_dir, onerror=_raise):
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIRS)
        out.extend(Path(top, f) for f in files if not f.endswith((".pyc", ".pyo")))
    return sorted(out)


def _raise(error: OSError) -> None:
    raise error


def package_versions() -> list[str]:
    """`name==version` of every distribution on sys.path, from the metadata directory names
    (a listing per path entry: far cheaper than reading each distribution's metadata)."""
    found: set[str] = set()
    for entry in sys.path:
        path = Path(entry or ".")
        if not path.is_dir():
            continue
        for child in path.iterdir():
            if child.name.endswith((".dist-info", ".egg-info")):
                found.add(child.name.rsplit(".", 1)[0].lower())
    if not found:
        raise KeyUnavailable("no installed distribution found on sys.path")
    return sorted(found)


def cache_key(
    stack: str,
    project_dir: Path,
    *,
    today: date | None = None,
    files: Iterable[Path] | None = None,
    packages: Iterable[str] | None = None,
    environ: dict[str, str] | None = None,
) -> str:
    """The hash of everything the recording of `stack` depends on.

    Raises OSError or KeyUnavailable when a part cannot be computed.
    """
    project_dir = project_dir.resolve()
    digest = hashlib.sha256()

    def part(label: str, value: bytes) -> None:
        digest.update(f"{label}\0{len(value)}\0".encode())
        digest.update(value)

    part("version", str(KEY_VERSION).encode())
    part("stack", stack.encode())
    part("date", (today or datetime.now(UTC).date()).isoformat().encode())
    part("python", sys.version.encode())
    for name in packages if packages is not None else package_versions():
        part("package", name.encode())
    env = os.environ if environ is None else environ
    for name in sorted(k for k in env if k.startswith("PULUMI_")):
        part("env", f"{name}={env[name]}".encode())
    for path in RECORDER_FILES:
        part(f"recorder {path.name}", path.read_bytes())
    if files is None:
        # A project outside this repository still imports what it does not hold (settings,
        # components) from here: both trees count.
        trees = dict.fromkeys([project_dir, HERE.parent.resolve()])
        files = [f for tree in trees for f in project_files(tree)]
    for path in files:
        part(f"file {path.resolve().as_posix()}", path.read_bytes())
    return digest.hexdigest()


def _entry(cache_dir: Path, stack: str, key: str) -> Path:
    return cache_dir / f"{stack}-{key[:32]}.pickle"


def load(cache_dir: Path, stack: str, key: str) -> object | None:
    """The value stored under `key`, or None (absent, unreadable, or another shape)."""
    path = _entry(cache_dir, stack, key)
    try:
        with path.open("rb") as f:
            # Entries are written by store() into build/ only.
            stored = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or outdated entry is a miss, never an error
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored.get("value")


def store(cache_dir: Path, stack: str, key: str, value: object) -> Path:
    """Writes the value (atomically) and removes the stack's older entries."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = _entry(cache_dir, stack, key)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        pickle.dump({"key": key, "value": value}, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    for old in cache_dir.glob(f"{stack}-*.pickle"):
        if old != path:
            old.unlink(missing_ok=True)
    return path


def cached_render(
    stack: str,
    project_dir: Path,
    render: Callable[[], T],
    *,
    accept: Callable[[object], bool],
    use_cache: bool = True,
    cache_dir: Path | None = None,
) -> tuple[T, str]:
    """What `render` returns for the stack, from the cache when its key matches (and
    `accept` takes the stored value), else from `render` (then stored). Returns the value
    and how it was obtained: "cache", "rendered" (and stored), "rendered (--no-cache)" or
    "rendered (not cached: <why>)"."""
    if not use_cache:
        return render(), "rendered (--no-cache)"
    cache_dir = cache_dir or DEFAULT_CACHE_DIR
    try:
        key = cache_key(stack, project_dir)
    except Exception as error:  # whatever stops the key stops the cache, never the plan
        return render(), f"rendered (not cached: {error})"
    found = load(cache_dir, stack, key)
    if found is not None and accept(found):
        return cast(T, found), "cache"  # accept() checked its shape
    recording = render()
    try:
        # An input edited (or midnight passed) while rendering: the recording may match
        # neither key, so it is not stored.
        if cache_key(stack, project_dir) != key:
            return recording, "rendered (not cached: an input changed during the render)"
        store(cache_dir, stack, key, recording)
    except Exception as error:  # an unwritable cache costs the next run a render, no more
        return recording, f"rendered (not cached: {error})"
    return recording, "rendered"
