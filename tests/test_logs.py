"""The request log: one line a request, and nothing in it that opens a door."""
import json
import logging

import pytest

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
