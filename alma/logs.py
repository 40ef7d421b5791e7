"""Structured logs: one JSON object a line, one line a request."""
import json
import logging
import sys
import time
import uuid

from flask import g, request


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# Libraries whose warnings an operator must see, as JSON lines like the app's own (e.g.
# Flask-Limiter's "storage unreachable, falling back to memory").
LIBRARY_LOGGERS = ("flask-limiter", "apscheduler")


def _json_lines(name, level):
    logger = logging.getLogger(name)
    # Once per process, whatever handlers a library gave its own logger (a NullHandler).
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


def init_app(app):
    _json_lines("alma", logging.INFO)
    for name in LIBRARY_LOGGERS:
        _json_lines(name, logging.WARNING)
    request_log = logging.getLogger("alma.request")

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        # Accept a load balancer's id only if it looks like one.
        g.request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isascii() \
            and incoming.replace("-", "").isalnum() else uuid.uuid4().hex

    @app.after_request
    def _log_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if app.config["LOG_REQUESTS"]:
            started = g.get("request_started")
            elapsed = (time.perf_counter() - started) * 1000 if started else None
            # The path only: query strings may carry what a person typed; and without
            # its link token, or whoever reads the logs could follow the link.
            request_log.info("request", extra={"fields": {
                "request_id": g.get("request_id"),
                "method": request.method,
                "path": _path_without_token(),
                "endpoint": request.endpoint,
                "status": response.status_code,
                "ms": round(elapsed, 2) if elapsed is not None else None,
                "htmx": bool(request.headers.get("HX-Request")),
            }})
        return response


def _path_without_token():
    token = (request.view_args or {}).get("token")
    if not token:
        return request.path
    if token in request.path:
        return request.path.replace(token, "<token>")
    return request.url_rule.rule
