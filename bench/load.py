"""Measure 5 of `make bench`: the production server under load, through the API, on PostgreSQL.

    python -m bench.load [--clients 16] [--duration 30] [--workers N] [--keep]

1. a fresh PostgreSQL database (mapro_bench_http): migrated, the organization loaded, one staff
   user per role (username = role slug) and 16 requesters (personal-mindef), each with a token;
2. `mapro serve` started as in production on a free port of 127.0.0.1 (its own processes);
3. bench.loadgen, a separate process: 16 clients, each starting S04.03.04.02 cases as its
   requester and completing every task through the API (8 completions a case: 2 «Sí», 4, 5 «No»,
   7 «No», 9 «Sí», 13, 14, 15), for 30 s after a 3 s warm-up;
4. afterwards, every completion answered 2xx is looked for in the database (the task completed,
   its «Actividad atendida» event written): rows found;
5. CPU seconds spent meanwhile by the server's processes, the load generator, the PostgreSQL
   backends of the bench database and the whole machine (other work included), and per completion;
6. the server is stopped with SIGTERM, as a service manager would, and must exit cleanly.

Run by bench.run (part "http"); alone it prints the result. Nothing here imports Django: the setup
runs in a subprocess (`python -m bench.load --setup PLAN`), with DATABASE_URL set for it.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .common import BASE_DIR, JSON_MARKER, emit_json, log

PG_HOST, PG_PORT, PG_USER, PG_DB = "127.0.0.1", 5432, "root", "mapro_bench_http"
PG_ADMIN_DBS = ("postgres", "test")
PROCEDURE = "S04.03.04.02"
ANSWERS = {"2": "Sí", "5": "No", "7": "No", "9": "Sí"}
REQUESTERS = 16
COMPLETIONS_TARGET_PER_S = 200.0
P95_TARGET_MS = 100.0
WARMUP_S = 3.0
TICK = os.sysconf("SC_CLK_TCK")


# --- the database ----------------------------------------------------------------------------------
def _admin():
    import psycopg

    last = None
    for db in PG_ADMIN_DBS:
        try:
            return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=db, connect_timeout=3,
                                   autocommit=True)
        except Exception as exc:   # unreachable, missing database...
            last = exc
    raise RuntimeError(f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable ({last})")


def recreate_database() -> str:
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}"


def drop_database() -> None:
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def setup(plan_file: str) -> None:
    """(In a Django subprocess.) Users, tokens and the first activity's data, written to plan_file."""
    from .django_setup import setup as django_setup, staff_users

    django_setup()
    from api.models import ApiToken
    from cases import procedures
    from django.contrib.auth import get_user_model
    from engine.forms import json_schema
    from org.models import Person, Role, Unit

    from .loadgen import fill

    staff = staff_users()
    everyone = Role.objects.get(slug=procedures.organization().everyone_role)
    unit = Unit.objects.get(slug="uo")
    requesters = []
    for i in range(1, REQUESTERS + 1):
        user = get_user_model().objects.create(username=f"solicitante-{i:02d}", first_name="Solicitante",
                                               last_name=f"{i:02d}")
        Person.objects.create(user=user, unit=unit)
        everyone.members.add(user)
        requesters.append({"username": user.username, "token": ApiToken.issue(user)})
    sheet = procedures.sheet(PROCEDURE)
    first = sheet.activity(sheet.entry_points[0][2])
    plan = {
        "procedure": PROCEDURE, "answers": ANSWERS, "requesters": requesters,
        "first_data": fill(json_schema(first.form)),
        "tokens": {username: ApiToken.issue(user) for username, user in staff.items()},
    }
    Path(plan_file).write_text(json.dumps(plan), encoding="utf-8")


def rows_found(database_url: str, task_ids: list[int]) -> dict:
    """Of the tasks whose completion was answered 2xx: how many are completed, with their event."""
    import psycopg

    ids = sorted(set(task_ids))
    with psycopg.connect(database_url, autocommit=True) as conn:
        completed = conn.execute("SELECT count(*) FROM cases_task WHERE id = ANY(%s) AND status = 'completed'",
                                 [ids]).fetchone()[0]
        events = conn.execute("SELECT count(DISTINCT task_id) FROM cases_event WHERE kind = 'completed' "
                              "AND task_id = ANY(%s)", [ids]).fetchone()[0]
        cases = conn.execute("SELECT count(*), count(*) FILTER (WHERE status = 'completed') FROM cases_case").fetchone()
    return {"answered_2xx": len(task_ids), "distinct_tasks": len(ids), "tasks_completed": completed,
            "completion_events": events, "cases_in_db": cases[0], "cases_completed_in_db": cases[1],
            "all_found": completed == events == len(ids) == len(task_ids)}


# --- CPU accounting --------------------------------------------------------------------------------
def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _tree(pid: int) -> list[int]:
    pids, i = [pid], 0
    while i < len(pids):
        pids.extend(_children(pids[i]))
        i += 1
    return pids


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all CPUs, /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / TICK


def _backends(database_url: str) -> list[int]:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                                           "pg_backend_pid()", [PG_DB]).fetchall()]


class CpuMeter:
    """CPU used by the server's process tree, the PostgreSQL backends of the bench database and the
    machine, between start() and stop()."""

    def __init__(self, server_pid: int, database_url: str):
        self.server_pid, self.database_url = server_pid, database_url

    def _read(self):
        server = {p: _proc_cpu(p) for p in _tree(self.server_pid)}
        backends = {p: _proc_cpu(p) for p in _backends(self.database_url)}
        return server, backends, _machine_busy()

    def start(self):
        self.before = self._read()

    def stop(self) -> dict:
        server, backends, machine = self._read()
        s0, b0, m0 = self.before
        # A process that appeared meanwhile counts from zero.
        return {
            "server_s": round(sum(v - s0.get(p, 0.0) for p, v in server.items()), 2),
            "server_processes": len(server),
            "postgresql_backends_s": round(sum(v - b0.get(p, 0.0) for p, v in backends.items()), 2),
            "postgresql_backends": len(backends),
            "machine_busy_s": round(machine - m0, 2),
        }


# --- the server ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database_url: str, port: int, workers: int | None, log_file) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="mapro.settings")
    env.pop("MAPRO_DEMO", None)
    # `python -m mapro.cli` is `mapro`, with this checkout first on the path.
    args = [sys.executable, "-m", "mapro.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        args += ["--workers", str(workers)]
    return subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT)


def wait_ready(port: int, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"mapro serve exited with {server.returncode} before answering")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"mapro serve did not answer within {timeout:.0f} s")


def stop_server(server: subprocess.Popen, timeout: float = 30.0) -> dict:
    t0 = time.perf_counter()
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        code = server.wait()
        return {"exit_code": code, "stopped_in_s": None, "clean": False}
    return {"exit_code": code, "stopped_in_s": round(time.perf_counter() - t0, 2), "clean": code == 0}


def generate(port: int, plan_file: str, clients: int, duration: float) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.loadgen", "--url", f"http://127.0.0.1:{port}",
                           "--plan", plan_file, "--clients", str(clients), "--duration", str(duration)],
                          cwd=BASE_DIR, stdout=subprocess.PIPE, text=True, timeout=duration + 300)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("LOADGEN-JSON:"):
            return json.loads(line[len("LOADGEN-JSON:"):])
    raise RuntimeError(f"bench.loadgen failed (exit {done.returncode})")


def measure(clients: int = 16, duration: float = 30.0, workers: int | None = None, keep: bool = False) -> dict:
    database_url = recreate_database()
    workdir = Path(tempfile.mkdtemp(prefix="mapro-bench-load-"))
    plan_file = str(workdir / "plan.json")
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="mapro.settings")
    env.pop("MAPRO_DEMO", None)
    log("bench: 5. HTTP load: setting up users and tokens")
    subprocess.run([sys.executable, "-m", "bench.load", "--setup", plan_file], cwd=BASE_DIR, env=env, check=True,
                   timeout=300)
    port = free_port()
    server_log = open(workdir / "server.log", "w")
    server = start_server(database_url, port, workers, server_log)
    try:
        wait_ready(port, server)
        log(f"bench: 5. HTTP load: mapro serve on 127.0.0.1:{port} (pid {server.pid}); warm-up {WARMUP_S:g} s")
        generate(port, plan_file, clients, WARMUP_S)
        meter = CpuMeter(server.pid, database_url)
        meter.start()
        log(f"bench: 5. HTTP load: {clients} clients for {duration:g} s")
        result = generate(port, plan_file, clients, duration)
        cpu = meter.stop()
        stopped = stop_server(server)
    finally:
        if server.poll() is None:
            server.kill()
        server_log.close()
    task_ids = result.pop("completed_task_ids")
    result["rows"] = rows_found(database_url, task_ids)
    cpu["generator_s"] = result.pop("generator_cpu_s")
    result.pop("generator_pid", None)
    n = max(result["completions_2xx"], 1)
    cpu["per_completion_ms"] = {k[:-2]: round(v * 1000 / n, 2) for k, v in cpu.items()
                                if k.endswith("_s") and k != "per_completion_ms"}
    cpu["note"] = ("per_completion_ms spreads all CPU over the completions, the case starts (one per 8 "
                   "completions) included; machine_busy counts every process, other work on the machine too")
    result.update({
        "cpu": cpu, "server": {"workers": workers or "default", "stop": stopped},
        "loadavg_after": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
        "targets": {"completions_per_s_min": COMPLETIONS_TARGET_PER_S, "p95_ms_max": P95_TARGET_MS},
    })
    latency = result["completion_latency"]
    result["meets_target"] = (result["completions_per_s"] >= COMPLETIONS_TARGET_PER_S
                              and latency.get("p95_ms", float("inf")) <= P95_TARGET_MS)
    server_log_text = (workdir / "server.log").read_text(errors="replace")
    result["server_log_tail"] = server_log_text.splitlines()[-5:]
    if not keep:
        drop_database()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", metavar="PLAN", help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=None, help="mapro serve --workers (default: its own)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    if args.setup:
        setup(args.setup)
        return
    result = measure(args.clients, args.duration, args.workers, args.keep)
    if args.json:
        emit_json({"results": result})
    else:
        print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
