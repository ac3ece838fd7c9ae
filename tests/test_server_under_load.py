"""`mapro serve` stays up under idle and slow clients (issue 11, defect 1): 150 connections that
send half a request line and nothing more no longer stop the service (waitress alone accepted
100 connections, then nobody else), a silent connection is closed after --timeout seconds, and
SIGTERM stops the server cleanly. The server runs as in production, in its own processes, on the
test database."""
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
IDLE_CONNECTIONS = 150
SILENCE_TIMEOUT_S = 4

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    """The test database, as a DATABASE_URL the server process understands."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str = "/ingresar/", timeout: float = 2.0) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        status = conn.getresponse().status
    finally:
        conn.close()
    return status, time.perf_counter() - started


@pytest.fixture
def server(tmp_path):
    """`mapro serve` with 2 workers on a free port, on the test database; stopped with SIGTERM."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAPRO_", "DATABASE_URL", "DJANGO_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "mapro.settings", "MAPRO_VAR_DIR": str(tmp_path),
                "DATABASE_URL": _database_url()})
    log = open(tmp_path / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mapro.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
         "--timeout", str(SILENCE_TIMEOUT_S)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        assert process.poll() is None, (tmp_path / "server.log").read_text()
        try:
            if _get(port)[0] == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "mapro serve did not answer within 20 s"
        time.sleep(0.2)
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def _half_sent(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /ingresar/ HTT")   # half a request line, and then nothing
    return s


def test_idle_connections_do_not_stop_the_service(server):
    process, port = server
    idle = [_half_sent(port) for _ in range(IDLE_CONNECTIONS)]
    try:
        for _ in range(5):
            status, elapsed = _get(port, timeout=2.0)
            assert status == 200 and elapsed < 2.0, (status, elapsed)
        # Still serving: more idle ones may come and the page still answers.
        idle += [_half_sent(port) for _ in range(50)]
        assert _get(port, timeout=2.0)[0] == 200
    finally:
        for s in idle:
            s.close()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0


def test_a_silent_connection_is_closed_and_sigterm_stops_the_server(server):
    process, port = server
    quiet = _half_sent(port)
    quiet.settimeout(SILENCE_TIMEOUT_S + 10)
    started = time.monotonic()
    try:
        assert quiet.recv(1024) == b""   # the server hung up on it
    finally:
        quiet.close()
    assert time.monotonic() - started < SILENCE_TIMEOUT_S + 8
    assert _get(port)[0] == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
