"""How /healthz fares while N clients send their requests slowly: sync workers against gevent.

Run from the repository root:

    .venv/bin/python bench/slow_clients.py                          # N = 2, 20, 200; sync, gevent
    .venv/bin/python bench/slow_clients.py --counts 2,20 --duration 5 --kinds body
    .venv/bin/python bench/slow_clients.py --database-url postgresql://postgres@127.0.0.1/NAME

For each worker class (--worker-classes: `sync` is gunicorn's default and
this app's before gevent; `gevent` is gunicorn.conf.py's), each kind of
slowness and each N, it starts gunicorn as production would (the
repository's gunicorn.conf.py, WEB_CONCURRENCY=2, production settings), on a
free port, then:

1. opens N slow connections and keeps N open (one closed by the server is
   opened again, and counted): `body` sends a POST's headers, then its body
   one byte every --interval seconds; `headers` sends a request's headers one
   byte every --interval seconds;
2. meanwhile GETs /healthz, one request after another on a new connection
   each (as a load balancer does), for --duration seconds, each allowed
   --timeout seconds;
3. stops both, and gunicorn.

It prints one row per run: checks made, the share answered 200, and the
median and p99 latency of all checks (a failed check counts as the time it
took to fail). The table also goes to bench/results/slow_clients.md.

The database (--database-url, SQLite in a temporary directory by default) is
migrated once; /healthz runs a SELECT 1 on it. It is a benchmark, not a test:
it never fails a build.
"""
import argparse
import http.client
import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measuring import free_port  # noqa: E402  (BENCH_PORTS)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"


def log(message):
    print(message, flush=True)


def production_env(database_url):
    env = dict(os.environ, SECRET_KEY="bench-slow-clients", DATABASE_URL=database_url,
               ALMA_LOG_REQUESTS="0", WEB_CONCURRENCY="2")
    env.pop("ALMA_ENV", None)  # production
    # Production counts limits in Redis (REDIS_URL, if set here, measures that too).
    env.setdefault("ALMA_RATELIMIT", "1" if env.get("REDIS_URL") else "0")
    if database_url.startswith("sqlite"):
        env["ALMA_ALLOW_SQLITE"] = "1"
    return env


def migrate(env):
    done = subprocess.run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"flask db upgrade failed:\n{done.stderr}")


def healthz(port, timeout):
    """(ok, seconds) for one GET /healthz on a new connection."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        ok = connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        ok = False
    finally:
        connection.close()
    return ok, time.perf_counter() - started


class Gunicorn:
    def __init__(self, env, worker_class, log_path):
        self.port = free_port()
        env = dict(env, BIND=f"127.0.0.1:{self.port}", BASE_URL=f"http://127.0.0.1:{self.port}")
        self.out = open(log_path, "w")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-k", worker_class, "app:app"], cwd=ROOT, env=env,
            stdout=self.out, stderr=self.out, start_new_session=True)
        deadline = time.monotonic() + 120
        while not healthz(self.port, 2)[0]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"gunicorn did not start; see {log_path}")
            time.sleep(0.2)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.out.close()


class SlowClients(threading.Thread):
    """N connections that each send one byte every `interval` seconds, reopened when closed."""

    def __init__(self, port, count, kind, interval):
        super().__init__(daemon=True)
        self.port, self.count, self.kind, self.interval = port, count, kind, interval
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.reopened = 0

    def opening(self):
        host = f"Host: 127.0.0.1:{self.port}\r\n"
        if self.kind == "body":
            return (f"POST /sign-in HTTP/1.1\r\n{host}Content-Length: 100000\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n\r\n").encode()
        return f"GET /healthz HTTP/1.1\r\n{host}".encode()

    def open(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(self.opening())
        sock.setblocking(False)
        return sock

    def run(self):
        sockets = [self.open() for _ in range(self.count)]
        self.ready.set()
        # Header lines that never end the headers, or body bytes that never end the body.
        trickle = b"X-Slow: a\r\n" if self.kind == "headers" else b"a"
        sent = 0
        try:
            while not self.stopping.wait(self.interval):
                byte = trickle[sent % len(trickle):][:1]
                sent += 1
                for index, sock in enumerate(sockets):
                    try:
                        if self._closed_by_server(sock):
                            raise ConnectionError("the server let go")
                        sock.send(byte)
                    except BlockingIOError:
                        pass  # its buffer is full: still held
                    except OSError:
                        sock.close()
                        sockets[index] = self.open()
                        self.reopened += 1
        finally:
            for sock in sockets:
                sock.close()

    @staticmethod
    def _closed_by_server(sock):
        # Anything to read means the server answered (408, 400) or closed: it let go.
        return bool(select.select([sock], [], [], 0)[0])


def run_one(env, worker_class, kind, count, args):
    server = Gunicorn(env, worker_class, RESULTS / f"gunicorn-slow-{worker_class}.log")
    try:
        for _ in range(5):
            healthz(server.port, args.timeout)  # warm up every worker
        slow = SlowClients(server.port, count, kind, args.interval)
        slow.start()
        slow.ready.wait(60)
        time.sleep(1)  # every slow connection has reached a worker, or waits in the backlog
        checks = []
        until = time.monotonic() + args.duration
        while time.monotonic() < until:
            checks.append(healthz(server.port, args.timeout))
        slow.stopping.set()
        slow.join(30)
    finally:
        server.stop()
    seconds = sorted(s for _, s in checks)
    ok = sum(1 for good, _ in checks if good)
    p99 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))]
    return {"worker": worker_class, "kind": kind, "n": count, "checks": len(checks),
            "ok": ok / len(checks), "p50": statistics.median(seconds) * 1000, "p99": p99 * 1000,
            "reopened": slow.reopened}


def table(rows, args):
    lines = [f"/healthz while N slow clients send one byte every {args.interval:g} s; "
             f"{args.duration:g} s of checks each, {args.timeout:g} s allowed per check; "
             f"gunicorn.conf.py, 2 workers; {os.cpu_count()} CPUs.", "",
             "| worker | slow part | N | checks | answered 200 | p50 ms | p99 ms "
             "| slow connections closed by the server |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['worker']} | {r['kind']} | {r['n']} | {r['checks']} | "
                     f"{r['ok']:.0%} | {r['p50']:.1f} | {r['p99']:.1f} | {r['reopened']} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="2,20,200", help="numbers of slow connections")
    parser.add_argument("--kinds", default="body,headers", help="body, headers or both")
    parser.add_argument("--worker-classes", default="sync,gevent")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of checks per run")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between slow bytes")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds allowed per check")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = production_env(args.database_url or f"sqlite:///{tmp}/alma.db")
        migrate(env)
        rows = []
        for worker_class in args.worker_classes.split(","):
            for kind in args.kinds.split(","):
                for count in (int(n) for n in args.counts.split(",")):
                    row = run_one(env, worker_class, kind, count, args)
                    log(f"{worker_class:6} {kind:7} N={count:<4} {row['ok']:6.0%} answered, "
                        f"p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms")
                    rows.append(row)
    report = table(rows, args)
    log("\n" + report)
    (RESULTS / "slow_clients.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
