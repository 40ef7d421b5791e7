"""The one entry point for flask, gunicorn and the worker."""
from alma import create_app

app = create_app()
