"""Throughput and latency of the public directory, on SQLite and on PostgreSQL, at two sizes.

Run from the repository root (`make bench` does the same with the defaults):

    .venv/bin/python bench/directory.py                          # 25,000 and 250,000 providers
    .venv/bin/python bench/directory.py --providers 2000,5000 --duration 3   # a quick run
    .venv/bin/python bench/directory.py --databases postgres --reuse  # keep/reuse seeded dbs

For each database and each size it builds a fresh schema (`flask db upgrade`), seeds a
deterministic demo directory (`flask seed`, timed), serves a bare Flask app (bench/bare.py)
and then the app with gunicorn (gunicorn.conf.py, 2 workers, production settings, request
logs on, written to bench/results/), and drives each with wrk at 16 connections (-c16 -t2):
2 s of warm-up, then `--duration` seconds measured, for each scenario:

  bare Flask      /hello of bench/bare.py: the limit of a Flask page on this machine
  trivial page    /healthz (all the middleware plus a SELECT 1)
  search          /providers?state=..&payment=..&accepting=1
  +zip            the same plus zip=.. (a zip in that state) and radius=25
  +text           the same plus q=.. (a specific word from that provider's bio or approach)
  +text common    the same with a common word instead (therapy, adults, family…)
  profile         /providers/<slug>

The search and profile scenarios cycle through a few hundred paths built from the seeded
rows (bench/paths.lua), so no cache can flatter them. Every path of a sample is fetched
once first and must answer 200. The goals (issue 14, judged at the largest size) are in
bench/directory_tables.py and bench/README.md. "Other CPU" is how many CPUs anything but
gunicorn, wrk and PostgreSQL used during a scenario (from /proc): above 0.2 the machine
was busy and the numbers are flagged as noisy. Before each scenario the script waits up
to --quiet-wait seconds (default 60) for such other work to stop.

Tables are printed and written to bench/results/latest.md (after each database and size,
so an interrupted run keeps what it measured); raw wrk output and gunicorn logs stay next
to it. PostgreSQL runs in scratch databases (alma_bench_<providers>) dropped at the end
unless --reuse is given. BENCH_PORTS=8600-8699 keeps the servers in that port range.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from directory_tables import detail_table, summary_table  # noqa: E402
from measuring import (BIN, CONNECTIONS, THREADS, fetch, log, start_gunicorn,  # noqa: E402
                       stop_gunicorn, wait_until_quiet, wrk)

from alma.db import make_database  # noqa: E402
from alma.directory.demo import OPERATING_STATES  # noqa: E402

RESULTS = ROOT / "bench" / "results"
WARMUP_SECONDS = 2
PER_STATE = 12    # seeded rows sampled per operating state for the path lists
CHECK_SAMPLE = 40  # paths per scenario fetched with urllib before wrk runs
# Words someone might type; each +text path uses one found in that provider's text. Each is
# in roughly 10-35% of the demo's bios and approaches.
WORDS = ["anxiety", "depression", "trauma", "grief", "EMDR", "ADHD", "OCD", "couples",
         "parenting", "burnout", "postpartum", "insomnia", "mindfulness", "somatic",
         "caregivers", "teens", "LGBTQIA", "DBT", "CBT", "family", "spirituality"]
# Common words someone might type: a search for one collects a large part of the directory
# before the other filters narrow it (in 25-99% of the demo's texts; a run reports shares).
COMMON_WORDS = ["therapy", "adults", "family", "teens", "relationship", "identity",
                "health", "experience", "evening", "clients"]


def run(cmd, env, log_file):
    """Run a flask command, its output appended to log_file; fail loudly."""
    with open(log_file, "a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed; see {log_file}")


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


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


def prepare_database(kind, providers, args):
    """The DATABASE_URL to use for one size, and a function that removes it afterwards."""
    if kind == "sqlite":
        if args.reuse:
            folder = Path(tempfile.gettempdir()) / args.db_name
            folder.mkdir(exist_ok=True)
            return f"sqlite:///{folder}/{providers}.db", lambda: None
        folder = tempfile.TemporaryDirectory(prefix=f"{args.db_name}-")
        return f"sqlite:///{folder.name}/alma.db", folder.cleanup
    name = f"{args.db_name}_{providers}"
    admin = pg_admin(args.postgres_url)
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        exists = cur.fetchone() is not None
        if exists and not args.reuse:
            cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not args.reuse:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()

    def drop():
        if not args.reuse:
            conn = pg_admin(args.postgres_url)
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.close()
    return args.postgres_url.rstrip("/") + "/" + name, drop


def provider_count(url):
    database = make_database(url, pool_size=0)
    try:
        return database.execute_sql("SELECT COUNT(*) FROM provider").fetchone()[0]
    except Exception:
        return None
    finally:
        database.close()


def seed(kind, providers, url, env, args):
    """Migrate and seed, unless --reuse finds the same size: (seconds or None, note)."""
    seed_log = RESULTS / f"seed-{kind}-{providers}.log"
    record = RESULTS / f"seed-{kind}-{providers}.json"  # how the reusable database was made
    seed_log.write_text("")
    run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], env, seed_log)
    if args.reuse and provider_count(url) == providers:
        log(f"  reusing the seeded database ({providers:,} providers)")
        if record.exists():
            made = json.loads(record.read_text())
            return None, f"seeded in {made['seconds']:.1f} s at {made['commit']}, {made['at']}"
        return None, ""
    log(f"  seeding {providers:,} providers…")
    started = time.perf_counter()
    run([str(BIN / "flask"), "--app", "app", "seed", "--in-production",
         "--providers", str(providers)], env, seed_log)
    seconds = time.perf_counter() - started
    log(f"  seeded in {seconds:.1f}s ({seed_log.read_text().strip().splitlines()[-1]})")
    record.write_text(json.dumps({"seconds": seconds, "commit": git("rev-parse", "--short",
                                                                     "HEAD"),
                                  "at": time.strftime("%Y-%m-%d %H:%M")}))
    return seconds, ""


# --- Paths for each scenario -------------------------------------------------------

def has_word(word, text):
    return re.search(rf"\b{word.lower()}", text) is not None


def scenario_paths(url):
    """Deterministic path lists, from real listings: every search has at least one match.

    Also returns, for each common word, the share of listed providers whose text has it.
    """
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

    search, near, text, common = [], [], [], []
    for state, zip_code, payer, bio, approach, _slug, _id in picked:
        base = f"/providers?state={state}&payment={payer}&accepting=1"
        search.append(base)
        near.append(f"{base}&zip={zip_code}&radius=25")
        own = f"{bio} {approach}".lower()
        words = [w for w in WORDS if has_word(w, own)]
        text.append(f"{base}&zip={zip_code}&radius=25&q={rng.choice(words or ['therapy'])}")
        words = [w for w in COMMON_WORDS if has_word(w, own)]
        common.append(f"{base}&zip={zip_code}&radius=25&q={rng.choice(words or ['therapy'])}")
    profile = [f"/providers/{slug}" for slug in rng.sample(profiles, min(300, len(profiles)))]

    texts = {row[6]: f"{row[3]} {row[4]}".lower() for row in rows}
    shares = {w: sum(has_word(w, t) for t in texts.values()) / max(1, len(texts))
              for w in COMMON_WORDS}
    return {"bare": ["/hello"], "trivial": ["/healthz"], "search": search, "search+zip": near,
            "search+zip+text": text, "search+zip+common": common, "profile": profile}, shares


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


# --- One database at one size ------------------------------------------------------

def measure(kind, providers, key, paths, base, server, args):
    stem = f"{kind}-{providers}-{key}"
    paths_file = RESULTS / f"paths-{stem}.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    note = check_paths(base, key, paths)
    wait_until_quiet(server, args.quiet_wait)
    wrk(base, paths_file, WARMUP_SECONDS, server)
    result = wrk(base, paths_file, args.duration, server, RESULTS / f"wrk-{stem}.txt")
    result.update(paths=len(paths), note=note)
    log(f"  {key:18} {result['rps']:8.0f} req/s  p50 {result['p50_us'] / 1000:6.1f} ms"
        f"  p99 {result['p99_us'] / 1000:6.1f} ms  non-2xx {result['non2xx']}"
        f"  other CPU {result['other_cpus']:.2f}  ({note})")
    return result


def bench_size(kind, providers, args):
    # SQLite in production must be asked for (ALMA_ALLOW_SQLITE); here it is what is measured.
    env = dict(os.environ, ALMA_ENV="production", SECRET_KEY="bench", ALMA_LOG_REQUESTS="1",
               ALMA_ALLOW_SQLITE="1")
    # No limit applies to the pages measured; without Redis, 2 workers need them off.
    env.setdefault("ALMA_RATELIMIT", "1" if env.get("REDIS_URL") else "0")
    url, remove = prepare_database(kind, providers, args)
    env["DATABASE_URL"] = url
    proc = None
    try:
        log(f"\n== {kind}, {providers:,} providers ({url})")
        seconds, seed_note = seed(kind, providers, url, env, args)
        scenarios, shares = scenario_paths(url)
        results = {}
        # The same gunicorn.conf.py (its worker class, hooks and settings), the same 2 workers.
        logs = RESULTS / f"gunicorn-{kind}-{providers}"
        proc, base = start_gunicorn(env, "bare:app", Path(f"{logs}-bare.log"), "/hello",
                                    pythonpath=str(ROOT / "bench"))
        results["bare"] = measure(kind, providers, "bare", scenarios.pop("bare"), base, proc,
                                  args)
        stop_gunicorn(proc)
        proc, base = start_gunicorn(env, "app:app", Path(f"{logs}.log"), "/healthz")
        sizes = first_load_bytes(base)
        for key, paths in scenarios.items():
            results[key] = measure(kind, providers, key, paths, base, proc, args)
        common = ", ".join(f"{w} {share:.0%}" for w, share in shares.items())
        return {"seed_seconds": seconds, "seed_note": seed_note, "results": results,
                "page_bytes": sizes, "common_words": common}
    finally:
        stop_gunicorn(proc)
        remove()


def report(header, measured, args):
    tables = [summary_table(kind, by_size) for kind, by_size in measured.items() if by_size]
    details = [detail_table(kind, n, by_size[n], args.duration)
               for kind, by_size in measured.items() for n in sorted(by_size)]
    text = header + "\n" + "\n".join(tables) + "\n## Details\n\n" + "\n".join(details)
    (RESULTS / "latest.md").write_text(text)
    return text


def sizes_arg(text):
    try:
        sizes = sorted({int(part.strip().replace("_", "")) for part in text.split(",")
                        if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("expected sizes such as 25000,250000")
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("expected sizes such as 25000,250000")
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=sizes_arg, default=[25_000, 250_000],
                        metavar="N[,N…]", help="directory sizes, each seeded and measured "
                        "(default 25000,250000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured a scenario")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/",
                        help="server to create the scratch databases on")
    parser.add_argument("--db-name", default="alma_bench", metavar="PREFIX",
                        help="scratch databases: PostgreSQL PREFIX_<providers>, SQLite with "
                             "--reuse $TMPDIR/PREFIX/<providers>.db (default alma_bench)")
    parser.add_argument("--quiet-wait", type=int, default=60, metavar="S",
                        help="before each scenario, wait up to S seconds for other "
                             "processes to leave the CPUs alone")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the seeded databases, one per size, and reuse them")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if set(kinds) - {"sqlite", "postgres"}:
        parser.error("--databases takes sqlite and/or postgres")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.db_name):
        parser.error("--db-name takes lower-case letters, digits and _")
    RESULTS.mkdir(parents=True, exist_ok=True)

    conf = (ROOT / "gunicorn.conf.py").read_text()
    worker = re.search(r"^worker_class\s*=\s*['\"](\w+)", conf, re.M)
    dirty = ", uncommitted changes" if git("status", "--porcelain") else ""
    header = (f"# Directory benchmark, {time.strftime('%Y-%m-%d %H:%M')} "
              f"(commit {git('rev-parse', '--short', 'HEAD')}{dirty})\n\n"
              f"wrk -t{THREADS} -c{CONNECTIONS}, {WARMUP_SECONDS} s warm-up then "
              f"{args.duration} s a scenario; gunicorn.conf.py "
              f"({worker.group(1) if worker else 'its worker class'}), 2 workers; "
              f"{os.cpu_count()} CPUs shared by wrk, gunicorn and the database. "
              f"Sizes: {', '.join(f'{n:,}' for n in args.providers)} providers. Goals, judged "
              f"at the largest size: searches and the profile >= 50% of the trivial page's "
              f"req/s with p99 <= 2x its p99; the trivial page >= 50% of bare Flask; each "
              f"scenario's req/s within 30% between the smallest and the largest size.\n")
    measured = {kind: {} for kind in kinds}
    for kind in kinds:
        for providers in args.providers:
            measured[kind][providers] = bench_size(kind, providers, args)
            report(header, measured, args)
    log("\n" + report(header, measured, args))


if __name__ == "__main__":
    main()
