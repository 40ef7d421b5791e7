"""`make run`: its web server (flask run, development) writes one log line per request, and
Ctrl-C stops it all."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLASK = str(Path(sys.executable).parent / "flask")


def hears_ctrl_c():
    """In the child, before exec: Ctrl-C as a terminal's default, even when this suite was
    started as a background job that ignores it (the shell's rule for `cmd &` without job
    control), which the child would inherit and then never stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_development_logs_each_request_once(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "ALMA_LOG_REQUESTS"}
    env.update(ALMA_ENV="development", SECRET_KEY="dev-server-test",
               DATABASE_URL=f"sqlite:///{tmp_path}/dev.db")
    server = subprocess.Popen([FLASK, "--app", "app", "run", "--host", "127.0.0.1",
                               "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              preexec_fn=hears_ctrl_c)
    try:
        for _ in range(600):  # until it listens; the limit only guards against a hang
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz-probe", timeout=5)
            except urllib.error.HTTPError:
                break  # it answered (404)
            except OSError:
                time.sleep(0.1)
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30)
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    lines = [line for line in output.splitlines() if "/healthz" in line and "probe" not in line]
    assert len(lines) == 1, output


def test_make_run_stops_cleanly_on_ctrl_c(tmp_path):
    """Ctrl-C at a terminal signals make, its shell, the server and the worker at once
    (a `trap 'kill 0'` in the recipe recursed until "Segmentation fault" under dash)."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "ALMA_ENV"}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/run.db", PORT=str(port),
               DEMO_PROVIDERS="100", MAKEFLAGS="")
    # -o: the recipe under test, not the installation the suite already has.
    run = subprocess.Popen(["make", "--no-print-directory", "-o", ".venv/.runtime", "run"],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True,
                           preexec_fn=hears_ctrl_c)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(run.stdout), daemon=True)
    reader.start()
    try:
        for _ in range(1200):  # until both serve; the limit only guards against a hang
            worker_up = any(line.startswith("worker: ") for line in lines)
            if run.poll() is not None or (worker_up and _answers(port)):
                break
            time.sleep(0.1)
        assert run.poll() is None, "".join(lines)
        os.killpg(run.pid, signal.SIGINT)
        run.wait(timeout=60)
        reader.join(timeout=10)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    output = "".join(lines)
    assert "Segmentation fault" not in output, output
    assert "worker: stopped" in output, output
    with pytest.raises(ProcessLookupError):  # nothing of it is left running
        os.killpg(run.pid, 0)


def _answers(port):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
    except OSError:
        return False
    return True
