"""Throughput and latency of the public directory, on SQLite and on PostgreSQL.

Run from the repository root (`make bench` does the same with the defaults):

    .venv/bin/python bench/directory.py                                  # 100,000 providers, 10 s
    .venv/bin/python bench/directory.py --providers 5000 --duration 3    # a quick run
    .venv/bin/python bench/directory.py --databases postgres --reuse     # keep/reuse the seeded db

For each database it builds a fresh schema (`flask db upgrade`), seeds a
deterministic demo directory (`flask seed`), serves it with gunicorn (2
workers, production settings, request logs on, written to bench/results/),
and drives it with wrk at 16 connections (-c16 -t2): 2 s of warm-up, then
`--duration` seconds measured, for each scenario:

  baseline   /healthz (all the middleware plus a SELECT 1)
  search     /providers?state=..&payment=..&accepting=1
  +zip       the same plus zip=.. (a zip in that state) and radius=25
  +text      the same plus q=.. (a word from that provider's bio or approach)
  profile    /providers/<slug>

The search and profile scenarios cycle through a few hundred paths built
from the seeded rows (bench/paths.lua), so no cache can flatter them. Every
path of a sample is fetched once first and must answer 200. Goals: every
search scenario at >= 25% of the baseline's requests/s with p99 < 50 ms, and
the first load of /providers (HTML plus its stylesheets, no JS) < 60 KB.
"Other CPU" is how many CPUs anything but gunicorn, wrk and PostgreSQL used
during a scenario (from /proc): above 0.2 the machine was busy and the
numbers are flagged as noisy. Before each scenario the script waits up to
--quiet-wait seconds (default 60) for such other work to stop.

Tables are printed and written to bench/results/latest.md; raw wrk output and
gunicorn logs stay next to it. PostgreSQL runs in a scratch database
(alma_bench) that is dropped at the end unless --reuse is given.
"""
import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from alma.db import make_database  # noqa: E402
from alma.directory.demo import OPERATING_STATES  # noqa: E402

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent
LUA = BENCH / "paths.lua"
PG_DATABASE = "alma_bench"
CONNECTIONS, THREADS, WARMUP_SECONDS = 16, 2, 2
GOAL_RATIO, GOAL_P99_MS, GOAL_PAGE_BYTES = 0.25, 50.0, 60 * 1024
PER_STATE = 12    # seeded rows sampled per operating state for the path lists
NOISE_CPUS = 0.2   # "Other CPU" above this makes a run untrustworthy
CHECK_SAMPLE = 40  # paths per scenario fetched with urllib before wrk runs
# Words someone might type; each +text path uses one found in that provider's text.
WORDS = ["anxiety", "depression", "trauma", "grief", "EMDR", "ADHD", "OCD", "couples",
         "parenting", "burnout", "postpartum", "insomnia", "mindfulness", "somatic",
         "caregivers", "teens", "LGBTQIA", "DBT", "CBT", "family", "spirituality"]


def log(message):
    print(message, flush=True)


def run(cmd, env, log_file):
    """Run a flask command, its output appended to log_file; fail loudly."""
    with open(log_file, "a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed; see {log_file}")


def free_port():
    """A free port of 127.0.0.1: the first free one in BENCH_PORTS ("8100-8199", for a
    machine whose users share out port ranges), else any the system picks."""
    first, _, last = os.environ.get("BENCH_PORTS", "0-0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise SystemExit(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


def fetch(url, timeout=30):
    """(status, body bytes); non-2xx answers are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- Databases ---------------------------------------------------------------------

def pg_admin(base_url):
    import psycopg2
    for name in ("postgres", "test"):
        try:
            conn = psycopg2.connect(base_url.rstrip("/") + "/" + name)
            conn.autocommit = True
            return conn
        except psycopg2.OperationalError as problem:
            last = problem
    raise SystemExit(f"Cannot connect to PostgreSQL at {base_url}: {last}")


def prepare_database(kind, args):
    """The DATABASE_URL to use, and a function that removes it afterwards."""
    if kind == "sqlite":
        if args.reuse:
            folder = Path(tempfile.gettempdir()) / "alma-bench"
            folder.mkdir(exist_ok=True)
            return f"sqlite:///{folder}/alma.db", lambda: None
        folder = tempfile.TemporaryDirectory(prefix="alma-bench-")
        return f"sqlite:///{folder.name}/alma.db", folder.cleanup
    admin = pg_admin(args.postgres_url)
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,))
        exists = cur.fetchone() is not None
        if exists and not args.reuse:
            cur.execute(f"DROP DATABASE {PG_DATABASE} WITH (FORCE)")
        if not exists or not args.reuse:
            cur.execute(f"CREATE DATABASE {PG_DATABASE}")
    admin.close()

    def drop():
        if not args.reuse:
            conn = pg_admin(args.postgres_url)
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            conn.close()
    return args.postgres_url.rstrip("/") + "/" + PG_DATABASE, drop


def provider_count(url):
    database = make_database(url, pool_size=0)
    try:
        return database.execute_sql("SELECT COUNT(*) FROM provider").fetchone()[0]
    except Exception:
        return None
    finally:
        database.close()


def seed(kind, url, env, args):
    """Migrate and seed (unless --reuse finds the same size); seconds spent seeding."""
    seed_log = RESULTS / f"seed-{kind}.log"
    seed_log.write_text("")
    run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], env, seed_log)
    if args.reuse and provider_count(url) == args.providers:
        log(f"  reusing the seeded database ({args.providers:,} providers)")
        return None
    log(f"  seeding {args.providers:,} providers…")
    started = time.perf_counter()
    run([str(BIN / "flask"), "--app", "app", "seed", "--in-production",
         "--providers", str(args.providers)],
        env, seed_log)
    seconds = time.perf_counter() - started
    log(f"  seeded in {seconds:.1f}s ({seed_log.read_text().strip().splitlines()[-1]})")
    return seconds


# --- Paths for each scenario -------------------------------------------------------

def scenario_paths(url):
    """Deterministic path lists, from real listings: every search has at least one match."""
    database = make_database(url, pool_size=0)
    today = time.strftime("%Y-%m-%d")
    rows = database.execute_sql(f"""
        SELECT l.state, p.office_zip, pay.slug, p.bio, p.approach, p.slug, p.id
        FROM listing l
        JOIN provider p ON p.id = l.provider_id
        JOIN network_participation np ON np.provider_id = p.id
        JOIN payer pay ON pay.id = np.payer_id
        WHERE l.accepting = {database.param} AND l.state = p.office_state
          AND l.license_expires_on >= {database.param}
          AND np.starts_on <= {database.param}
          AND (np.ends_on IS NULL OR np.ends_on >= {database.param})
        ORDER BY l.state, p.id, pay.slug""", (True, today, today, today)).fetchall()
    profiles = [row[0] for row in database.execute_sql(f"""
        SELECT p.slug FROM provider p JOIN listing l ON l.provider_id = p.id
        WHERE l.is_primary = {database.param} AND l.license_expires_on >= {database.param}
        ORDER BY p.id""", (True, today)).fetchall()]
    database.close()

    rng = random.Random(2026)
    by_state = {}
    for row in rows:
        by_state.setdefault(row[0], []).append(row)
    picked = []  # round-robin over the states, so consecutive paths differ in state
    samples = {s: rng.sample(r, min(PER_STATE, len(r))) for s, r in sorted(by_state.items())}
    for i in range(PER_STATE):
        picked += [sample[i] for sample in samples.values() if i < len(sample)]
    missing = sorted(set(OPERATING_STATES) - set(by_state))
    if missing:
        log(f"  note: no accepting in-network listings in {', '.join(missing)}")

    search, near, text = [], [], []
    for state, zip_code, payer, bio, approach, _slug, _id in picked:
        base = f"/providers?state={state}&payment={payer}&accepting=1"
        search.append(base)
        near.append(f"{base}&zip={zip_code}&radius=25")
        own = f"{bio} {approach}".lower()
        words = [w for w in WORDS if re.search(rf"\b{w.lower()}", own)]
        text.append(f"{base}&zip={zip_code}&radius=25&q={rng.choice(words or ['therapy'])}")
    profile = [f"/providers/{slug}" for slug in rng.sample(profiles, min(300, len(profiles)))]
    return {"baseline": ["/healthz"], "search": search, "search+zip": near,
            "search+zip+text": text, "profile": profile}


COUNT = re.compile(r"No therapists match|More than ([\d,]+) therapists|([\d,]+) therapists? match")


def check_paths(base, name, paths):
    """Fetch a sample of the paths once; abort on anything but 200. Returns notes."""
    step = max(1, len(paths) // CHECK_SAMPLE)
    empty, slowest = 0, 0.0
    for path in paths[::step]:
        started = time.perf_counter()
        status, body = fetch(base + path)
        slowest = max(slowest, time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"ABORT: {base}{path} answered {status}, not 200:\n"
                             f"{body[:500].decode(errors='replace')}")
        found = COUNT.search(body.decode())
        if name.startswith("search") and (found is None or found.group(0).startswith("No")):
            empty += 1
    checked = len(paths[::step])
    note = f"{checked} checked, slowest {slowest * 1000:.0f} ms"
    return note + (f", {empty} with no results" if empty else "")


def first_load_bytes(base):
    """Bytes of GET /providers plus the stylesheets it links (scripts excluded)."""
    status, html = fetch(base + "/providers")
    if status != 200:
        raise SystemExit(f"ABORT: /providers answered {status}")
    sizes = {"/providers": len(html)}
    for tag in re.findall(rb"<link\b[^>]*>", html):
        href = re.search(rb'href="([^"]+)"', tag)
        if re.search(rb'rel="?stylesheet', tag) and href:
            css = href.group(1).decode()
            status, body = fetch(base + css)
            if status != 200:
                raise SystemExit(f"ABORT: {css} answered {status}")
            sizes[css] = len(body)
    return sizes


# --- Serving and measuring ---------------------------------------------------------

def start_gunicorn(env, kind):
    port = free_port()
    env = dict(env, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2")
    log_path = RESULTS / f"gunicorn-{kind}.log"
    out = open(log_path, "w")
    # No control socket: its default path is shared by every gunicorn on the machine.
    proc = subprocess.Popen([str(BIN / "gunicorn"), "--no-control-socket", "app:app"],
                            cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode}); see {log_path}")
        try:
            if fetch(base + "/healthz", timeout=2)[0] == 200:
                return proc, base
        except OSError:
            pass
        time.sleep(0.2)
    stop_gunicorn(proc)
    raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {log_path}")


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


def bench_database(kind, args):
    # SQLite in production must be asked for (ALMA_ALLOW_SQLITE); here it is what is measured.
    env = dict(os.environ, ALMA_ENV="production", SECRET_KEY="bench", ALMA_LOG_REQUESTS="1",
               ALMA_ALLOW_SQLITE="1")
    # No limit applies to the pages measured; without Redis, 2 workers need them off.
    env.setdefault("ALMA_RATELIMIT", "1" if env.get("REDIS_URL") else "0")
    url, remove = prepare_database(kind, args)
    env["DATABASE_URL"] = url
    proc = None
    try:
        log(f"\n== {kind} ({url})")
        seconds = seed(kind, url, env, args)
        scenarios = scenario_paths(url)
        proc, base = start_gunicorn(env, kind)
        sizes = first_load_bytes(base)
        results = {}
        for name, paths in scenarios.items():
            paths_file = RESULTS / f"paths-{kind}-{name}.txt"
            paths_file.write_text("\n".join(paths) + "\n")
            note = check_paths(base, name, paths)
            wait_until_quiet(proc, args.quiet_wait)
            wrk(base, paths_file, WARMUP_SECONDS, proc)
            result = wrk(base, paths_file, args.duration, proc,
                         RESULTS / f"wrk-{kind}-{name}.txt")
            result.update(paths=len(paths), note=note)
            results[name] = result
            log(f"  {name:16} {result['rps']:8.0f} req/s  p50 {result['p50_us'] / 1000:6.1f} ms"
                f"  p99 {result['p99_us'] / 1000:6.1f} ms  non-2xx {result['non2xx']}"
                f"  other CPU {result['other_cpus']:.2f}  ({note})")
        return {"seed_seconds": seconds, "results": results, "sizes": sizes}
    finally:
        stop_gunicorn(proc)
        remove()


def table(kind, report, args):
    results, sizes = report["results"], report["sizes"]
    baseline = results["baseline"]["rps"]
    seeded = (f"seeded in {report['seed_seconds']:.1f} s" if report["seed_seconds"] is not None
              else "reused seeded database")
    lines = [f"### {kind}: {args.providers:,} providers ({seeded}), {args.duration} s a scenario",
             "", "| Scenario | Paths | Requests/s | p50 | p99 | vs baseline | non-2xx / errors "
             "| Other CPU | Goal (>= 25%, p99 < 50 ms) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, r in results.items():
        ratio = r["rps"] / baseline
        errors = sum(r["errors"].values()) - r["errors"]["status"]
        if name.startswith("search"):
            ok = ratio >= GOAL_RATIO and r["p99_us"] / 1000 < GOAL_P99_MS and not r["non2xx"]
            goal = "meets" if ok else "**MISSES**"
        else:
            goal = "n/a"
        lines.append(f"| {name} | {r['paths']} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.1f} ms "
                     f"| {r['p99_us'] / 1000:.1f} ms | {ratio:.0%} | {r['non2xx']} / {errors} "
                     f"| {r['other_cpus']:.2f} | {goal} |")
    noisy = [name for name, r in results.items() if r["other_cpus"] > NOISE_CPUS]
    if noisy:
        lines += ["", f"**Noisy:** other processes kept more than {NOISE_CPUS} CPU busy during "
                  f"{', '.join(noisy)}; those numbers understate the app. Rerun on a quiet "
                  "machine."]
    total = sum(sizes.values())
    parts = ", ".join(f"{path} {size:,}" for path, size in sizes.items())
    verdict = "meets" if total < GOAL_PAGE_BYTES else "**MISSES**"
    lines += ["", f"First load of /providers: {total:,} bytes ({parts}; uncompressed, JS "
              f"excluded) against < {GOAL_PAGE_BYTES:,}: {verdict}.", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured a scenario")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/",
                        help="server to create the scratch database on")
    parser.add_argument("--quiet-wait", type=int, default=60, metavar="S",
                        help="before each scenario, wait up to S seconds for other "
                             "processes to leave the CPUs alone")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the seeded databases, and reuse them when the size matches")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if set(kinds) - {"sqlite", "postgres"}:
        parser.error("--databases takes sqlite and/or postgres")
    RESULTS.mkdir(parents=True, exist_ok=True)

    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True,  # noqa: E731
                                    text=True).stdout.strip()
    dirty = ", uncommitted changes" if git("status", "--porcelain") else ""
    header = (f"# Directory benchmark, {time.strftime('%Y-%m-%d %H:%M')} "
              f"(commit {git('rev-parse', '--short', 'HEAD')}{dirty})\n\n"
              f"wrk -t{THREADS} -c{CONNECTIONS}, {WARMUP_SECONDS} s warm-up then --duration; "
              f"gunicorn 2 workers; {os.cpu_count()} CPUs shared by wrk, gunicorn and the "
              f"database.\n")
    tables = [table(kind, bench_database(kind, args), args) for kind in kinds]
    report = header + "\n" + "\n".join(tables)
    (RESULTS / "latest.md").write_text(report)
    log("\n" + report)


if __name__ == "__main__":
    main()
