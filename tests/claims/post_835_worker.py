"""A worker process posting one 835 file, started at a given moment (so that two start
together), on the test suite's clock:
    python -m tests.claims.post_835_worker FILE START_EPOCH [NOW_ISO]
Prints "posted" or "seen before"."""
import contextlib
import datetime
import sys
import time

import time_machine

from alma.claims import posting
from alma.factory import create_app


def main(path, start, now=None):
    text = open(path).read()
    clock = (time_machine.travel(datetime.datetime.fromisoformat(now), tick=True) if now
             else contextlib.nullcontext())
    app = create_app()
    with clock, app.app_context():
        time.sleep(max(0.0, float(start) - time.time()))
        _, posted = posting.post(text)
        print("posted" if posted else "seen before")


if __name__ == "__main__":
    main(*sys.argv[1:])
