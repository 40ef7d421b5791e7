"""A bare Flask app: one route, no middleware, no database.

bench/directory.py serves it with the repository's gunicorn.conf.py (same worker class,
2 workers) and drives it with the same wrk settings as the app: the most requests a second
a Flask page can be answered with on this machine, against which the app's own trivial
page (/healthz) is measured.

    gunicorn --pythonpath bench bare:app
"""
from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "Hello, world!\n"
