"""`make db-connect` (scripts/db-connect.sh) against a real PostgreSQL with TLS on loopback:
the server's certificate is made here for a fake RDS endpoint name by a CA made here; `pulumi`,
`aws` and `session-manager-plugin` are stubs on PATH that record their arguments, and the
stub `aws ssm start-session` forwards a local port to the PostgreSQL server, as the Session
Manager port forward through the bastion does."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "db-connect.sh"
ENDPOINT = "stage-db.c0ffee0example.us-east-1.rds.amazonaws.com"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf"
OUTPUTS = {
    "bastionInstanceId": "i-0123456789abcdef0",
    "databaseAddress": ENDPOINT,
    "databaseSecretArn": SECRET_ARN,
    "databaseConnectCommand": (
        "aws ssm start-session --target i-0123456789abcdef0 --document-name "
        "AWS-StartPortForwardingSessionToRemoteHost --parameters "
        f'\'{{"host":["{ENDPOINT}"],"portNumber":["5432"],"localPortNumber":["5432"]}}\''
    ),
    "databaseName": "website",
}

pytestmark = pytest.mark.skipif(
    not (shutil.which("psql") and shutil.which("jq") and shutil.which("openssl")),
    reason="needs psql, jq and openssl (make debs)",
)

RECORDER = """
import json, os, sys
with open(os.path.join(os.environ["STUB_DIR"], "calls.jsonl"), "a") as f:
    f.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\\n")
"""

PULUMI_STUB = (
    RECORDER
    + """
args = sys.argv[1:]
stack = args[args.index("--stack") + 1] if "--stack" in args else ""
if args[:2] == ["stack", "output"] and stack == "stage":
    sys.stdout.write(open(os.path.join(os.environ["STUB_DIR"], "outputs.json")).read())
    sys.exit(0)
sys.stderr.write(f"error: no stack named '{stack}' found\\n")
sys.exit(255)
"""
)

# `aws ssm start-session` starts the plugin (as the real CLI does) and forwards the local
# port to the PostgreSQL server; `aws secretsmanager get-secret-value` prints the secret.
AWS_STUB = (
    RECORDER
    + """
import socket, subprocess, threading
args = sys.argv[1:]
stub = os.environ["STUB_DIR"]
if args[:2] == ["secretsmanager", "get-secret-value"]:
    print(open(os.path.join(stub, "secret.json")).read())
    sys.exit(0)
if args[:2] == ["ssm", "start-session"]:
    params = json.loads(args[args.index("--parameters") + 1])
    local = int(params["localPortNumber"][0])
    plugin = subprocess.Popen(["session-manager-plugin", "session"])
    with open(os.path.join(stub, "tunnel.pids"), "w") as f:
        f.write(f"{os.getpid()} {plugin.pid}\\n")
    server = socket.create_server(("127.0.0.1", local))
    def pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
    while True:
        client, _ = server.accept()
        upstream = socket.create_connection(("127.0.0.1", int(os.environ["STUB_PG_PORT"])))
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
sys.exit(1)
"""
)

PLUGIN_STUB = (
    RECORDER
    + """
import time
if sys.argv[1:] == ["session"]:
    time.sleep(120)
"""
)


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(where: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate for `name` (CN and DNS SAN) signed by it."""
    where.mkdir(parents=True, exist_ok=True)
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Test RDS root CA",
        cwd=where,
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", f"/CN={name}",
        cwd=where,
    )  # fmt: skip
    (where / "san.ext").write_text(f"subjectAltName=DNS:{name}\n")
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext",
        cwd=where,
    )  # fmt: skip
    return where / "ca.pem", where / "server.crt", where / "server.key"


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """PostgreSQL on loopback serving TLS with a certificate for ENDPOINT."""
    localpg = pytest.importorskip("app.tools.localpg")
    try:
        server = localpg.LocalPostgres()
    except localpg.PostgresNotInstalled as error:
        pytest.skip(str(error))
    server.start()
    try:
        ca, cert, key = make_certificates(tmp_path_factory.mktemp("tls"), ENDPOINT)
        for source in (cert, key):
            target = server.root / source.name
            shutil.copy(source, target)
            os.chmod(target, 0o600)
            if os.geteuid() == 0:
                account = pwd.getpwnam("postgres")
                os.chown(target, account.pw_uid, account.pw_gid)
        with server.connect(superuser=True, autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET ssl_cert_file = '{server.root / cert.name}'")
            conn.execute(f"ALTER SYSTEM SET ssl_key_file = '{server.root / key.name}'")
            conn.execute("ALTER SYSTEM SET ssl = on")
            conn.execute("SELECT pg_reload_conf()")
        server.ca = ca
        _wait_for_tls(server)
        yield server
    finally:
        server.destroy()


def _wait_for_tls(server: Any) -> None:
    """Waits until the reloaded configuration has TLS on."""
    for _ in range(50):
        with server.connect(superuser=True) as conn:
            if conn.execute("SHOW ssl").fetchone() == ("on",):
                return
        time.sleep(0.1)
    raise AssertionError(f"TLS did not come on: {server.log_tail()}")


@pytest.fixture(autouse=True)
def no_tunnel_left_behind(tmp_path: Path) -> Iterator[None]:
    """Whatever a test asserts, the stub tunnel processes it started do not outlive it."""
    yield
    pids = tmp_path / "stub" / "tunnel.pids"
    if pids.exists():
        for pid in (int(p) for p in pids.read_text().split()):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def stubs(where: Path, *, without: tuple[str, ...] = ()) -> Path:
    bin_dir = where / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, body in (
        ("pulumi", PULUMI_STUB),
        ("aws", AWS_STUB),
        ("session-manager-plugin", PLUGIN_STUB),
    ):
        if name in without:
            continue
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\n{body}")
        path.chmod(0o755)
    return bin_dir


def run(
    tmp_path: Path,
    postgres: Any,
    *args: str,
    outputs: dict[str, str] | None = None,
    without: tuple[str, ...] = (),
    stack: str = "stage",
) -> subprocess.CompletedProcess[str]:
    stub_dir = tmp_path / "stub"
    stub_dir.mkdir(exist_ok=True)
    (stub_dir / "outputs.json").write_text(json.dumps(OUTPUTS if outputs is None else outputs))
    (stub_dir / "secret.json").write_text(
        json.dumps({"username": postgres.user, "password": postgres.password})
    )
    bin_dir = stubs(tmp_path, without=without)
    env = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STUB_DIR": str(stub_dir),
        "STUB_PG_PORT": str(postgres.port),
        "DB_CONNECT_CA_BUNDLE": str(postgres.ca),
        "DB_CONNECT_TIMEOUT": "20",
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        ["bash", str(SCRIPT), stack, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def calls(tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "stub" / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


QUERY = ["-X", "-A", "-t", "-c"]
WHO = "SELECT current_user, current_database(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


def test_psql_reaches_the_database_over_verified_tls_through_the_tunnel(
    tmp_path: Path, postgres: Any
) -> None:
    done = run(tmp_path, postgres, *QUERY, WHO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{postgres.user}|website|t"


def test_the_tunnel_is_the_ssm_port_forward_to_the_database_through_the_bastion(
    tmp_path: Path, postgres: Any
) -> None:
    run(tmp_path, postgres, *QUERY, "SELECT 1")
    (session,) = [c for c in calls(tmp_path) if c[:3] == ["aws", "ssm", "start-session"]]
    assert session[session.index("--target") + 1] == OUTPUTS["bastionInstanceId"]
    assert session[session.index("--region") + 1] == "us-east-1"
    assert (
        session[session.index("--document-name") + 1]
        == "AWS-StartPortForwardingSessionToRemoteHost"
    )
    parameters = json.loads(session[session.index("--parameters") + 1])
    assert parameters["host"] == [ENDPOINT] and parameters["portNumber"] == ["5432"]


def test_the_password_is_read_from_the_secret_and_never_printed_or_passed(
    tmp_path: Path, postgres: Any
) -> None:
    done = run(tmp_path, postgres, *QUERY, "SELECT 1")
    assert done.returncode == 0, done.stderr
    (read,) = [c for c in calls(tmp_path) if c[1:3] == ["secretsmanager", "get-secret-value"]]
    assert read[read.index("--secret-id") + 1] == SECRET_ARN
    recorded = (tmp_path / "stub" / "calls.jsonl").read_text()
    assert postgres.password not in done.stdout + done.stderr + recorded


def test_the_tunnel_and_the_plugin_are_gone_after_psql_exits(tmp_path: Path, postgres: Any) -> None:
    done = run(tmp_path, postgres, *QUERY, "SELECT 1")
    assert done.returncode == 0, done.stderr
    pids = [int(p) for p in (tmp_path / "stub" / "tunnel.pids").read_text().split()]
    assert len(pids) == 2
    for pid in pids:
        for _ in range(50):
            if not _alive(pid):
                break
            time.sleep(0.1)
        assert not _alive(pid), f"process {pid} of the tunnel still runs"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not reaped it yet.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def test_the_tunnel_is_closed_when_psql_fails(tmp_path: Path, postgres: Any) -> None:
    done = run(tmp_path, postgres, *QUERY, "SELECT * FROM no_such_table")
    assert done.returncode != 0
    pid = int((tmp_path / "stub" / "tunnel.pids").read_text().split()[0])
    time.sleep(0.2)
    assert not _alive(pid)


def test_a_certificate_for_another_name_is_refused(tmp_path: Path, postgres: Any) -> None:
    # verify-full checks the `host` name against the certificate: a database address the
    # certificate does not name fails, although the tunnel reaches the same server.
    other = {**OUTPUTS, "databaseAddress": "other-db.c0ffee0example.us-east-1.rds.amazonaws.com"}
    done = run(tmp_path, postgres, *QUERY, "SELECT 1", outputs=other)
    assert done.returncode != 0
    assert "does not match host name" in done.stderr


def test_a_missing_prerequisite_is_named_with_how_to_install_it(
    tmp_path: Path, postgres: Any
) -> None:
    done = run(tmp_path, postgres, "-c", "SELECT 1", without=("session-manager-plugin", "aws"))
    assert done.returncode == 3
    assert "session-manager-plugin: https://docs.aws.amazon.com/" in done.stderr
    assert "  - aws: the AWS CLI v2" in done.stderr
    assert calls(tmp_path) == []


def test_an_unknown_stack_fails_with_a_clear_message(tmp_path: Path, postgres: Any) -> None:
    done = run(tmp_path, postgres, "-c", "SELECT 1", stack="qa")
    assert done.returncode == 2
    assert "cannot read the outputs of stack 'qa'" in done.stderr
    assert "no stack named 'qa' found" in done.stderr


def test_a_stack_without_a_bastion_names_the_missing_output(tmp_path: Path, postgres: Any) -> None:
    outputs = {k: v for k, v in OUTPUTS.items() if k != "bastionInstanceId"}
    done = run(tmp_path, postgres, "-c", "SELECT 1", outputs=outputs)
    assert done.returncode == 2
    assert "does not export: bastionInstanceId" in done.stderr


def test_without_a_database_name_output_psql_opens_the_postgres_database(
    tmp_path: Path, postgres: Any
) -> None:
    outputs = {k: v for k, v in OUTPUTS.items() if k != "databaseName"}
    done = run(tmp_path, postgres, *QUERY, "SELECT current_database()", outputs=outputs)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "postgres"


def test_the_script_passes_shellcheck() -> None:
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck not installed")
    done = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_ctrl_c_during_a_query_closes_the_tunnel(tmp_path: Path, postgres: Any) -> None:
    stub_dir = tmp_path / "stub"
    stub_dir.mkdir()
    (stub_dir / "outputs.json").write_text(json.dumps(OUTPUTS))
    (stub_dir / "secret.json").write_text(
        json.dumps({"username": postgres.user, "password": postgres.password})
    )
    env = {
        "PATH": f"{stubs(tmp_path)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STUB_DIR": str(stub_dir),
        "STUB_PG_PORT": str(postgres.port),
        "DB_CONNECT_CA_BUNDLE": str(postgres.ca),
    }
    process = subprocess.Popen(
        ["bash", str(SCRIPT), "stage", *QUERY, "SELECT pg_sleep(30)"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    pids_file = stub_dir / "tunnel.pids"
    for _ in range(100):
        if pids_file.exists() and pids_file.read_text().strip():
            break
        time.sleep(0.1)
    time.sleep(1.0)  # psql is connected and waiting
    # Ctrl-C in a terminal signals the whole foreground process group: the script and psql.
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    process.communicate(timeout=30)
    assert time.monotonic() - started < 10 and process.returncode != 0
    pids = [int(p) for p in pids_file.read_text().split()]
    time.sleep(0.3)
    assert not any(_alive(p) for p in pids)


def _real_aws() -> str | None:
    """The AWS CLI installed on the machine (not the stub), if any."""
    found = shutil.which("aws")
    return found if found and "stub" not in found else None


@pytest.mark.parametrize("service", ["ssm", "secretsmanager"])
def test_the_real_aws_cli_accepts_the_calls_the_script_makes(
    tmp_path: Path, postgres: Any, service: str
) -> None:
    # The AWS CLI checks every option against the service's API model before it sends
    # anything: pointed at a closed port, a well-formed call fails only at the connection.
    aws = _real_aws()
    if aws is None:
        pytest.skip("the AWS CLI is not installed")
    assert run(tmp_path, postgres, *QUERY, "SELECT 1").returncode == 0
    (call,) = [c for c in calls(tmp_path) if c[0] == "aws" and c[1] == service]
    done = subprocess.run(
        [aws, *call[1:], "--endpoint-url", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
        check=False,
    )
    assert "Could not connect to the endpoint URL" in done.stdout + done.stderr, done.stderr
