"""Background work: each job scans the database and claims one row at a time.

A claim is a conditional UPDATE that stamps the row; a row count of 1 means
this process won it, and the job writes its emails in that same transaction.
So a job can run in any number of processes, be killed at any moment and be
run again: nothing is done twice and nothing is lost.

The schedule of jobs lives on top of the features (alma/schedule.py); this
module is the library each feature's jobs use. A worker stops on SIGTERM or
Ctrl-C after the row in hand: every loop over rows asks `stop_requested()`
before the next one.
"""
import contextlib
import logging
import signal
import threading

from alma.db import db

log = logging.getLogger("alma.jobs")

# Set by SIGTERM or Ctrl-C; nothing ever clears it in a running worker.
stopping = threading.Event()


def stop_requested():
    """True once the process was asked to stop: finish the row in hand, start no other."""
    return stopping.is_set()


def claim_each(model, due, stamps, act, limit=1000):
    """Claim due rows one at a time and act on each, in one transaction per row.

    `due` selects rows still to do; `stamps` (a dict of field -> value) is
    written by the claim and must make the row no longer due. A row whose
    action fails is skipped for the rest of this run (and logged), so one
    bad row can't stop the others or loop forever.
    """
    skipped, done = set(), 0
    while done < limit and not stop_requested():
        query = model.select(model.id).where(due).order_by(model.id).limit(1)
        if skipped:
            query = query.where(model.id.not_in(skipped))
        row = query.first()
        if row is None:
            break
        try:
            with db.atomic():
                won = model.update(stamps).where((model.id == row.id) & due).execute()
                if won == 1:
                    act(model.get_by_id(row.id))
                    done += 1
        except Exception:  # one row's failure must not stop the job
            log.exception("job step failed for %s %s", model.__name__, row.id)
            skipped.add(row.id)
    return done


@contextlib.contextmanager
def stop_on_signals():
    """Inside: SIGTERM (a deploy) and Ctrl-C ask the jobs to stop after their current row.

    The handler only sets a flag (it may run while this thread holds any lock).
    A second signal acts as it would have without us (Ctrl-C twice stops at
    once); a SIGINT ignored by whoever started us (a shell's `&`) stays ignored.
    """
    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}

    def handle(number, frame):
        log.info("stopping after the current row (%s)", signal.Signals(number).name)
        stopping.set()
        for each, handler in previous.items():
            signal.signal(each, handler)

    for number, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(number, handle)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
