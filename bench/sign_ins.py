"""Sign-in limits and timing, measured on real gunicorn (gunicorn.conf.py: 2 workers).

    .venv/bin/python bench/sign_ins.py --storage redis://127.0.0.1:6379/3   # this checkout
    .venv/bin/python bench/sign_ins.py --ref main --storage memory://      # another commit

It serves the code of this checkout, or of --ref (exported with `git archive` into a
temporary directory; the repository is only read), with production settings, from a
fresh SQLite database (ALMA_ALLOW_SQLITE=1) holding a few accounts with passwords. Then:

1. Limits: wrong passwords for one account to POST /sign-in, each with a fresh session
   and a valid CSRF token, until the first 429. It prints how many were answered before
   it (the limit says 10 a minute from one address). The client's address is a random
   X-Forwarded-For (one proxy hop), so runs never share counters; the keys it made in
   Redis are deleted at the end.
2. Timing (limits off: ALMA_RATELIMIT=0): wrong passwords, interleaved, for existing
   accounts (never more than 9 in a row each, so none pauses), for unknown addresses,
   and, where the code pauses accounts, for a paused one. It prints the mean and median
   time of the POST.

If gunicorn refuses to start (production without a shared store), it prints why.
"""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import http_client  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measuring import free_port  # noqa: E402  (BENCH_PORTS)

BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery staple"
SEED = """
from alma.factory import create_app
from alma.accounts import passwords
from alma.accounts.models import User
app = create_app()
with app.app_context():
    hashed = passwords.hash_password({password!r})
    for n in range({count}):
        User.create(email=f"member{{n}}@example.com", name=f"Member {{n}}", password_hash=hashed)
"""


def export(ref, into):
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


class Browser(http_client.Browser):
    def timed_wrong_password(self, email):
        """(status, seconds the POST took)"""
        token = self.sign_in_token()
        started = time.perf_counter()
        status = self.wrong_password(email, token)
        return status, time.perf_counter() - started


class Server:
    def __init__(self, source, env):
        self.port = free_port()
        self.env = dict(env, BIND=f"127.0.0.1:{self.port}",
                        BASE_URL=f"http://127.0.0.1:{self.port}")
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "app:app"], cwd=source,
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self):
        """True when /healthz answers; False if gunicorn exited (it says why in its log)."""
        for _ in range(1200):
            if self.process.poll() is not None:
                return False
            try:
                if Browser(self.port, "10.0.0.1").request("GET", "/healthz")[0] == 200:
                    return True
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer in 2 minutes")

    def refusal(self):
        self.log.seek(0)
        lines = [line for line in self.log.read().splitlines() if "Refusing" in line]
        return lines[-1] if lines else "exited"

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        self.log.close()


def count_before_429(port, address, email, cap):
    answered, started = 0, time.perf_counter()
    for _ in range(cap):
        status = Browser(port, address).wrong_password(email)
        if status == 429:
            break
        assert status == 422, f"unexpected {status}"
        answered += 1
    return answered, time.perf_counter() - started


def summary(samples):
    return {"n": len(samples), "mean_ms": round(statistics.mean(samples) * 1000, 1),
            "median_ms": round(statistics.median(samples) * 1000, 1),
            "stdev_ms": round(statistics.stdev(samples) * 1000, 1) if len(samples) > 1 else 0}


def timing(port, rounds, accounts):
    address = f"10.1.{random.randrange(256)}.{random.randrange(256)}"
    existing, unknown, paused = [], [], []
    for n in range(rounds):
        member = f"member{n % accounts}@example.com"
        existing.append(Browser(port, address).timed_wrong_password(member)[1])
        stranger = f"{uuid.uuid4().hex}@example.com"
        unknown.append(Browser(port, address).timed_wrong_password(stranger)[1])
    target = f"member{accounts}@example.com"  # one more account, paused if the code pauses
    for _ in range(10):
        Browser(port, address).wrong_password(target)
    for _ in range(rounds):
        paused.append(Browser(port, address).timed_wrong_password(target)[1])
    return {"existing": summary(existing), "unknown": summary(unknown),
            "after 10 failures": summary(paused)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="memory://",
                        help="RATELIMIT_STORAGE_URI for the limits run (default memory://)")
    parser.add_argument("--ref", default=None, help="serve this commit instead of the checkout")
    parser.add_argument("--rounds", type=int, default=27, help="timing samples of each kind")
    parser.add_argument("--cap", type=int, default=60, help="most tries in the limits run")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        source = ROOT
        if options.ref:
            source = Path(tmp) / "src"
            source.mkdir()
            export(options.ref, source)
        accounts = -(-options.rounds // 9)
        base = {**os.environ, "ALMA_ENV": "production", "SECRET_KEY": "bench-limits",
                "DATABASE_URL": f"sqlite:///{tmp}/alma.db", "ALMA_ALLOW_SQLITE": "1",
                "ALMA_PROXY_HOPS": "1",
                "ALMA_LOG_REQUESTS": "0", "WEB_CONCURRENCY": "2", "PYTHONDONTWRITEBYTECODE": "1"}
        for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "ALMA_RATELIMIT"):
            base.pop(name, None)
        setup = {**base, "ALMA_RATELIMIT": "0"}  # these commands serve nothing
        subprocess.run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], cwd=source,
                       env=setup, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([str(BIN / "python"), "-c",
                        SEED.format(password=PASSWORD, count=accounts + 1)],
                       cwd=source, env=setup, check=True)
        label = options.ref or "this checkout"
        result = {"code": label, "storage": options.storage}

        address = f"10.2.{random.randrange(256)}.{random.randrange(256)}"
        server = Server(source, {**base, "RATELIMIT_STORAGE_URI": options.storage})
        try:
            if server.wait():
                answered, seconds = count_before_429(server.port, address,
                                                     "member0@example.com", options.cap)
                result["answered_before_429"] = answered
                result["limits_run_seconds"] = round(seconds, 1)
            else:
                result["refused"] = server.refusal()
        finally:
            server.stop()
            if options.storage.startswith("redis"):
                store = redis.Redis.from_url(options.storage)
                for pattern in (f"*/{address}/*", "*/email:member0@example.com/*"):
                    for key in store.scan_iter(match=pattern):
                        store.delete(key)

        server = Server(source, {**base, "ALMA_RATELIMIT": "0"})
        try:
            if not server.wait():
                raise RuntimeError(f"gunicorn refused to start: {server.refusal()}")
            result["timing"] = timing(server.port, options.rounds, accounts)
        finally:
            server.stop()

    print(f"code: {label}; limits counted in {options.storage}; gunicorn, 2 workers")
    if "refused" in result:
        print(f"  gunicorn refused to start: {result['refused']}")
    else:
        print(f"  wrong passwords answered before the first 429: {result['answered_before_429']}"
              f" (stated limit: 10 a minute; run took {result['limits_run_seconds']} s)")
    for kind, figures in result["timing"].items():
        print(f"  wrong password, {kind + ' account' if kind != 'after 10 failures' else kind}: "
              f"mean {figures['mean_ms']} ms, median {figures['median_ms']} ms "
              f"(sd {figures['stdev_ms']}, n={figures['n']})")
    print("BENCH-RESULT " + json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
