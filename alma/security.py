"""Security headers every response carries.

The Content-Security-Policy allows no inline script or style: all of it is
served from static/, and htmx is configured (in base.html's meta tag) not to
inject styles or evaluate code.
"""

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


def init_app(app):
    @app.after_request
    def _security_headers(response):
        for name, value in headers_for(app.config).items():
            response.headers.setdefault(name, value)
        return response
