"""The command-line entry points answer `--help` with their usage and change nothing, and
refuse an unknown argument with argparse's usage error (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

import contracts.__main__ as contracts_cli
import rollout
import settings
from scripts import gen_pulumi_yaml


def test_rollout_help_prints_usage_and_reads_no_stack(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_stack(*_: object, **__: object) -> None:
        raise AssertionError("--help read a stack file")

    monkeypatch.setattr("rollout.cli.read_stack", no_stack)
    monkeypatch.setattr("rollout.cli.stack_names", no_stack)
    with pytest.raises(SystemExit) as exited:
        rollout.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m rollout [-h] [STACK ...]")
    assert "Pulumi.<STACK>.yaml" in out


def test_rollout_refuses_an_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        rollout.main(["--stage"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --stage" in capsys.readouterr().err


def test_contracts_help_prints_usage_and_checks_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_render() -> None:
        raise AssertionError("--help rendered the stacks")

    monkeypatch.setattr(contracts_cli, "gather", no_render)
    with pytest.raises(SystemExit) as exited:
        contracts_cli.main(["--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m contracts [-h]")


def test_contracts_refuses_an_argument(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_render() -> None:
        raise AssertionError("a wrong command line rendered the stacks")

    monkeypatch.setattr(contracts_cli, "gather", no_render)
    with pytest.raises(SystemExit) as exited:
        contracts_cli.main(["stage"])
    assert exited.value.code == 2
    assert "unrecognized arguments: stage" in capsys.readouterr().err


def test_gen_pulumi_yaml_help_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        gen_pulumi_yaml.main(["--help"], root=tmp_path)
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: scripts/gen_pulumi_yaml.py [-h] [--check]")
    assert list(tmp_path.iterdir()) == []


def test_gen_pulumi_yaml_refuses_an_unknown_option_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        gen_pulumi_yaml.main(["--force"], root=tmp_path)
    assert exited.value.code == 2
    assert "unrecognized arguments: --force" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_gen_pulumi_yaml_check_lists_stale_files_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gen_pulumi_yaml.main(["--check"], root=tmp_path) == 1
    out = capsys.readouterr().out
    assert "stale: Pulumi.yaml" in out and "stale: docs/configuration.md" in out
    assert list(tmp_path.iterdir()) == []


def test_gen_pulumi_yaml_writes_both_files_then_finds_them_current(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    assert gen_pulumi_yaml.main([], root=tmp_path) == 0
    assert (tmp_path / "Pulumi.yaml").read_text().startswith("# The Pulumi project.")
    assert f"`{settings.PROJECT}:`" in (tmp_path / "docs" / "configuration.md").read_text()
    assert gen_pulumi_yaml.main(["--check"], root=tmp_path) == 0


def test_a_path_is_not_a_stack_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert rollout.main(["../etc/passwd"]) == 2
    assert capsys.readouterr().err == (
        "rollout: '../etc/passwd' is not a stack name (letters, digits, '.', '_', '-')\n"
    )
    with pytest.raises(settings.StackFileError, match="is not a stack name"):
        settings.read_stack("../Pulumi.stage")


def test_policy_check_answers_an_unknown_stack_on_one_line_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from policy import check

    assert check.main(["--stack", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("policy check: no stack file Pulumi.nope.yaml for stack 'nope'")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_policy_check_answers_an_invalid_configuration_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from policy import check

    def invalid(stack: str) -> object:
        raise settings.SettingsError(stack, [settings.Issue("network.azCount", 9, "too many")])

    monkeypatch.setattr(check, "check_stack", invalid)
    assert check.main(["--stack", "stage"]) == 2
    assert "ecs-platform:network.azCount = 9: too many" in capsys.readouterr().err
