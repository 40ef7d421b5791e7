"""The application factory: the top of the layers (docs/ARCHITECTURE.md), importing every
feature and the core to make one app."""
import logging
from pathlib import Path

from flask import Flask, abort
from werkzeug.middleware.proxy_fix import ProxyFix

from alma import (assets, cli, db, errors, health, http, inputs, logs, schedule, security,
                  templating, web)
from alma.accounts import views as accounts
from alma.benefits.views import bp as benefits_bp
from alma.billing.views import bp as billing_bp
from alma.billing_desk import money as _desk_money  # noqa: F401 (its routes, on desk_bp)
from alma.billing_desk import refunds as _desk_refunds  # noqa: F401 (its routes, on desk_bp)
from alma.billing_desk.views import bp as desk_bp
from alma.claims import money as _claims_money  # noqa: F401 (its money_moved receiver)
from alma.claims.queue_views import bp as claims_queue_bp
from alma.claims.reconcile_views import bp as reconcile_bp
from alma.claims.views import bp as claims_bp
from alma.clients.views import bp as clients_bp
from alma.config import ConfigError, check_can_serve, from_environment
from alma.consultations.inbox import bp as inbox_bp
from alma.consultations.views import bp as consultations_bp
from alma.demo.views import bp as demo_bp
from alma.directory.views import bp as directory_bp
from alma.extensions import csrf, htmx, init_limiter
from alma.mail.views import bp as dev_mail_bp
from alma.matching.views import bp as matching_bp
from alma.membership.views import bp as membership_bp
from alma.payouts import money as _payouts_money  # noqa: F401 (its money_moved receiver)
from alma.payouts.views import bp as payouts_bp
from alma.practice import invoices as _practice_invoices  # noqa: F401 (its routes, on practice_bp)
from alma.practice.views import bp as practice_bp
from alma.program.credentialing_views import bp as credentialing_bp
from alma.program.views import bp as program_bp
from alma.selfpay.views import bp as selfpay_bp
from alma.team.views import bp as team_bp

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.url_map.converters["int"] = web.RowId
    overrides = dict(config or {})
    instance_path = overrides.get("INSTANCE_PATH", app.instance_path)
    app.config.from_mapping(from_environment(instance_path))
    app.config.update(overrides)

    logs.init_app(app)
    db.init_app(app)
    http.init_app(app)  # before CSRF reads a form, and inside ProxyFix
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    csrf.init_app(app)
    htmx.init_app(app)
    inputs.init_app(app)  # after htmx, which sets its own request class
    init_limiter(app)
    security.init_app(app)
    assets.init_app(app, instance_path)
    errors.init_app(app)
    cli.init_app(app)
    schedule.init_app(app)
    templating.init_app(app)
    _refuse_to_serve_if_unsafe(app)

    accounts.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(directory_bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(consultations_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(clients_bp)
    app.register_blueprint(team_bp)
    app.register_blueprint(membership_bp)
    app.register_blueprint(practice_bp)
    app.register_blueprint(billing_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(benefits_bp)
    app.register_blueprint(program_bp)
    app.register_blueprint(credentialing_bp)
    app.register_blueprint(claims_bp)
    app.register_blueprint(reconcile_bp)
    app.register_blueprint(payouts_bp)
    app.register_blueprint(claims_queue_bp)
    app.register_blueprint(selfpay_bp)
    if app.config["ALMA_ENV"] == "development":
        app.register_blueprint(dev_mail_bp)
        app.register_blueprint(demo_bp)
    cli.refuse_without_database(app)
    return app


def _refuse_to_serve_if_unsafe(app):
    # Importing the app must work without settings (for tooling and the
    # release command), so the refusal happens when a request arrives, and
    # gunicorn.conf.py refuses to start at all.
    try:
        check_can_serve(app.config)
    except ConfigError as problem:
        message = str(problem)
        logging.getLogger("alma").error("Refusing to serve: %s", message)

        @app.before_request
        def _refuse():
            abort(503)
