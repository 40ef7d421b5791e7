"""`make run`'s web server (flask run, development) writes one log line per request."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLASK = str(Path(sys.executable).parent / "flask")


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
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
