"""How many jobs the worker's first start loses, started again and again.

Run from the repository root against a database already migrated and seeded
(`flask db upgrade`, `flask seed`), PostgreSQL to see the pool at work:

    DATABASE_URL=postgresql://... .venv/bin/python bench/worker_starts.py --starts 10

Each start runs `flask --app app worker` (development settings, emails printed),
waits until every job has logged "done" or failed (a failed first run waits a
whole interval for the next, so it counts as lost), then sends SIGTERM and
records how long the worker took to exit and its exit code.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLASK = str(Path(sys.executable).parent / "flask")
# The worker's first line names every job it runs: "worker: a, b, c on 10 threads".
STARTED = re.compile(r"^worker: (.+) on \d+ threads?$", re.M)
# APScheduler's line for a job that failed (say, no connection left in the pool).
FAILED = re.compile(r'Job "run_job.*raised an exception')


def one_start(pool_size, limit):
    env = {**os.environ, "ALMA_ENV": "development", "ALMA_DB_POOL_SIZE": str(pool_size)}
    worker = subprocess.Popen([FLASK, "--app", "app", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(worker.stdout), daemon=True)
    reader.start()
    started = time.monotonic()
    jobs = None
    while time.monotonic() - started < limit:
        output = "".join(lines)
        named = STARTED.search(output)
        jobs = jobs or (named and set(named.group(1).split(", ")))
        done = set(re.findall(r"job (\S+) done", output))
        if jobs and len(done & jobs) + len(FAILED.findall(output)) >= len(jobs):
            break
        time.sleep(0.2)
    took = time.monotonic() - started
    worker.send_signal(signal.SIGTERM)
    code = worker.wait(timeout=120)
    stopped = time.monotonic() - started - took
    reader.join(timeout=10)
    if not jobs:
        raise SystemExit("the worker never said which jobs it runs:\n" + "".join(lines))
    done = set(re.findall(r"job (\S+) done", "".join(lines)))
    return len(jobs - done), len(jobs), code, stopped, took


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--pool-size", type=int, default=8)
    parser.add_argument("--limit", type=float, default=120,
                        help="seconds to wait for the first runs before counting the rest lost")
    args = parser.parse_args()
    lost_any = 0
    for n in range(1, args.starts + 1):
        lost, jobs, code, stopped, took = one_start(args.pool_size, args.limit)
        lost_any += lost > 0
        print(f"start {n}: {lost} of {jobs} jobs lost; first runs took {took:.1f}s; "
              f"SIGTERM -> exit {code} in {stopped:.2f}s", flush=True)
    print(f"{lost_any} of {args.starts} starts lost at least one job")


if __name__ == "__main__":
    main()
