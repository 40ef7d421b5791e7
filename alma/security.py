"""Security headers every response carries, and the session cookie's signer.

The Content-Security-Policy allows no inline script or style: all of it is
served from static/, and htmx is configured (in base.html's meta tag) not to
inject styles or evaluate code.
"""
from flask.sessions import SecureCookieSessionInterface

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def headers_for(config):
    """The security headers of every response: Flask's, and WhiteNoise's (alma/assets.py)."""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if config.get("HSTS"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, their signer made once per set of keys rather
    than on every request (it was a twentieth of a public page's time)."""

    def __init__(self):
        self._signers = {}

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(keys)
        if signer is None:
            signer = self._signers[keys] = super().get_signing_serializer(app)
        return signer


def init_app(app):
    app.session_interface = SessionCookies()
    every = list(headers_for(app.config).items())

    @app.after_request
    def _security_headers(response):
        present = {name.lower() for name in response.headers.keys()}
        response.headers.extend([(name, value) for name, value in every
                                 if name.lower() not in present])
        return response
