"""Extensions created once here and bound to the app in create_app."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

csrf = CSRFProtect()
htmx = Htmx()
login_manager = LoginManager()
# Limits are declared on the views; counters live in RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_limiter(app):
    """Bind the limiter, checking limits only where they are declared.

    Every limit here is a view's decorator, which checks the limit itself when the
    view runs. The limiter's own before-request check exists for application-wide,
    default and blueprint limits, of which there are none, yet it cost a sixth of
    every request's time (the health check's); so it is taken off, and the app
    refuses to start if such a limit is ever declared without putting it back.
    """
    limiter.init_app(app)
    declared = limiter.limit_manager
    if declared.default_limits or declared.application_limits or declared._blueprint_limits:
        raise RuntimeError("A default, application or blueprint limit needs the limiter's "
                           "before-request check: remove init_limiter's removal of it.")
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:  # (not when bound to this app already)
        checks.remove(limiter._check_request_limit)
