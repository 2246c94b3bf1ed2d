"""score_app: enterprise training and workplace improvement."""

import sqlite3

import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from score_app import compression, i18n, static_files
from score_app.config import MIGRATIONS_DIR, load_config, validate_config
from score_app.extensions import babel, csrf, db, limiter, mailer, migrate
from score_app.request_args import DatabaseIdConverter


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, user loading, pages, API, commands and error pages."""
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = DatabaseIdConverter
    app.config.update(load_config(app.instance_path))
    app.config.update(config or {})
    validate_config(app.config)
    app.json.sort_keys = False  # API objects keep the documented field order

    if app.config["SCORE_PROXIES"]:
        # Behind N reverse proxies: trust their X-Forwarded-* headers for address, host, scheme.
        n = app.config["SCORE_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    _init_extensions(app)
    _register_blueprints(app)
    _register_job_kinds()
    _register_commands(app)
    _register_request_hooks(app)
    _register_template_filters(app)
    return app


def _init_extensions(app: Flask) -> None:
    from score_app.auth.loading import init_login
    from score_app.programme import results_cache

    # First registered, so their after_request hooks run last, on the finished answer.
    compression.init_app(app)
    static_files.init_app(app)
    db.init_app(app)
    with app.app_context():
        sa.event.listen(db.engine, "connect", _configure_sqlite)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    mailer.init_app(app)
    init_login(app)
    i18n.init_app(app)
    results_cache.init_app(app)


def _configure_sqlite(dbapi_connection, _record) -> None:
    """SQLite checks foreign keys, and applies their ON DELETE rules, only on connections that
    ask; PostgreSQL always does, so both keep the same rows. A database file is kept in WAL mode
    with synchronous=NORMAL: a commit appends to the log without waiting for the disk, so a
    trainer's taps each cost a write, not a flush (a crash of the machine may lose the last
    commits, never corrupt the file); readers no longer wait for a writer."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        dbapi_connection.execute("PRAGMA journal_mode = WAL")
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")


def _register_blueprints(app: Flask) -> None:
    from score_app.api.docs import bp as api_docs_bp
    from score_app.api.views import bp as api_bp
    from score_app.auth.views import bp as auth_bp
    from score_app.catalog.views import bp as catalog_bp
    from score_app.documents.views import bp as documents_bp
    from score_app.enterprises.views import bp as enterprises_bp
    from score_app.health import bp as health_bp
    from score_app.home.views import bp as home_bp
    from score_app.jobs.views import bp as jobs_bp
    from score_app.kpis.views import bp as kpis_bp
    from score_app.offline.views import bp as offline_bp
    from score_app.plans.views import bp as plans_bp
    from score_app.programme.views import bp as programme_bp
    from score_app.training.views import bp as training_bp
    from score_app.users.views import bp as users_bp
    from score_app.visits.views import bp as visits_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(users_bp)
    app.register_blueprint(enterprises_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(training_bp)
    app.register_blueprint(kpis_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(visits_bp)
    app.register_blueprint(programme_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    app.register_blueprint(api_docs_bp)


def _register_job_kinds() -> None:
    """The work that runs as background jobs, each kind named by the domain that does it."""
    from score_app.documents import jobs as document_jobs
    from score_app.programme import jobs as import_jobs

    import_jobs.register()
    document_jobs.register()


def _register_commands(app: Flask) -> None:
    from score_app.cli import score_cli

    app.cli.add_command(score_cli)


def _register_request_hooks(app: Flask) -> None:
    from score_app.auth.access import require_login
    from score_app.errors import end_transaction, forget_lost_connection, register_error_handlers
    from score_app.security import refuse_nul_characters, set_security_headers

    app.before_request(refuse_nul_characters)
    app.before_request(require_login)
    app.after_request(set_security_headers)
    # Hooks run last registered first: the 503 that ending the transaction may answer gets the
    # security headers too, and the lost connection is forgotten before Flask-SQLAlchemy's own
    # teardown would fail on it.
    app.after_request(end_transaction)
    app.teardown_appcontext(forget_lost_connection)
    register_error_handlers(app)


def _register_template_filters(app: Flask) -> None:
    from flask_login import current_user

    from score_app.auth import policy
    from score_app.auth.forms import role_label
    from score_app.charts import chart_style
    from score_app.enterprises.forms import JOB_ROLE_LABELS, SEX_LABELS, sector_label
    from score_app.enterprises.models import JobRole, Sex
    from score_app.i18n import format_number
    from score_app.kpis.checks import warning_text
    from score_app.kpis.forms import audit_label, phase_label, status_label
    from score_app.organisation import current_organisation
    from score_app.plans.forms import action_status_label

    app.jinja_env.filters.update(
        role_label=role_label,
        sector_label=sector_label,
        sex_label=lambda sex: str(SEX_LABELS[Sex(sex)]),
        job_role_label=lambda role: str(JOB_ROLE_LABELS[JobRole(role)]),
        status_label=status_label,
        phase_label=phase_label,
        audit_label=audit_label,
        action_status_label=action_status_label,
        indicator_value=lambda value, indicator: format_number(value, indicator.decimals),
        warning_text=warning_text,
    )
    app.jinja_env.globals.update(
        SEXES=list(Sex),
        JOB_ROLES=list(JobRole),
        can=lambda action: policy.can(current_user, action),
        policy=policy,
        chart_style=chart_style,
        organisation=current_organisation,
    )
