"""Resident memory of each web worker on the demo, after it has served real traffic.

Run from the repository root:

    .venv/bin/python bench/memory.py                 # 2,000 providers, 300 requests a kind
    .venv/bin/python bench/memory.py --reuse         # keep/reuse the seeded demo database
    .venv/bin/python bench/memory.py --requests 100  # a quicker warm-up

It seeds a demo on SQLite (`flask db upgrade`, `flask seed --providers N`), serves
it with gunicorn as production would (the repository's gunicorn.conf.py, 2
workers, ALMA_ENV=production, SECRET_KEY set), warms the workers with a few
hundred requests of each kind (searches with and without zip and radius, free
text, profiles, /benefits, the static files a page links to) from 4 client
threads, so both workers serve, then reads each process's memory from /proc:

  RSS  resident set size (VmRSS): what a container's memory limit counts
  PSS  proportional set size: shared pages split between the processes sharing them
  USS  unique set size: pages only this process holds (freed if it exited)

Goal: every worker's RSS under 100 MB. A benchmark, not a test: it reports.
"""
import argparse
import os
import re
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from directory import (  # noqa: E402  (bench/directory.py: seeding, paths, gunicorn)
    BIN,
    RESULTS,
    fetch,
    provider_count,
    run,
    scenario_paths,
    start_gunicorn,
    stop_gunicorn,
)

GOAL_MB = 100
CLIENTS = 4
FREE_TEXT = ["anxiety", "grief", "EMDR", "couples", "teens", "burnout", "trauma", "family"]


def log(message):
    print(message, flush=True)


def take(items, count):
    return [items[i % len(items)] for i in range(count)]


def static_files(base):
    """The stylesheets, scripts and icon a page links to, as a browser fetches them."""
    status, page = fetch(base + "/providers")
    if status != 200:
        raise SystemExit(f"/providers answered {status}")
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page.decode())


def workload(url, per_kind):
    """A few hundred paths of each kind of page a visitor asks for."""
    paths = scenario_paths(url)
    payers = sorted({p.split("payment=")[1].split("&")[0] for p in paths["search"]})
    free_text = [f"/providers?q={word}" for word in FREE_TEXT] + paths["search+zip+text"]
    benefits = (["/benefits"] + [f"/benefits?payer={p}" for p in payers]
                + [f"/benefits/ask?payer={p}" for p in payers])
    return {
        "search": take(paths["search"], per_kind),
        "search+zip+radius": take(paths["search+zip"], per_kind),
        "free text": take(free_text, per_kind),
        "profile": take(paths["profile"], per_kind),
        "benefits": take(benefits, per_kind),
    }


def warm(base, kinds):
    """Fetch every path from CLIENTS threads; returns {kind: non-200 count}."""
    failures = {}
    for kind, paths in kinds.items():
        lock, queue, bad = threading.Lock(), list(reversed(paths)), []

        def client():
            while True:
                with lock:
                    if not queue:
                        return
                    path = queue.pop()
                status, _ = fetch(base + path)
                if status != 200:
                    bad.append(f"{status} {path}")

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        failures[kind] = bad
        log(f"  {kind:18} {len(paths)} requests" + (f", {len(bad)} not 200 (e.g. {bad[0]})"
                                                     if bad else ""))
    return failures


def children(parent):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == parent:
            found.append(int(stat.parent.name))
    return sorted(found)


def memory_mb(pid):
    """{'rss', 'pss', 'uss'} in MB, from /proc/PID/status and smaps_rollup."""
    fields = {}
    for name in ("status", "smaps_rollup"):
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[key] = int(value.split()[0]) / 1024
    return {"rss": fields["VmRSS"], "pss": fields.get("Pss", 0.0),
            "uss": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--providers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the seeded database in $TMPDIR/alma-memory/ and reuse it")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)

    if args.reuse:
        folder = Path(tempfile.gettempdir()) / "alma-memory"
        folder.mkdir(exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="alma-memory-")
        folder = Path(cleanup.name)
    url = f"sqlite:///{folder}/alma.db"
    # SQLite in production must be asked for (ALMA_ALLOW_SQLITE); the demo's database here.
    env = dict(os.environ, ALMA_ENV="production", SECRET_KEY="bench-memory", DATABASE_URL=url,
               ALMA_ALLOW_SQLITE="1", ALMA_LOG_REQUESTS="0")
    # Production counts limits in Redis (REDIS_URL, if set here, measures that too).
    env.setdefault("ALMA_RATELIMIT", "1" if env.get("REDIS_URL") else "0")
    seed_log = RESULTS / "seed-memory.log"
    seed_log.write_text("")
    proc = None
    try:
        run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], env, seed_log)
        if provider_count(url) != args.providers:
            log(f"Seeding {args.providers:,} providers into {url}…")
            run([str(BIN / "flask"), "--app", "app", "seed", "--in-production", "--providers",
                 str(args.providers)], env, seed_log)
        kinds = workload(url, args.requests)
        proc, base = start_gunicorn(env, "memory")
        started = {pid: memory_mb(pid) for pid in children(proc.pid)}
        kinds["static files"] = take(static_files(base), args.requests)
        log(f"gunicorn at {base}, workers {', '.join(map(str, started))}; warming:")
        warm(base, kinds)
        workers = children(proc.pid)
        master = memory_mb(proc.pid)
        log(f"\n{'process':16} {'RSS MB':>8} {'PSS MB':>8} {'USS MB':>8}  (at start: RSS)")
        log(f"{'master ' + str(proc.pid):16} {master['rss']:8.1f} {master['pss']:8.1f} "
            f"{master['uss']:8.1f}")
        worst = 0.0
        for pid in workers:
            now = memory_mb(pid)
            worst = max(worst, now["rss"])
            before = started.get(pid)
            at_start = f"  ({before['rss']:.1f})" if before else ""
            log(f"{'worker ' + str(pid):16} {now['rss']:8.1f} {now['pss']:8.1f} "
                f"{now['uss']:8.1f}{at_start}")
        verdict = "meets" if worst < GOAL_MB else "MISSES"
        log(f"\nLargest worker RSS {worst:.1f} MB: {verdict} the goal (< {GOAL_MB} MB).")
    finally:
        stop_gunicorn(proc)
        if cleanup:
            cleanup.cleanup()


if __name__ == "__main__":
    main()
