"""The benchmark's parsing of wrk output (the benchmark itself is a script, not a test)."""

from __future__ import annotations

import pytest

from app.tools.bench import median, parse_wrk

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8080/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.11ms    1.02ms  30.01ms   91.20%
    Req/Sec     7.61k   400.00     8.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    2.20ms
     90%    2.80ms
     99%    1.05s
  76518 requests in 10.00s, 120.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 0
  Non-2xx or 3xx responses: 7
Requests/sec:   7651.80
Transfer/sec:     12.00MB
"""


def test_wrk_figures_are_read_with_their_units() -> None:
    result = parse_wrk("/", WRK_OUTPUT)
    assert result.rps == 7651.80
    assert result.p50_ms == pytest.approx(0.812)
    assert result.p99_ms == pytest.approx(1050.0)
    assert result.requests == 76518
    assert "read 2" in result.errors and "7 non-2xx/3xx" in result.errors


def test_missing_figures_are_an_error_not_a_zero() -> None:
    with pytest.raises(ValueError, match="Requests/sec"):
        parse_wrk("/", WRK_OUTPUT.replace("Requests/sec:", "Reqs:"))


def test_median_takes_each_figure_over_the_runs() -> None:
    runs = [
        parse_wrk("/", WRK_OUTPUT.replace("7651.80", rps).replace("1.05s", p99))
        for rps, p99 in [("100.0", "9.00ms"), ("300.0", "1.00ms"), ("200.0", "5.00ms")]
    ]
    result = median(runs)
    assert (result.rps, result.p99_ms) == (200.0, 5.0)
    assert result.p99_runs == (9.0, 1.0, 5.0)
    assert result.requests == 3 * 76518


def test_the_write_script_answers_are_read_by_status() -> None:
    result = parse_wrk("/guestbook", WRK_OUTPUT + "Statuses: 201=40 429=1200 503=2\n")
    assert result.statuses == {201: 40, 429: 1200, 503: 2}


def test_a_run_without_the_write_script_has_no_statuses() -> None:
    assert parse_wrk("/", WRK_OUTPUT).statuses == {}
