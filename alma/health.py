"""Liveness for load balancers: 200 when the database answers, 503 otherwise."""
import logging

from flask import Blueprint, jsonify

from alma.db import db

bp = Blueprint("health", __name__)
log = logging.getLogger("alma.health")


@bp.get("/healthz")
def healthz():
    try:
        db.execute_sql("SELECT 1").fetchone()
    except Exception as problem:  # any failure to answer means unhealthy
        log.warning("database check failed: %s", problem)
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200
