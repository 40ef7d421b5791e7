"""Gunicorn settings: refuse to start with unsafe settings, survive slow clients, warm each worker.

gevent workers: each connection is a greenlet, so a client that sends its
request slowly holds a greenlet, not a whole worker. The app reads each body
before it runs (alma/http.py: a deadline and a size limit), and its requests
queue for the database pool (ALMA_DB_POOL_TIMEOUT). `-k sync` still works.

The master process never imports the app: the gevent worker patches the
standard library (threading, sockets) when it starts, and a module imported
before that keeps the unpatched versions. peewee's connection state would
then be shared by every greenlet of a worker. post_worker_init checks it.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gevent"
# Connections each worker holds at once (greenlets; a body waiting to be read
# takes at most 64 KB of memory, more goes to a temporary file).
worker_connections = 500
# Seconds a kept-alive connection waits for its next request; under gevent also
# how long a request's line and headers may take to arrive.
keepalive = 5
accesslog = None  # the app writes its own structured request log
# gunicornc's control socket defaults to one path in $HOME for every instance
# on the machine; nothing here uses it.
control_socket_disable = True


def on_starting(server):
    # Checked in another interpreter, so this process imports nothing of the app.
    check = subprocess.run([sys.executable, "-c", "from alma.config import main; main()",
                            str(server.cfg.workers)],
                           cwd=ROOT, capture_output=True, text=True)
    if check.returncode != 0:
        server.log.error("Refusing to start: %s", check.stderr.strip())
        raise SystemExit(1)


def post_worker_init(worker):
    _check_greenlets_have_their_own_connection(worker)
    from alma.accounts import passwords

    # The first sign-in with an unknown email would otherwise also pay for making it.
    passwords.dummy_hash()


def _check_greenlets_have_their_own_connection(worker):
    if type(worker).__module__ != "gunicorn.workers.ggevent":
        return
    import peewee
    from gevent.local import local

    if not issubclass(peewee._ConnectionLocal, local):
        worker.log.error(
            "Refusing to start: peewee was imported before gevent patched the standard "
            "library (preload_app, or an import in gunicorn.conf.py), so every request of "
            "a worker would share one database connection.")
        raise SystemExit(3)  # the arbiter's WORKER_BOOT_ERROR: it stops instead of retrying
