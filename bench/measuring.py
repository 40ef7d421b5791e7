"""Serving under gunicorn and measuring with wrk, for bench/directory.py.

Ports: BENCH_PORTS=8600-8699 makes every server here listen on the first free port of that
range (on a shared machine, each person their own range); unset, the system picks one.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "paths.lua"
CONNECTIONS, THREADS = 16, 2
NOISE_CPUS = 0.2   # "Other CPU" above this makes a run untrustworthy


def log(message):
    print(message, flush=True)


def port_range(text):
    """'8600-8699' -> range(8600, 8700); '' -> None (any free port)."""
    if not text:
        return None
    low, _, high = text.partition("-")
    try:
        low, high = int(low), int(high or low)
    except ValueError:
        raise SystemExit(f"BENCH_PORTS={text!r}: expected a range such as 8600-8699")
    if not 0 < low <= high < 65536:
        raise SystemExit(f"BENCH_PORTS={text!r}: expected a range such as 8600-8699")
    return range(low, high + 1)


def free_port():
    ports = port_range(os.environ.get("BENCH_PORTS", "").strip())
    for port in ports or [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise SystemExit(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


def fetch(url, timeout=30):
    """(status, body bytes); non-2xx answers are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def start_gunicorn(env, app, log_path, probe, pythonpath=None):
    """gunicorn with the repository's gunicorn.conf.py and 2 workers; (process, base URL)."""
    port = free_port()
    env = dict(env, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2")
    out = open(log_path, "w")
    # No control socket: its default path is shared by every gunicorn on the machine.
    cmd = [str(BIN / "gunicorn"), "--no-control-socket"]
    if pythonpath:
        cmd += ["--pythonpath", pythonpath]
    proc = subprocess.Popen(cmd + [app], cwd=ROOT, env=env, stdout=out, stderr=out,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode}); see {log_path}")
        try:
            if fetch(base + probe, timeout=2)[0] == 200:
                return proc, base
        except OSError:
            pass
        time.sleep(0.2)
    stop_gunicorn(proc)
    raise SystemExit(f"gunicorn did not answer {probe} within 60 s; see {log_path}")


def stop_gunicorn(proc):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def cpu_ticks():
    """{pid: (process group, name, CPU ticks used so far)} for every process."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        rest = text[text.rindex(")") + 2:].split()
        name = text[text.index("(") + 1:text.rindex(")")]
        found[int(stat.parent.name)] = (int(rest[2]), name, int(rest[11]) + int(rest[12]))
    return found


def other_cpus(before, after, seconds, ours):
    """CPUs kept busy meanwhile by anything but gunicorn, wrk and PostgreSQL: noise."""
    ticks = 0
    for pid, (group, name, used) in after.items():
        if group not in ours and name != "postgres" and pid != os.getpid():
            ticks += used - before.get(pid, (0, "", 0))[2]
    return ticks / os.sysconf("SC_CLK_TCK") / seconds


def wait_until_quiet(server, patience):
    """Give other work on the machine up to `patience` seconds to finish."""
    started = time.monotonic()
    while True:
        before = cpu_ticks()
        time.sleep(1)
        busy = other_cpus(before, cpu_ticks(), 1, {server.pid})
        waited = time.monotonic() - started
        if busy <= NOISE_CPUS or waited > patience:
            if waited > 2:
                log(f"  (waited {waited:.0f} s for other processes; now {busy:.1f} CPU)")
            return
        time.sleep(2)


def wrk(base, paths_file, seconds, server, raw_file=None):
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
           "--timeout", "10s", "-s", str(LUA), base, "--", str(paths_file)]
    before, started = cpu_ticks(), time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate()
    except BaseException:  # e.g. Ctrl-C: wrk has its own session and would go on
        proc.kill()
        raise
    others = other_cpus(before, cpu_ticks(), time.monotonic() - started, {server.pid, proc.pid})
    if raw_file:
        raw_file.write_text(f"$ {' '.join(cmd)}\n{stdout}{stderr}")
    line = next((ln for ln in stdout.splitlines() if ln.startswith("BENCH-RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({proc.returncode}):\n{stdout}\n{stderr}")
    result = json.loads(line.split(" ", 1)[1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["other_cpus"] = others
    return result
