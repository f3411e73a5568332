from __future__ import annotations

import pytest

from app.website.config import ConfigError, Settings

REQUIRED = ("APP_VERSION", "APP_COLOR", "STACK_NAME", "DB_HOST", "DB_NAME", "DB_USER")


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    return caught.value.problems


def test_defaults_follow_the_interface(base_env: dict[str, str]) -> None:
    s = Settings.from_env(base_env)
    assert (s.port, s.db_port, s.db_sslmode, s.host) == (8080, 5432, "require", "0.0.0.0")
    assert s.metrics_port == 9102
    assert (s.app_version, s.app_color, s.stack_name) == ("1.2.3", "green", "stage")


def test_every_setting_can_be_given(base_env: dict[str, str]) -> None:
    env = {
        **base_env,
        "PORT": "9000",
        "METRICS_PORT": "9200",
        "DB_PORT": "6543",
        "DB_SSLMODE": "verify-full",
        "DB_TIMEOUT_SECONDS": "1.5",
        "DB_CHECK_INTERVAL_SECONDS": "10",
        "SHUTDOWN_DRAIN_SECONDS": "0",
        "SHUTDOWN_TIMEOUT_SECONDS": "25",
    }
    s = Settings.from_env(env)
    assert (s.port, s.db_port, s.db_sslmode) == (9000, 6543, "verify-full")
    assert s.metrics_port == 9200
    assert (s.db_timeout_seconds, s.db_check_interval_seconds) == (1.5, 10.0)
    assert (s.shutdown_drain_seconds, s.shutdown_timeout_seconds) == (0.0, 25.0)


def test_all_missing_settings_are_reported_at_once() -> None:
    found = problems({})
    for name in (*REQUIRED, "DB_PASSWORD"):
        assert any(p.startswith(f"{name} is required") for p in found), (name, found)
    assert len(found) == len(REQUIRED) + 1


@pytest.mark.parametrize("name", REQUIRED)
def test_an_empty_required_setting_is_missing(base_env: dict[str, str], name: str) -> None:
    assert problems({**base_env, name: "  "}) == [
        p for p in problems({**base_env, name: ""}) if p.startswith(name)
    ]


@pytest.mark.parametrize("color", ["purple", "Blue", "BLUE", "blue,green"])
def test_app_color_must_be_blue_or_green(base_env: dict[str, str], color: str) -> None:
    found = problems({**base_env, "APP_COLOR": color})
    assert len(found) == 1 and found[0].startswith("APP_COLOR=")
    assert "one of blue, green" in found[0]


@pytest.mark.parametrize("value", ["0", "65536", "-1", "80a", "8.5", "0x50"])
@pytest.mark.parametrize("name", ["PORT", "METRICS_PORT", "DB_PORT"])
def test_ports_must_be_integers_in_range(base_env: dict[str, str], name: str, value: str) -> None:
    found = problems({**base_env, name: value})
    assert found == [f"{name}={value!r} is not allowed (allowed: an integer from 1 to 65535)"]


def test_metrics_port_must_differ_from_the_website_port(base_env: dict[str, str]) -> None:
    assert problems({**base_env, "PORT": "9102"}) == [
        "METRICS_PORT=9102 is the website's PORT too (allowed: any other port)"
    ]


def test_sslmode_must_be_a_libpq_mode(base_env: dict[str, str]) -> None:
    found = problems({**base_env, "DB_SSLMODE": "on"})
    assert len(found) == 1 and "verify-full" in found[0] and "'on'" in found[0]


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "abc", "1e9"])
def test_timeouts_must_be_finite_and_bounded(base_env: dict[str, str], value: str) -> None:
    found = problems({**base_env, "DB_TIMEOUT_SECONDS": value})
    assert len(found) == 1 and found[0].startswith(f"DB_TIMEOUT_SECONDS={value!r}")


@pytest.mark.parametrize(
    ("name", "value"),
    [("APP_VERSION", "1.0 beta"), ("APP_VERSION", "<b>"), ("STACK_NAME", "st/age")],
)
def test_shown_values_are_restricted_to_safe_characters(
    base_env: dict[str, str], name: str, value: str
) -> None:
    found = problems({**base_env, name: value})
    assert len(found) == 1 and found[0].startswith(f"{name}=")


def test_the_password_is_never_shown(base_env: dict[str, str]) -> None:
    secret = "s3cr3t\x07value"
    found = problems({**base_env, "DB_PASSWORD": secret, "APP_COLOR": "red"})
    assert len(found) == 2
    assert all(secret not in p and "s3cr3t" not in p for p in found)
    settings = Settings.from_env({**base_env, "DB_PASSWORD": "s3cr3t"})
    assert "s3cr3t" not in repr(settings)


def test_errors_name_the_setting_and_what_is_allowed(base_env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**base_env, "PORT": "http"})
    assert "PORT='http'" in str(caught.value)
    assert "allowed: an integer from 1 to 65535" in str(caught.value)
