"""The README and docs/ stay true: generated sections current, measured figures current where
they are deterministic, every cited command and link real."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from scripts import awsx_visibility, gen_docs, gen_figures

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]


def _make_targets() -> set[str]:
    targets: set[str] = set()
    for makefile in [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]:
        for line in makefile.read_text().splitlines():
            found = re.match(r"^([A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*)\s*:(?!=)", line)
            if found:
                targets.update(found.group(1).split())
    return targets


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors = set()
    in_code = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            anchors.add(_slug(line.lstrip("#")))
    return anchors


def test_the_readme_is_a_front_door_of_at_most_300_lines() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines"
    text = README.read_text()
    assert "make plan" in text and "make test" in text
    for document in ("design", "operations", "security", "configuration", "figures"):
        assert f"(docs/{document}.md" in text, f"README does not link docs/{document}.md"


def test_every_make_target_cited_in_the_docs_exists() -> None:
    targets = _make_targets()
    missing = []
    for path in DOCUMENTS:
        # `make x` in inline code, or a line of a code block that starts with it
        cited = re.findall(r"(?:`|^\s*)make ([a-z][a-z0-9-]*)", path.read_text(), re.MULTILINE)
        for target in cited:
            if target not in targets:
                missing.append(f"{path.relative_to(ROOT)}: make {target}")
    assert not missing, missing


def test_every_python_module_cited_in_the_docs_exists() -> None:
    missing = []
    for path in DOCUMENTS:
        for module in re.findall(r"python -m ([A-Za-z_][\w.]*)", path.read_text()):
            if module in ("pip", "pytest", "venv"):
                continue
            # `python -m website` is how the image (built from app/) starts the site.
            in_image = (ROOT / "app" / module.replace(".", "/")).with_suffix(".py").is_file() or (
                ROOT / "app" / module.replace(".", "/") / "__main__.py"
            ).is_file()
            if not in_image and importlib.util.find_spec(module) is None:
                missing.append(f"{path.relative_to(ROOT)}: python -m {module}")
    assert not missing, missing


def test_every_relative_link_in_the_docs_points_to_an_existing_file_and_heading() -> None:
    broken = []
    for path in DOCUMENTS:
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
            if re.match(r"^[a-z]+:", target):
                continue  # http(s), mailto: not checked offline
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, broken


def test_generated_sections_of_the_docs_are_current() -> None:
    assert gen_docs.stale() == [], "run: make docs"


def test_a_section_is_replaced_between_its_markers_only() -> None:
    text = f"before\n{gen_docs.start_marker('table')}\nold\n{gen_docs.end_marker('table')}\nafter\n"
    new = gen_docs.replace_section(text, "table", "new 1\nnew 2\n")
    assert new == (
        "before\n"
        f"{gen_docs.start_marker('table')}\nnew 1\nnew 2\n{gen_docs.end_marker('table')}\n"
        "after\n"
    )
    assert gen_docs.section(new, "table") == "new 1\nnew 2"
    with pytest.raises(gen_docs.MissingSection):
        gen_docs.replace_section(text, "other", "x")


@pytest.fixture(scope="module")
def vpc_comparison() -> tuple[awsx_visibility.Seen, awsx_visibility.Seen, awsx_visibility.VpcShape]:
    return awsx_visibility.comparison("prod")


def test_awsx_vpc_is_one_opaque_registration_with_no_children_under_mocks(
    vpc_comparison: tuple[awsx_visibility.Seen, awsx_visibility.Seen, awsx_visibility.VpcShape],
) -> None:
    awsx, _, shape = vpc_comparison
    # The same settings as the shipped prod stack: 3 AZs, a NAT Gateway per AZ.
    assert (shape.az_count, shape.nat) == (3, "per-az")
    assert [(r.type, r.custom) for r in awsx.registered] == [("awsx:ec2:Vpc", False)]
    assert awsx.count("aws:ec2/subnet:Subnet", "aws:ec2/route:Route") == 0
    assert awsx.outputs_known is False


def test_the_programs_network_shows_its_subnets_routes_and_nat_under_mocks(
    vpc_comparison: tuple[awsx_visibility.Seen, awsx_visibility.Seen, awsx_visibility.VpcShape],
) -> None:
    _, network, _ = vpc_comparison
    # prod: 3 AZs x (public, private, database) subnets, a NAT Gateway per AZ, flow logs on.
    assert network.count("aws:ec2/subnet:Subnet") == 9
    assert network.count("aws:ec2/natGateway:NatGateway") == 3
    assert network.count("aws:ec2/route:Route") >= 3
    assert network.count("aws:ec2/routeTableAssociation:RouteTableAssociation") == 9
    assert network.count("aws:ec2/flowLog:FlowLog") == 1
    assert network.outputs_known is True


def test_every_policy_rule_the_awsx_table_names_exists() -> None:
    from policy.rules import RULES

    ids = {rule.id for rule in RULES}
    named = {
        token
        for _, needed_by, _ in awsx_visibility.ROWS
        for token in re.findall(r"`([a-z0-9-]+)`", needed_by)
    }
    assert named and named <= ids, named - ids


def test_the_cost_figures_are_current() -> None:
    fresh = gen_figures.cost_figure()
    assert gen_figures.recorded_body(fresh.name) == fresh.body.rstrip(), "run: make figures"


def test_the_rollout_figures_are_current() -> None:
    fresh = gen_figures.rollout_figure()
    assert gen_figures.recorded_body(fresh.name) == fresh.body.rstrip(), "run: make figures"


def test_every_figure_section_says_its_command_and_date() -> None:
    text = gen_figures.FIGURES.read_text()
    for name in gen_figures.PRODUCERS:
        body = gen_docs.section(text, f"figures-{name}")
        if not body.strip():
            continue  # not measured yet on this checkout: nothing to date
        assert re.match(r"Produced by `[^`]+` on \d{4}-\d{2}-\d{2}\.\n\n", body), name
