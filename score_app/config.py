"""Configuration: defaults in code, SCORE_* environment variables, checks at start-up."""

import os
from pathlib import Path

from limits import parse

# The Alembic revisions, beside the package: the app's migrations and backups read them.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

DEFAULT_SECTORS = (
    "garments",
    "textiles",
    "leather_footwear",
    "automotive_parts",
    "wood_furniture",
    "food_processing",
    "machinery",
    "other",
)


DEFAULT_ORGANISATION_NAME = "SCORE Programme (demo)"
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")
STORAGE_KINDS = ("local", "database")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class ConfigError(RuntimeError):
    """The configuration cannot run the app; the message says what to set."""


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load_config(instance_path: str) -> dict:
    """Return the settings from code defaults and the environment."""
    https = _env_bool("SCORE_HTTPS", False)
    return {
        "SECRET_KEY": os.environ.get("SCORE_SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "SCORE_DATABASE_URL", "sqlite:///" + str(Path(instance_path) / "score.db")
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SCORE_SECTORS": _env_list("SCORE_SECTORS", DEFAULT_SECTORS),
        "SCORE_MODULES_DIR": os.environ.get("SCORE_MODULES_DIR", str(PROJECT_ROOT / "modules")),
        "SCORE_PAGE_SIZE": os.environ.get("SCORE_PAGE_SIZE", "20"),
        # Evidence photos: kept outside static/, served only to users in scope.
        "SCORE_UPLOAD_DIR": os.environ.get(
            "SCORE_UPLOAD_DIR", str(Path(instance_path) / "uploads")
        ),
        "SCORE_MAX_PHOTO_MB": os.environ.get("SCORE_MAX_PHOTO_MB", "5"),
        # Where their bytes are kept: "local" (the folder above, one server) or "database"
        # (a table every app server reads; the database's backup holds them).
        "SCORE_STORAGE": os.environ.get("SCORE_STORAGE", "local").strip().lower(),
        # Redis, shared by every app server and worker: rate limits, sign-in pauses, background
        # jobs. Empty: counts in each process's memory, jobs in the request (one server).
        "SCORE_REDIS_URL": os.environ.get("SCORE_REDIS_URL", "").strip(),
        # Measurement files between their preview and their saving.
        "SCORE_IMPORT_DIR": os.environ.get(
            "SCORE_IMPORT_DIR", str(Path(instance_path) / "imports")
        ),
        "SCORE_MAX_IMPORT_MB": os.environ.get("SCORE_MAX_IMPORT_MB", "10"),
        # Rows below a measurement file's header, empty ones included: a check reads each row
        # twice, so this bounds the time and memory one import takes from a worker.
        "SCORE_MAX_IMPORT_ROWS": os.environ.get("SCORE_MAX_IMPORT_ROWS", "20000"),
        "SCORE_PUBLIC_URL": os.environ.get("SCORE_PUBLIC_URL", "").rstrip("/"),
        # Who issues the certificates: printed on them, on their public check and on the
        # improvement plan's first page, with the logo when a file is given.
        "SCORE_ORGANISATION_NAME": os.environ.get(
            "SCORE_ORGANISATION_NAME", DEFAULT_ORGANISATION_NAME
        ).strip(),
        "SCORE_ORGANISATION_LOGO": os.environ.get("SCORE_ORGANISATION_LOGO", "").strip(),
        # Certificates in one "print all" PDF: each page takes the renderer a moment.
        "SCORE_MAX_CERTIFICATES_PER_PDF": os.environ.get("SCORE_MAX_CERTIFICATES_PER_PDF", "100"),
        # Codes not found on the public certificate check, per address: found ones never count.
        "SCORE_VERIFY_RATE_LIMIT": os.environ.get("SCORE_VERIFY_RATE_LIMIT", "20 per 10 minutes"),
        "SCORE_PROXIES": os.environ.get("SCORE_PROXIES", "0"),
        # A document a job made is kept for download this long, up to this size.
        "SCORE_JOB_KEEP_HOURS": os.environ.get("SCORE_JOB_KEEP_HOURS", "24"),
        "SCORE_JOB_MAX_FILE_MB": os.environ.get("SCORE_JOB_MAX_FILE_MB", "50"),
        # Outgoing mail (invitations, password resets) through this SMTP server; with none set,
        # each mail is written to the log instead (the demo, a developer's machine).
        "MAIL_SERVER": os.environ.get("SCORE_MAIL_SERVER", ""),
        "MAIL_PORT": os.environ.get("SCORE_MAIL_PORT", "25"),
        "MAIL_USERNAME": os.environ.get("SCORE_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("SCORE_MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _env_bool("SCORE_MAIL_STARTTLS", False),
        "MAIL_USE_SSL": _env_bool("SCORE_MAIL_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get("SCORE_MAIL_SENDER", "score@localhost"),
        # Flask-Mail would keep mails back under TESTING; without a server they go to the log.
        "MAIL_SUPPRESS_SEND": False,
        "SCORE_FORGOT_RATE_LIMIT": os.environ.get("SCORE_FORGOT_RATE_LIMIT", "5 per minute"),
        "SCORE_PASSWORD_HASH_METHOD": os.environ.get("SCORE_PASSWORD_HASH_METHOD", "scrypt"),
        "SCORE_MIN_PASSWORD_LENGTH": 10,
        "SCORE_HTTPS": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # Set explicitly, or else Redis when SCORE_REDIS_URL names it (see validate_config).
        "RATELIMIT_STORAGE_URI": os.environ.get("SCORE_RATELIMIT_STORAGE_URI", ""),
        # The 429 answers write their own Retry-After, the same wait their message gives
        # (errors.py `try_again_in`); Flask-Limiter's headers would rewrite it.
        "RATELIMIT_HEADERS_ENABLED": False,
        "SCORE_LOGIN_RATE_LIMIT": os.environ.get("SCORE_LOGIN_RATE_LIMIT", "10 per minute"),
        # This many failed sign-ins for one email from one address (or known device) within
        # the minutes pause that address's sign-in to the account for the minutes.
        "SCORE_LOGIN_LOCKOUT_FAILURES": os.environ.get("SCORE_LOGIN_LOCKOUT_FAILURES", "5"),
        "SCORE_LOGIN_LOCKOUT_MINUTES": os.environ.get("SCORE_LOGIN_LOCKOUT_MINUTES", "15"),
        # This many for one email from everywhere within those minutes slow its sign-in from
        # devices it never signed in from to one attempt every so many seconds.
        "SCORE_LOGIN_ACCOUNT_FAILURES": os.environ.get("SCORE_LOGIN_ACCOUNT_FAILURES", "20"),
        "SCORE_LOGIN_SLOWDOWN_SECONDS": os.environ.get("SCORE_LOGIN_SLOWDOWN_SECONDS", "30"),
        # "N per M minutes": N wrong current passwords for one signed-in account within M
        # minutes pause its password change for M minutes (the right password is refused too).
        "SCORE_PASSWORD_RATE_LIMIT": os.environ.get(
            "SCORE_PASSWORD_RATE_LIMIT", "5 per 15 minutes"
        ),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(
            Path(__file__).resolve().parent.parent / "translations"
        ),
    }


POSITIVE_NUMBERS = (
    "SCORE_PAGE_SIZE",
    "MAIL_PORT",
    "SCORE_MAX_PHOTO_MB",
    "SCORE_MAX_IMPORT_MB",
    "SCORE_MAX_IMPORT_ROWS",
    "SCORE_LOGIN_LOCKOUT_FAILURES",
    "SCORE_LOGIN_LOCKOUT_MINUTES",
    "SCORE_LOGIN_ACCOUNT_FAILURES",
    "SCORE_LOGIN_SLOWDOWN_SECONDS",
    "SCORE_MAX_CERTIFICATES_PER_PDF",
    "SCORE_JOB_KEEP_HOURS",
    "SCORE_JOB_MAX_FILE_MB",
)
WHOLE_NUMBERS = ("SCORE_PROXIES", *POSITIVE_NUMBERS)


def validate_config(config) -> None:
    """Refuse to start with settings that would make the app unsafe or broken."""
    if not config.get("SECRET_KEY") and not (config.get("DEBUG") or config.get("TESTING")):
        raise ConfigError(
            "SCORE_SECRET_KEY is not set. Set it to a long random value before starting the app, "
            "for example: export SCORE_SECRET_KEY=$(python -c 'import secrets; "
            "print(secrets.token_hex(32))')"
        )
    if not config["SCORE_SECTORS"]:
        raise ConfigError("SCORE_SECTORS is empty: list at least one sector code, comma-separated.")
    for name in WHOLE_NUMBERS:
        try:
            config[name] = int(config[name])
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a whole number, not {config[name]!r}.") from None
    for name in POSITIVE_NUMBERS:
        if config[name] < 1:
            raise ConfigError(f"{name} must be a positive whole number.")
    _check_shared_services(config)
    _check_limit(config, "SCORE_PASSWORD_RATE_LIMIT")
    _check_limit(config, "SCORE_VERIFY_RATE_LIMIT")
    _check_organisation(config)
    _check_limit(config, "SCORE_FORGOT_RATE_LIMIT")
    # A request may carry one photo or one measurement file, and its form; anything far larger
    # is cut off at once (413).
    if config.get("MAX_CONTENT_LENGTH") is None:
        largest = max(config["SCORE_MAX_PHOTO_MB"] * 3, config["SCORE_MAX_IMPORT_MB"])
        config["MAX_CONTENT_LENGTH"] = (largest + 1) * 1_000_000


def _check_shared_services(config) -> None:
    """A known photo storage, a Redis URL that is one, and the rate limits counted in Redis
    when it is set, unless SCORE_RATELIMIT_STORAGE_URI says otherwise."""
    if config["SCORE_STORAGE"] not in STORAGE_KINDS:
        raise ConfigError(
            f"SCORE_STORAGE must be one of {', '.join(STORAGE_KINDS)}, "
            f"not {config['SCORE_STORAGE']!r}."
        )
    redis_url = config["SCORE_REDIS_URL"]
    if redis_url and not redis_url.startswith(REDIS_SCHEMES):
        raise ConfigError("SCORE_REDIS_URL must start with redis://, rediss:// or unix://.")
    if not config.get("RATELIMIT_STORAGE_URI"):
        config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"


def _check_limit(config, name: str) -> None:
    """A rate limit such as "5 per 15 minutes", of at least one attempt."""
    try:
        amount = parse(config[name]).amount
    except ValueError:
        amount = 0
    if amount < 1:
        raise ConfigError(
            f"{name} must be a limit such as '5 per 15 minutes', not {config[name]!r}."
        )


def _check_organisation(config) -> None:
    """A name to print, and a logo that is an existing PNG, JPEG or SVG file when one is set."""
    if not config["SCORE_ORGANISATION_NAME"]:
        raise ConfigError("SCORE_ORGANISATION_NAME is empty: set the name printed on certificates.")
    logo = config["SCORE_ORGANISATION_LOGO"]
    if not logo:
        return
    if Path(logo).suffix.lower() not in LOGO_SUFFIXES:
        raise ConfigError(f"SCORE_ORGANISATION_LOGO must be a PNG, JPEG or SVG file, not {logo!r}.")
    if not Path(logo).is_file():
        raise ConfigError(f"SCORE_ORGANISATION_LOGO names no readable file: {logo!r}.")
