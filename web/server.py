"""The production server behind `mapro serve`: gunicorn's master, waitress in each worker.

Why this pair (issue 11, "the server under load"):

- **Both cores, and a process that survives its workers.** gunicorn's master (the arbiter) forks
  `--workers` processes sharing one listening socket, restarts one that dies, and on SIGTERM stops
  them gracefully: each stops accepting, finishes the requests it holds (up to
  `--graceful-timeout` seconds) and exits. A single waitress process used one core (the GIL).
- **Idle and slow clients cost a socket, never a thread.** gunicorn's own sync and gthread workers
  hand a connection to a thread as soon as its first bytes arrive; the thread then blocks reading
  the rest, so a hundred clients sending half a request line hold every thread (the slowloris
  attack). Here each worker runs waitress (`BufferedWorker`): its event loop reads requests
  asynchronously and hands a thread only a complete request, body included. A connection with
  nothing for `--timeout` seconds (30) is closed. Each worker keeps up to `--connections`
  (1,000) open connections, polled with poll(2), not select(2) (which stops at 1,024 descriptors);
  beyond that it stops accepting and new connections wait in the kernel's queue instead of failing.
  The old server refused the 101st connection: its default limit was 100.
- **Plain WSGI.** Django's sync views run in each worker's thread pool (`--threads`, 4) with
  persistent database connections per thread, as with waitress before. An ASGI server (uvicorn's
  worker, gunicorn's ASGI worker) also reads requests without tying a thread, but runs each sync
  request in a new thread with a new database connection (Django's connections are per thread),
  so it needs a connection pool and adds thread handoffs per request. Tried once with gunicorn's
  uvicorn worker and Django's ASGI application, untuned, under bench/load.py on a busy machine:
  41 completions/s, 50 answers 500 and 15.9 ms of server CPU per completion, against 87/s, no
  errors and 9.2 ms for this server in the same conditions.

`mapro serve` builds the configuration (`MaproServer`); tests/test_server_under_load.py holds
150 half-sent requests open and checks that a normal page still answers at once.
"""
from __future__ import annotations

import os
import resource
import time

from gunicorn.app.base import BaseApplication
from gunicorn.workers.base import Worker

DEFAULTS = {
    "threads": 4,             # per worker: requests served at once while others wait on the database
    "connections": 1000,      # open connections per worker (idle keep-alive and half-sent included)
    "timeout": 30,            # seconds a connection may stay silent before it is closed
    "graceful_timeout": 30,   # seconds the workers get to finish their requests after SIGTERM
}


def default_workers() -> int:
    """One worker per core: each has its own threads for the time requests spend waiting on the
    database, so more workers than cores only add memory and contention."""
    return max(2, os.cpu_count() or 1)


def _raise_open_files_limit(wanted: int) -> None:
    """Let a worker hold `wanted` connections: raise the soft limit of open files up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class BufferedWorker(Worker):
    """A gunicorn worker that serves its share of the listening socket with waitress."""

    def run(self):
        from waitress import wasyncore
        from waitress.server import create_server

        options = self.app.waitress_options
        _raise_open_files_limit(options["connection_limit"] + 64)
        channels = {}   # file descriptor -> dispatcher: the listening sockets, then each connection
        server = create_server(self.wsgi, sockets=[s.sock for s in self.sockets], map=channels, **options)
        listeners = [fd for fd, d in channels.items() if getattr(d, "accepting", False)]
        _Wakeup(self.PIPE[0], channels)   # a signal (SIGTERM...) ends the poll at once
        while self.alive:
            self.notify()
            wasyncore.loop(timeout=1.0, map=channels, use_poll=True, count=1)
            if self.ppid != os.getppid():   # the master is gone: do not serve on as an orphan
                self.log.info("Parent changed, shutting down: %s", self)
                break
        self._stop(server.task_dispatcher, channels, listeners, wasyncore)

    def _stop(self, dispatcher, channels, listeners, wasyncore):
        """Stop accepting, let the requests in hand finish and their answers leave, then close."""
        for fd in listeners:
            channels.pop(fd, None)
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while time.monotonic() < deadline:
            self.notify()
            busy = dispatcher.queue or dispatcher.active_count or any(
                c.requests or c.total_outbufs_len for c in list(channels.values()) if hasattr(c, "requests"))
            if not busy:
                break
            wasyncore.loop(timeout=0.1, map=channels, use_poll=True, count=1)
        dispatcher.shutdown(timeout=1)
        wasyncore.close_all(channels)
        for s in self.sockets:
            s.close()


class _Wakeup:
    """Reads the pipe gunicorn writes to when a signal arrives (signal.set_wakeup_fd), so the
    worker's poll returns and it sees `alive` turn false."""

    def __new__(cls, fd, channels):
        from waitress import wasyncore

        class Wakeup(wasyncore.file_dispatcher):
            def handle_read(self):
                try:
                    self.recv(512)
                except OSError:
                    pass

            def writable(self):
                return False

        return Wakeup(fd, map=channels)


class MaproServer(BaseApplication):
    """gunicorn configured in code (no configuration file), serving `application`."""

    def __init__(self, application, *, host: str, port: int, workers: int, threads: int, connections: int,
                 timeout: int, graceful_timeout: int, max_body_bytes: int):
        self.application = application
        self.options = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            "worker_class": "web.server.BufferedWorker",
            "graceful_timeout": graceful_timeout,
            # The master restarts a worker whose loop has not reported for this long. The loop
            # reports every second whatever its threads are doing, so only a hung worker trips it.
            "timeout": 60,
            "backlog": 2048,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "mapro",
        }
        self.waitress_options = {
            "threads": threads,
            "connection_limit": connections,
            "channel_timeout": timeout,
            "cleanup_interval": max(1, min(10, timeout // 2)),
            "asyncore_use_poll": True,
            "max_request_body_size": max_body_bytes,
            "ident": "mapro",
        }
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn 24+ opens a control socket under ~/.gunicorn, the same for every instance.
            self.cfg.set("control_socket_disable", True)

    def load(self):
        return self.application
