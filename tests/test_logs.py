"""The request log: one line a request, and nothing in it that opens a door."""
import json
import logging

import pytest

from alma import schedule
from alma.logs import JsonFormatter


@pytest.fixture
def request_lines(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOG_REQUESTS", True)
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(JsonFormatter().format(record)))

    handler = Keep()
    logger = logging.getLogger("alma.request")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


@pytest.mark.parametrize("path, logged", [
    ("/sign-in/link/eyJ1IjoxfQ.secret-part", "/sign-in/link/<token>"),
    ("/billing/link/eyJ1IjoxfQ.secret-part", "/billing/link/<token>"),
    ("/inbox/requests/7/email/eyJ1IjoxfQ.secret-part", "/inbox/requests/7/email/<token>"),
])
def test_the_request_log_keeps_the_path_but_never_a_link_token(client, request_lines, path,
                                                              logged):
    # Logs go to other people and other systems; a token there is a working link.
    client.get(path)
    assert [line["path"] for line in request_lines] == [logged]
    assert "secret-part" not in json.dumps(request_lines)


def test_the_request_log_keeps_other_paths_whole(client, request_lines):
    client.get("/providers/no-such-therapist")
    assert request_lines[0]["path"] == "/providers/no-such-therapist"
    assert request_lines[0]["status"] == 404


def test_a_job_that_finds_nothing_to_do_is_logged_once_not_every_run(app, monkeypatch):
    # deliver-email runs every 10 s: a line each time would drown what happened.
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append((record.levelno, record.getMessage()))

    handler = Keep(level=logging.DEBUG)
    logger = logging.getLogger("alma.jobs")
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "level", logging.INFO)
    results = iter([0, 0, 3, 0])
    monkeypatch.setitem(schedule.JOBS, "quiet-job", (lambda: next(results), 10))
    monkeypatch.setattr(schedule, "_logged", set())
    try:
        for _ in range(4):
            schedule.run_job(app, "quiet-job")
    finally:
        logger.removeHandler(handler)
    shown = [message.split(" in ")[0] for level, message in records if level >= logger.level]
    assert shown == ["job quiet-job done: 0", "job quiet-job done: 3"]


def test_a_librarys_warning_is_a_json_line_too(app):
    # Flask-Limiter says so when Redis stops answering; an operator's log search must find it.
    logger = logging.getLogger("flask-limiter")
    assert not logger.propagate
    record = logger.makeRecord("flask-limiter", logging.WARNING, __file__, 1,
                               "Rate limit storage unreachable", (), None)
    assert logger.isEnabledFor(logging.WARNING)
    lines = [handler.format(record) for handler in logger.handlers
             if isinstance(handler.formatter, JsonFormatter)]
    assert [json.loads(line)["message"] for line in lines] == ["Rate limit storage unreachable"]
