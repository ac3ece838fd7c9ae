"""The HTTP load generator of `make bench` (measure 5): a separate process, no Django.

    python -m bench.loadgen --url http://127.0.0.1:PORT --plan plan.json --clients 16 --duration 30

Each client is a thread with one keep-alive connection. It starts a case as its requester
(`POST /api/cases` with the first activity's data) and completes every task the answers open
(`POST /api/tasks/{id}/complete`, as the user of the task's role), answering decisions as the
plan says, then starts the next case, until the time is up. Requests in flight at the deadline
are finished and counted. Writes one JSON line: requests sent, answers by status, latencies, and
the ids of the tasks whose completion was answered 2xx (the bench then looks for them in the
database).

The client speaks just enough HTTP/1.1 (Content-Length bodies, keep-alive) to cost the machine
little: http.client parses headers with the email package, several times slower.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import socket
import statistics
import sys
import threading
import time


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = None
        self.buffer = b""

    def _connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, bytes]:
        if self.sock is None:
            self._connect()
        payload = json.dumps(body).encode() if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode()
        try:
            self.sock.sendall(head + payload)
            return self._response()
        except Exception:
            self.close()
            raise

    def _read_more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def _response(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._read_more()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
            elif name == b"transfer-encoding":
                raise ConnectionError("chunked answers are not expected from the API")
        self.buffer = rest
        while len(self.buffer) < length:
            self._read_more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if close:
            self.close()
        return status, body


def fill(form: dict) -> dict:
    """Valid data for a task's JSON-Schema form (as tests/api_client.fill, without files)."""
    data = {}
    for key, prop in form["properties"].items():
        fmt, kind = prop.get("format"), prop.get("type")
        if fmt in ("username", "attachment-id"):
            continue
        if "enum" in prop:
            data[key] = prop["enum"][0]
        elif kind == "array":
            data[key] = prop["items"]["enum"][:1]
        elif kind == "boolean":
            data[key] = True
        elif kind in ("integer", "number"):
            value = 3 if kind == "integer" else 2.5
            data[key] = min(max(value, prop.get("minimum", value)), prop.get("maximum", value))
        elif fmt == "date":
            data[key] = "2026-11-27"
        elif fmt == "date-time":
            data[key] = "2026-11-27T10:30"
        elif fmt == "email":
            data[key] = "usuario@mindef.gob.pe"
        elif fmt == "uri":
            data[key] = "https://www.gob.pe/mindef"
        elif fmt == "ipv4":
            data[key] = "10.10.1.20"
        elif fmt == "phone":
            data[key] = "987654321"
        elif fmt == "extension":
            data[key] = "4321"
        elif prop.get("pattern") == r"^\d{8}$":
            data[key] = "45678912"
        elif prop.get("pattern", "").startswith(r"^\d{1,5}"):
            data[key] = "443, 8080"
        else:
            data[key] = "Texto de prueba"[:prop.get("maxLength", 15)]
    return data


class Run:
    def __init__(self, url: str, plan: dict, deadline: float):
        host, _, port = url.split("//", 1)[1].rstrip("/").partition(":")
        self.host, self.port = host, int(port or 80)
        self.plan, self.deadline = plan, deadline
        self.lock = threading.Lock()
        self.sent = 0
        self.statuses: dict[str, int] = {}
        self.errors: list[str] = []
        self.latency = {"start": [], "complete": []}
        self.completed_task_ids: list[int] = []
        self.cases_started = 0
        self.forms: dict = {}

    def _record(self, kind, status, elapsed, task_id=None):
        with self.lock:
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
            if 200 <= status < 300:
                self.latency[kind].append(elapsed)
                if kind == "complete":
                    self.completed_task_ids.append(task_id)
                else:
                    self.cases_started += 1

    def _call(self, client, kind, method, path, token, body, task_id=None):
        with self.lock:
            self.sent += 1
        t0 = time.perf_counter()
        try:
            status, raw = client.request(method, path, token, body)
        except Exception as exc:   # refused, reset, timed out: counted, never retried blindly
            with self.lock:
                self.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - t0
        self._record(kind, status, elapsed, task_id)
        if not 200 <= status < 300:
            with self.lock:
                if len(self.errors) < 50:
                    self.errors.append(f"{kind} {path}: {status} {raw[:200].decode(errors='replace')}")
            return None
        return json.loads(raw)

    def client(self, index: int):
        plan = self.plan
        requester = plan["requesters"][index % len(plan["requesters"])]
        client = Client(self.host, self.port)
        try:
            while time.perf_counter() < self.deadline:
                case = self._call(client, "start", "POST", "/api/cases", requester["token"],
                                  {"procedure": plan["procedure"], "data": plan["first_data"]})
                if case is None:
                    continue
                while case is not None and case["open_tasks"] and time.perf_counter() < self.deadline:
                    task = case["open_tasks"][0]
                    who = task["assignee"] or task["role"]
                    token = requester["token"] if who == requester["username"] else plan["tokens"][who]
                    body = {"data": fill(task["form"])}
                    if task["decisions"]:
                        body["decision"] = plan["answers"].get(str(task["activity"]), task["decisions"][0])
                    case = self._call(client, "complete", "POST", f"/api/tasks/{task['id']}/complete", token, body,
                                      task_id=task["id"])
        finally:
            client.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else float("nan")


def summary(values: list[float]) -> dict:
    ms = [v * 1000 for v in values]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 0.95), 2),
            "p99_ms": round(percentile(ms, 0.99), 2), "max_ms": round(max(ms), 2), "mean_ms": round(statistics.fmean(ms), 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--plan", required=True, help="JSON file: procedure, first_data, answers, requesters, tokens")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    with open(args.plan, encoding="utf-8") as f:
        plan = json.load(f)
    started = time.perf_counter()
    run = Run(args.url, plan, started + args.duration)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    threads = [threading.Thread(target=run.client, args=(i,), daemon=True) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.duration + 120)
    elapsed = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    ok = sum(n for s, n in run.statuses.items() if s.startswith("2"))
    result = {
        "clients": args.clients, "duration_s": round(elapsed, 2), "requests_sent": run.sent,
        "responses": dict(sorted(run.statuses.items())), "responses_2xx": ok,
        "errors": len([e for e in run.errors]), "error_samples": run.errors[:10],
        "cases_started": run.cases_started, "completions_2xx": len(run.completed_task_ids),
        "completions_per_s": round(len(run.completed_task_ids) / elapsed, 1),
        "requests_per_s": round(ok / elapsed, 1),
        "completion_latency": summary(run.latency["complete"]),
        "start_latency": summary(run.latency["start"]),
        "generator_cpu_s": round(cpu, 2), "generator_pid": os.getpid(),
        "completed_task_ids": run.completed_task_ids,
    }
    print("LOADGEN-JSON:" + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
