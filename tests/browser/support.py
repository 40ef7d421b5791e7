"""What the browser tests share besides fixtures: where things live, and DB access."""
import pathlib

from alma.db import db as database

HERE = pathlib.Path(__file__).resolve().parent
SCREENS = HERE / "screens"


def in_app(app, work):
    """Run `work()` in this thread with its own connection (peewee's are per thread)."""
    with app.app_context():
        database.connect(reuse_if_open=True)
        try:
            return work()
        finally:
            database.close()
