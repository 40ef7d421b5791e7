"""Gunicorn settings: refuse to start with unsafe settings."""
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = None  # the app writes its own structured request log


def on_starting(server):
    from alma.config import ConfigError, check_can_serve, from_environment

    try:
        check_can_serve(from_environment(instance_path="instance"),
                        workers=server.cfg.workers)
    except ConfigError as problem:
        server.log.error("Refusing to start: %s", problem)
        raise SystemExit(1)


def post_worker_init(worker):
    from alma.accounts import passwords

    # The first sign-in with an unknown email would otherwise also pay for making it.
    passwords.dummy_hash()
