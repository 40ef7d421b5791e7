"""Reliability of consultation requests under load, against gunicorn and PostgreSQL.

    .venv/bin/python bench/consultations.py [--submissions 200] [--concurrency 20]

It builds a scratch PostgreSQL database (alma_reliability, dropped at the
end), seeds a small directory, serves it with gunicorn (2 workers, production
settings, behind a pretend load balancer so each simulated client has its own
address), and sends the submissions from that many concurrent clients, each
like a browser: GET the form (cookie, CSRF token, submission key), then POST
it. Then it runs the worker's delivery once (`flask jobs run deliver-email`)
into a real SMTP server on loopback, and checks: every submission stored,
exactly one confirmation and one provider email each, no 5xx.
"""
import argparse
import concurrent.futures
import email
import email.policy
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from measuring import free_port  # noqa: E402  (BENCH_PORTS)

BIN = Path(sys.executable).parent
DATABASE = "alma_reliability"


def admin(sql, server):
    import psycopg2

    connection = psycopg2.connect(server + "/test")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def flask(env, *args):
    subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


class BehindTLS(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies over loopback http, as a TLS-terminating load balancer would."""

    def return_ok_secure(self, cookie, request):
        return True


def one_submission(base, slug, n):
    jar = http.cookiejar.CookieJar(policy=BehindTLS())
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
    form_url = f"{base}/providers/{slug}/request"
    with opener.open(urllib.request.Request(form_url, headers=headers), timeout=30) as page:
        html = page.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({
        "csrf_token": token, "submission_key": key, "name": f"Client{n} Test",
        "email": f"client{n}@example.org", "state": "CA", "payment": "self-pay",
        "concerns": "Stress at work.", "preferred_format": "either",
        "availability": "Evenings", "consent": "y"}).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    poster = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    try:
        with poster.open(urllib.request.Request(form_url, data=data, headers={
                **headers, "Referer": form_url}), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    options = parser.parse_args()

    from aiosmtpd.controller import Controller

    mailbox, smtp_port, web_port = Mailbox(), free_port(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    admin(f"DROP DATABASE IF EXISTS {DATABASE}", options.postgres)
    admin(f"CREATE DATABASE {DATABASE}", options.postgres)
    env = {**os.environ, "DATABASE_URL": f"{options.postgres}/{DATABASE}",
           "SECRET_KEY": "reliability", "ALMA_ENV": "production", "ALMA_LOG_REQUESTS": "0",
           "BASE_URL": f"http://127.0.0.1:{web_port}", "ALMA_PROXY_HOPS": "1",
           "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "BIND": f"127.0.0.1:{web_port}",
           "WEB_CONCURRENCY": "2"}
    # Each client has its own address, so no limit bites; without Redis, 2 workers need them off.
    env.setdefault("ALMA_RATELIMIT", "1" if env.get("REDIS_URL") else "0")
    server = None
    try:
        flask(env, "db", "upgrade")
        flask(env, "seed", "--in-production", "--providers", "300")
        import psycopg2

        connection = psycopg2.connect(env["DATABASE_URL"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT p.slug FROM listing l JOIN provider p ON p.id = l.provider_id "
                           "WHERE l.state = 'CA' AND l.accepting ORDER BY p.id LIMIT 10")
            slugs = [row[0] for row in cursor.fetchall()]
        server = subprocess.Popen([str(BIN / "gunicorn"), "app:app", "--no-control-socket"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        base = f"http://127.0.0.1:{web_port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(options.concurrency) as pool:
            statuses = Counter(pool.map(lambda n: one_submission(base, slugs[n % len(slugs)], n),
                                        range(options.submissions)))
        elapsed = time.perf_counter() - started
        flask(env, "jobs", "run", "deliver-email")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM consultation_request")
            stored = cursor.fetchone()[0]
            cursor.execute("SELECT status, count(*) FROM outbound_email GROUP BY status")
            outbox = dict(cursor.fetchall())
        connection.close()
        confirmations = Counter(m["To"] for m in mailbox.messages
                                if m["To"].startswith("client"))
        to_providers = [m for m in mailbox.messages if not m["To"].startswith("client")]
        clients = {f"client{n}@example.org" for n in range(options.submissions)}
        checks = {
            "every POST answered 303": statuses == Counter({303: options.submissions}),
            "no 5xx": not any(code >= 500 for code in statuses),
            "all stored": stored == options.submissions,
            "one confirmation each": set(confirmations) == clients
            and set(confirmations.values()) == {1},
            "one provider email each": len(to_providers) == options.submissions
            and len({m["Subject"] for m in to_providers}) == options.submissions,
            "outbox all sent": outbox == {"sent": 2 * options.submissions},
        }
        print(f"{options.submissions} submissions over {options.concurrency} concurrent clients "
              f"in {elapsed:.1f} s ({options.submissions / elapsed:.0f}/s); HTTP {dict(statuses)}")
        print(f"stored {stored}; outbox {outbox}; SMTP received {len(mailbox.messages)} "
              f"({sum(confirmations.values())} confirmations, {len(to_providers)} to providers)")
        for name, ok in checks.items():
            print(f"  {'ok  ' if ok else 'FAIL'} {name}")
        return 0 if all(checks.values()) else 1
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        smtp.stop()
        admin(f"DROP DATABASE IF EXISTS {DATABASE}", options.postgres)


if __name__ == "__main__":
    sys.exit(main())
