"""Run `flask` with the clock where the test suite has it (pytest --clock=…).

time-machine moves the clock of the test process only; a worker a test starts as a
subprocess must see the same day, or rows written "today" would be in its future.
    python -m tests.clocked 2028-02-29T09:00:00+00:00 --app app jobs run deliver-email
"""
import datetime
import sys

import time_machine
from flask.cli import main

if __name__ == "__main__":
    at = datetime.datetime.fromisoformat(sys.argv[1])
    sys.argv = ["flask", *sys.argv[2:]]
    with time_machine.travel(at, tick=True):
        main()
