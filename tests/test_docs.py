"""The README and docs/ stay true: generated sections current, measured figures current where
they are deterministic, every cited command and link real."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

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


# Directories that hold no file of the repository's own (tools, caches, built output).
_NOT_OURS = {".git", ".venv", "build", "node_modules", ".mypy_cache", ".ruff_cache"}


def _yaml_files() -> list[Path]:
    return sorted(
        path
        for pattern in ("*.yaml", "*.yml")
        for path in ROOT.rglob(pattern)
        if not _NOT_OURS & set(path.relative_to(ROOT).parts)
    )


def _comments(text: str) -> list[tuple[int, str]]:
    """(line number, comment) of every YAML comment: a `#` at the start of a line or after a
    blank, outside quotes."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        quote = ""
        for index, char in enumerate(line):
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "#" and (index == 0 or line[index - 1].isspace()):
                found.append((number, line[index + 1 :]))
                break
    return found


def _cited_doc_pages(text: str) -> list[tuple[str, str]]:
    """(page, heading) of every `docs/<page>.md` that `text` cites, the heading being the
    `#anchor` or the quoted section name after it (`docs/x.md, 'Roll back'`), else ""."""
    cited = []
    for found in re.finditer(r"docs/([\w-]+\.md)(?:#([\w-]+)|, '([^']+)')?", text):
        page, anchor, name = found.groups()
        cited.append((page, anchor or (_slug(name) if name else "")))
    return cited


def test_yaml_comments_do_not_point_at_the_readme() -> None:
    # The README is a front door: every section a comment could cite lives in docs/.
    offending = [
        f"{path.relative_to(ROOT)}:{number}: #{comment}"
        for path in _yaml_files()
        for number, comment in _comments(path.read_text())
        if "readme" in comment.lower()
    ]
    assert not offending, offending


def test_every_docs_page_and_section_a_yaml_file_cites_exists() -> None:
    files = _yaml_files()
    assert ROOT / "Pulumi.prod.yaml" in files and ROOT / "bootstrap" / "Pulumi.yaml" in files
    broken = []
    for path in files:
        for page, heading in _cited_doc_pages(path.read_text()):
            target = ROOT / "docs" / page
            if not target.is_file():
                broken.append(f"{path.relative_to(ROOT)}: docs/{page}")
            elif heading and heading not in _anchors(target):
                broken.append(f"{path.relative_to(ROOT)}: docs/{page} has no section {heading}")
    assert not broken, broken


def test_a_yaml_comment_citing_the_readme_or_a_missing_section_is_found() -> None:
    text = (
        "a: 1  # see the README's table\n"
        "b: 'x # not a comment'\n"
        "# docs/operations.md#no-such-heading and docs/operations.md, 'Roll back'\n"
    )
    assert [n for n, c in _comments(text) if "readme" in c.lower()] == [1]
    assert _cited_doc_pages(text) == [
        ("operations.md", "no-such-heading"),
        ("operations.md", "roll-back"),
    ]
    assert "no-such-heading" not in _anchors(ROOT / "docs" / "operations.md")
    assert "roll-back" in _anchors(ROOT / "docs" / "operations.md")


def test_stack_file_comments_state_no_modelled_duration() -> None:
    # The modelled times follow from the values (make rollout-times); a figure in a comment
    # would go stale the first time a value changes. They live in docs/figures.md.
    stated = [
        f"{path.name}:{number}: #{comment}"
        for path in sorted(ROOT.glob("Pulumi.*.yaml"))
        for number, comment in _comments(path.read_text())
        if re.search(r"\d+\s*(?:s|sec|seconds|min|minutes|h|hours?)\b", comment)
    ]
    assert not stated, stated


def _section_text(path: Path, heading: str) -> str:
    """The prose under `heading` up to the next heading of any level."""
    text = path.read_text()
    start = text.index(f"\n{heading}\n")
    end = text.find("\n#", start + len(heading) + 2)
    return " ".join(text[start : end if end != -1 else None].split())


def _stated(pattern: str, text: str) -> tuple[int, ...]:
    found = re.search(pattern, text)
    assert found, f"no sentence matching {pattern!r}"
    return tuple(int(group) for group in found.groups())


def test_the_modelled_times_section_states_the_models_own_targets_and_assumptions() -> None:
    import rollout

    text = _section_text(ROOT / "docs" / "operations.md", "### Modelled times")
    targets = (
        rollout.STAGE_DEPLOY_TARGET_SECONDS,
        rollout.PROD_DEPLOY_TARGET_SECONDS,
        rollout.ROLLBACK_TARGET_SECONDS,
    )
    assert all(seconds % 60 == 0 for seconds in targets), "the prose states whole minutes"
    assert _stated(
        r"stage at most (\d+) minutes, prod at most (\d+) minutes, rollback at most (\d+) "
        r"minutes after the alarm",
        text,
    ) == tuple(seconds // 60 for seconds in targets)
    assert _stated(r"task start \((\d+) s on Fargate, (\d+) s on EC2", text) == (
        rollout.TASK_START_SECONDS,
        rollout.EC2_TASK_START_SECONDS,
    )
    assert _stated(r"(\d+) s per listener-rule change", text) == (rollout.RULE_CHANGE_SECONDS,)
    assert _stated(r"A rollback is (\d+) s for ECS to act", text) == (
        rollout.ALARM_REACTION_SECONDS,
    )


def test_the_operations_numbers_of_the_components_are_the_components_own() -> None:
    import dataclasses

    from components.bluegreen import BlueGreenArgs
    from components.ecs_service import RELEASE_MARGIN_MINUTES

    text = " ".join((ROOT / "docs" / "operations.md").read_text().split())
    retention = {f.name: f.default for f in dataclasses.fields(BlueGreenArgs)}
    assert _stated(r"logs expire after (\d+) days", text) == (
        retention["access_log_retention_days"],
    )
    assert _stated(r"\(up to (\d+) minutes plus the bake times\)", text) == (
        RELEASE_MARGIN_MINUTES,
    )


def test_the_observability_numbers_are_the_codes_own(tmp_path: Path) -> None:
    import aws_facts
    from components.observability import GRAFANA_TOKEN_ROTATION_DAYS
    from observability import render
    from observability.localstack import DEFAULT_DIVISOR

    text = " ".join((ROOT / "docs" / "observability.md").read_text().split())
    token_days, remainder = divmod(aws_facts.GRAFANA_TOKEN_MAX_SECONDS, 24 * 3600)
    assert remainder == 0, "the prose states whole days"
    assert _stated(r"The token lives at most (\d+) days \(AWS limit", text) == (token_days,)
    assert _stated(r"If no `pulumi up` runs for (\d+) days the token expires", text) == (
        token_days,
    )
    assert _stated(r"its name carries the first day of its (\d+)-day window", text) == (
        GRAFANA_TOKEN_ROTATION_DAYS,
    )
    # The local run's speed-up and the shortest window it leaves, as the renderer applies them.
    floor = render.parse_duration(render.scaled_windows("x[1h]", 10**6).split("[")[1][:-1])
    rules = tmp_path / "one.rules.yml"
    rules.write_text(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 1m\n"
        "    labels: {severity: critical}\n    annotations: {summary: s, runbook: r}\n"
    )
    scaled = yaml.safe_load(render.scaled_rules_yaml(rules, DEFAULT_DIVISOR))
    one_minute = render.parse_duration(scaled["groups"][0]["rules"][0]["for"])
    assert _stated(r"never under (\d+) s\)", text) == (floor,)
    assert _stated(r"are divided by (\d+) \(1m becomes (\d+)s\)", text) == (
        int(DEFAULT_DIVISOR),
        one_minute,
    )


def test_the_readme_says_how_the_committed_diagram_is_refreshed() -> None:
    plan_mk = (ROOT / "mk" / "plan.mk").read_text()
    plan_dir = _stated_text(r"^PLAN_DIR \?= (\S+)$", plan_mk)
    text = " ".join(README.read_text().split())
    assert "![prod architecture](docs/diagram-prod.png)" in text
    assert "`make plan STACK=prod`" in text
    for suffix in ("png", "svg"):
        assert f"`cp {plan_dir}/prod.{suffix} docs/diagram-prod.{suffix}`" in text
        assert (ROOT / "docs" / f"diagram-prod.{suffix}").is_file()


def _stated_text(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"no line matching {pattern!r}"
    return found.group(1)


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


def test_the_alert_figures_keep_the_measurements_and_drop_makes_echo() -> None:
    output = (
        ".venv/bin/python -m pytest -q -s -m servers tests/test_observability_e2e.py\n"
        "..{'WebsiteTargetDown': 3.95, 'WebsiteProbeFailing': 4.21}\n"
        ".....\n"
        "8 passed in 81.35s (0:01:21)\n"
    )
    assert gen_figures.alert_lines(output) == [
        "WebsiteTargetDown after 4.0s",
        "WebsiteProbeFailing after 4.2s",
        "8 passed in 81.35s (0:01:21)",
    ]
