"""The one entry point for flask, gunicorn and the worker."""
from alma.factory import create_app

app = create_app()
