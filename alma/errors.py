"""Error pages: a plain explanation, never a stack trace."""
import logging

from flask import g, render_template
from flask_wtf.csrf import CSRFError
from peewee import InterfaceError, OperationalError
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("alma.errors")

MESSAGES = {
    400: ("This request could not be understood",
          "Something in the address or the form was not what we expected. Go back and try again."),
    401: ("Please open this from your email",
          "For your privacy, this page opens from the link in the emails we send you."),
    403: ("You can't do that here", "This page is not available to you."),
    404: ("We can't find that page",
          "The link may be old or mistyped. The directory is a good place to start again."),
    405: ("That didn't work", "This page can't be used that way."),
    408: ("That took too long", "What was sent did not arrive in time. Please check your "
                                "connection and send it again."),
    413: ("That was too much to send", "The form was larger, or had more fields, than this "
                                       "page accepts. Nothing was saved."),
    429: ("Too many tries", "That was tried too often from here. Please wait a while "
                            "(some limits count by the hour) and try again."),
    500: ("Something went wrong on our side",
          "We have been told about it. Please try again in a moment."),
    503: ("We're not available right now", "Please try again in a few minutes."),
}


def render_error(status, title=None, detail=None):
    default_title, default_detail = MESSAGES.get(status, MESSAGES[500])
    body = render_template(
        "errors/error.html",
        status=status,
        title=title or default_title,
        detail=detail or default_detail,
        request_id=g.get("request_id"),
    )
    return body, status


def init_app(app):
    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_error(
            400, "This form has expired",
            "For your safety, forms stop working after a while or when opened in another "
            "browser. Go back, reload the page, and send it again: nothing was saved.")

    @app.errorhandler(HTTPException)
    def _http_error(error):
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code)
        if error.code == 405 and error.valid_methods:
            return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return _http_error(error)
        # MaxConnectionsExceeded: every pooled connection stayed busy past ALMA_DB_POOL_TIMEOUT.
        if isinstance(error, (OperationalError, InterfaceError, MaxConnectionsExceeded)):
            log.error("database unavailable: %s", error,
                      extra={"fields": {"request_id": g.get("request_id")}})
            return render_error(503)
        log.exception("unhandled error", extra={"fields": {"request_id": g.get("request_id")}})
        return render_error(InternalServerError.code)
