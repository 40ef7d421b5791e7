"""Settings, read from the environment with safe embedded defaults.

ALMA_ENV picks the mode:
- production (the default): SECRET_KEY must be set, cookies are Secure.
- development: the local demo; a secret key is generated once into instance/.
- test: set by the test suite.
"""
import os
import secrets
import sys
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting that makes it unsafe to serve requests."""


def _flag(value, default=False):
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Stedi's documented bases (DOMAIN.md): claims under healthcare, polling under core.
STEDI_CLAIMS_URL = "https://healthcare.us.stedi.com/2024-04-01"
STEDI_POLL_URL = "https://core.us.stedi.com/2023-08-01"


def _development_secret(instance_path):
    # Sessions survive a restart of the local demo, yet no key is ever
    # committed: it is made on this machine, once.
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def from_environment(instance_path, environ=None):
    env = os.environ if environ is None else environ
    mode = env.get("ALMA_ENV", "production").strip().lower()
    debug = _flag(env.get("FLASK_DEBUG"))
    if debug and mode == "production":
        mode = "development"
    if mode not in {"production", "development", "test"}:
        raise ConfigError(f"ALMA_ENV must be production, development or test, not {mode!r}")

    secret = env.get("SECRET_KEY") or None
    if secret is None and mode == "development":
        secret = _development_secret(instance_path)

    default_db = "sqlite:///" + str(Path(instance_path) / "alma.db")
    base_url = env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    idle_minutes = int(env.get("ALMA_IDLE_TIMEOUT_MINUTES", "30"))
    return {
        "ALMA_ENV": mode,
        "SECRET_KEY": secret,
        "DATABASE_URL": env.get("DATABASE_URL", default_db),
        "BASE_URL": base_url,
        "TEAM_EMAIL": env.get("ALMA_TEAM_EMAIL", "matching@alma.example"),
        # Each result is a full screen on a phone: ten make a page.
        "DIRECTORY_PAGE_SIZE": int(env.get("ALMA_DIRECTORY_PAGE_SIZE", "10")),
        # Counting and paging stop here: a search that matches more is
        # better narrowed than paged through, and the cost stays bounded.
        "DIRECTORY_RESULT_CAP": int(env.get("ALMA_DIRECTORY_RESULT_CAP", "500")),
        "DB_POOL_SIZE": int(env.get("ALMA_DB_POOL_SIZE", "8")),
        # How long a request waits for a pooled connection before a 503.
        "DB_POOL_TIMEOUT": float(env.get("ALMA_DB_POOL_TIMEOUT", "5")),
        # Production wants PostgreSQL: a platform's disk is wiped on every deploy.
        "ALLOW_SQLITE": _flag(env.get("ALMA_ALLOW_SQLITE")),
        # Host names answered besides BASE_URL's (alma/http.py); others get 400.
        "ALLOWED_HOSTS": [host.strip().lower() for host in
                          env.get("ALMA_ALLOWED_HOSTS", "").split(",") if host.strip()],
        # Request bodies are read whole before the app runs (alma/http.py):
        # larger ones get 413, slower ones 408.
        "MAX_BODY_BYTES": int(env.get("ALMA_MAX_BODY_BYTES", str(1024 * 1024))),
        "BODY_TIMEOUT_SECONDS": float(env.get("ALMA_BODY_TIMEOUT_SECONDS", "15")),
        # Werkzeug counts multipart parts; alma/http.py counts urlencoded fields.
        "MAX_FORM_PARTS": int(env.get("ALMA_MAX_FORM_FIELDS", "1000")),
        "SESSION_COOKIE_SECURE": mode == "production" or base_url.startswith("https://"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # The session cookie lives as long as the idle timeout, never cutting it short.
        "PERMANENT_SESSION_LIFETIME": idle_minutes * 60,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_SSL_STRICT": base_url.startswith("https://"),
        "HSTS": base_url.startswith("https://"),
        "TEMPLATES_AUTO_RELOAD": mode == "development",
        # Production's one line per request. Development's server (flask run)
        # writes its own, and one line per request is enough.
        "LOG_REQUESTS": _flag(env.get("ALMA_LOG_REQUESTS"), default=mode == "production"),
        # Email: delivered by the worker from the outbox. Without SMTP_URL,
        # development prints each email and shows it at /dev/mail.
        "SMTP_URL": env.get("SMTP_URL") or None,
        "MAIL_FROM": env.get("MAIL_FROM", "Alma <hello@alma.example>"),
        "MAIL_TRANSPORT": env.get("MAIL_TRANSPORT")
        or ("smtp" if env.get("SMTP_URL") or mode == "production" else "console"),
        # Rate-limit counters, shared by every process (see rate_limit_settings).
        **rate_limit_settings(env, mode),
        # How many proxies (load balancers) set X-Forwarded-For in front of us.
        "PROXY_HOPS": int(env.get("ALMA_PROXY_HOPS", "0")),
        "IDLE_TIMEOUT_MINUTES": idle_minutes,
        # Consultation follow-ups.
        "REMIND_PROVIDER_AFTER_HOURS": int(env.get("ALMA_REMIND_PROVIDER_AFTER_HOURS", "48")),
        "SUGGEST_OTHERS_AFTER_DAYS": int(env.get("ALMA_SUGGEST_OTHERS_AFTER_DAYS", "3")),
        "EXPIRE_REQUEST_AFTER_DAYS": int(env.get("ALMA_EXPIRE_REQUEST_AFTER_DAYS", "14")),
        # Billing: the membership fee, and how payments are taken.
        "MEMBERSHIP_FEE_CENTS": int(env.get("ALMA_MEMBERSHIP_FEE_CENTS", "12500")),
        # "stripe", "local" (the test checkout: no money moves, any visitor can
        # "pay" with the test card) or "none" (no online payment). Production
        # never takes test payments unless told to, e.g. on a staging server.
        "PAYMENT_GATEWAY": env.get("ALMA_PAYMENT_GATEWAY",
                                   "none" if mode == "production" else "local"),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
        # Another address for Stripe's API (stripe-mock on a staging server).
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or None,
        # The insurance program: the group that bills (its Tax ID, NPI, address).
        "GROUP_NAME": env.get("ALMA_GROUP_NAME", "Alma Health Group"),
        # Sample values outside production; in production no claim is made without real ones.
        "GROUP_TAX_ID": env.get("ALMA_GROUP_TAX_ID") or (None if mode == "production"
                                                         else "12-3456789"),
        "GROUP_NPI": env.get("ALMA_GROUP_NPI") or (None if mode == "production"
                                                   else "1245319599"),
        "GROUP_ADDRESS": env.get("ALMA_GROUP_ADDRESS", "1 Main Street"),
        "GROUP_CITY": env.get("ALMA_GROUP_CITY", "New York"),
        "GROUP_STATE": env.get("ALMA_GROUP_STATE", "NY"),
        "GROUP_ZIP": env.get("ALMA_GROUP_ZIP", "100010001"),
        "GROUP_PHONE": env.get("ALMA_GROUP_PHONE", "2125550100"),
        # Benefit checks: "sandbox" (a local clearinghouse answering documented
        # test members; no insurer is asked), "http" (a real clearinghouse at
        # ELIGIBILITY_URL: Stedi's base address or the endpoint's full address) or
        # "none". Production never answers from the sandbox unless told to. Payers can
        # take up to a minute to answer (Stedi's docs): the wait is a minute by default.
        "ELIGIBILITY_GATEWAY": env.get("ALMA_ELIGIBILITY_GATEWAY",
                                       "none" if mode == "production" else "sandbox"),
        "ELIGIBILITY_URL": env.get("ALMA_ELIGIBILITY_URL") or None,
        "ELIGIBILITY_API_KEY": env.get("ALMA_ELIGIBILITY_API_KEY") or None,
        "ELIGIBILITY_TIMEOUT_SECONDS": float(env.get("ALMA_ELIGIBILITY_TIMEOUT_SECONDS",
                                                     "60")),
        # Claims: "sandbox" (a local clearinghouse answering as payers would for
        # documented test members; its state in CLAIMS_SANDBOX_PATH), "http" (Stedi's
        # claims and polling APIs at CLAIMS_URL and CLAIMS_POLL_URL) or "none" (claims
        # wait, ready, until one is set). Production never sends to the sandbox unless told.
        "CLAIMS_GATEWAY": env.get("ALMA_CLAIMS_GATEWAY",
                                  "none" if mode == "production" else "sandbox"),
        "CLAIMS_URL": env.get("ALMA_CLAIMS_URL") or STEDI_CLAIMS_URL,
        "CLAIMS_POLL_URL": env.get("ALMA_CLAIMS_POLL_URL") or STEDI_POLL_URL,
        "CLAIMS_API_KEY": env.get("ALMA_CLAIMS_API_KEY") or None,
        "CLAIMS_TIMEOUT_SECONDS": float(env.get("ALMA_CLAIMS_TIMEOUT_SECONDS", "60")),
        "CLAIMS_SANDBOX_PATH": env.get("ALMA_CLAIMS_SANDBOX_PATH")
        or str(Path(instance_path) / "claims-sandbox.json"),
        # The payers whose networks the group contracts with (slugs, in order).
        "PROGRAM_PAYERS": [slug.strip() for slug in env.get("ALMA_PROGRAM_PAYERS",
                                                            "optum,aetna").split(",")
                           if slug.strip()],
        # Credentialing takes about this long from submission (the group's figure).
        "CREDENTIALING_EXPECTED_DAYS": int(env.get("ALMA_CREDENTIALING_EXPECTED_DAYS", "45")),
        # The Client Matching team's target: a proposal within so many business days.
        "MATCH_TARGET_BUSINESS_DAYS": int(env.get("ALMA_MATCH_TARGET_BUSINESS_DAYS", "1")),
    }


def rate_limit_settings(env, mode):
    """Where limits are counted: RATELIMIT_STORAGE_URI, else REDIS_URL (set by PaaS add-ons).

    Production has no default: counting in each process's memory would multiply every
    limit by the number of processes, so it must be asked for (memory://, for one process)
    and check_can_serve refuses to serve without either.
    """
    storage = env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL")
    settings = {
        # memory:// until check_can_serve refuses (the app still imports, for tooling).
        "RATELIMIT_STORAGE_URI": storage or "memory://",
        "RATELIMIT_STORE_MISSING": storage is None and mode == "production",
        # Off by default only in the test suite, whose tests of limits turn them on.
        "RATELIMIT_ENABLED": _flag(env.get("ALMA_RATELIMIT"), default=mode != "test"),
        # Redis down: count in this process's memory until it answers again (checked with
        # a growing pause), rather than refuse every limited page (fail closed) or stop
        # counting (fail open). Any other storage error lets the request through: a
        # counter is never worth a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
    }
    if storage and not storage.startswith("memory://"):
        # An unreachable Redis costs a request half a second at most, then the fallback
        # takes over.
        settings["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 0.5,
                                                 "socket_timeout": 0.5}
    return settings


GATEWAYS = ("stripe", "local", "none")
ELIGIBILITY_GATEWAYS = ("sandbox", "http", "none")
CLAIMS_GATEWAYS = ("sandbox", "http", "none")


def check_database(config):
    """Refuse a database that production would lose: SQLite, unless asked for."""
    url = config.get("DATABASE_URL") or ""
    if config.get("ALMA_ENV") == "production" and url.startswith("sqlite") \
            and not config.get("ALLOW_SQLITE"):
        raise ConfigError(
            "DATABASE_URL is not set (or is SQLite): production needs PostgreSQL, "
            "e.g. postgresql://user:password@host:5432/alma, since a platform's disk is "
            "wiped on every deploy. If SQLite on this machine's disk is what you intend, "
            "set ALMA_ALLOW_SQLITE=1.")


def check_can_serve(config, workers=1):
    """Refuse to serve with settings that would be unsafe (`workers`: processes serving)."""
    if not config.get("SECRET_KEY"):
        raise ConfigError(
            "SECRET_KEY is not set. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_hex(32))'), "
            "or run with ALMA_ENV=development for the local demo."
        )
    check_database(config)
    eligibility = config.get("ELIGIBILITY_GATEWAY", "none")
    if eligibility not in ELIGIBILITY_GATEWAYS:
        raise ConfigError("ALMA_ELIGIBILITY_GATEWAY must be one of "
                          f"{', '.join(ELIGIBILITY_GATEWAYS)}.")
    if eligibility == "http" and not config.get("ELIGIBILITY_URL"):
        raise ConfigError("ALMA_ELIGIBILITY_GATEWAY=http needs ALMA_ELIGIBILITY_URL.")
    claims = config.get("CLAIMS_GATEWAY", "none")
    if claims not in CLAIMS_GATEWAYS:
        raise ConfigError(f"ALMA_CLAIMS_GATEWAY must be one of {', '.join(CLAIMS_GATEWAYS)}.")
    if claims == "http" and not config.get("CLAIMS_API_KEY"):
        raise ConfigError("ALMA_CLAIMS_GATEWAY=http needs ALMA_CLAIMS_API_KEY.")
    gateway = config.get("PAYMENT_GATEWAY")
    if gateway not in GATEWAYS:
        raise ConfigError(f"ALMA_PAYMENT_GATEWAY must be one of {', '.join(GATEWAYS)}.")
    if gateway == "stripe" and not (config.get("STRIPE_SECRET_KEY")
                                    and config.get("STRIPE_WEBHOOK_SECRET")):
        raise ConfigError("ALMA_PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY and "
                          "STRIPE_WEBHOOK_SECRET.")
    check_rate_limits(config, workers)


def check_rate_limits(config, workers=1):
    """Limits must mean what they say: counted once for every process that serves."""
    if not config.get("RATELIMIT_ENABLED", True):
        return
    storage = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if config.get("RATELIMIT_STORE_MISSING"):
        raise ConfigError(
            "Rate limits need a store shared by every process: set REDIS_URL (or "
            "RATELIMIT_STORAGE_URI=redis://…). For a single process, "
            "RATELIMIT_STORAGE_URI=memory:// counts in its memory.")
    if storage.startswith("memory://") and workers > 1:
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI=memory:// counts in each process: with {workers} workers "
            f"every limit would allow {workers} times what it says. Set REDIS_URL, or run "
            "one worker (WEB_CONCURRENCY=1).")


def main():
    """Exit non-zero, saying why, if these settings can't serve.

    gunicorn.conf.py runs it in a separate interpreter, so that gunicorn's
    master process never imports the app (see there): `python -c … WORKERS`.
    """
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    try:
        check_can_serve(from_environment(instance_path="instance"), workers=workers)
    except ConfigError as problem:
        print(problem, file=sys.stderr)
        raise SystemExit(1)
