"""Start-up settings: SCORE_* variables, and a refusal to run without a secret key."""

import pytest

from score_app import create_app
from score_app.config import ConfigError


def test_start_up_refuses_a_missing_secret_key(monkeypatch):
    monkeypatch.delenv("SCORE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SCORE_SECRET_KEY is not set"):
        create_app()


def test_debug_runs_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SCORE_SECRET_KEY", raising=False)
    assert create_app({"DEBUG": True}).debug


def test_settings_come_from_score_environment_variables(monkeypatch):
    monkeypatch.setenv("SCORE_SECRET_KEY", "from-env")
    monkeypatch.setenv("SCORE_DATABASE_URL", "sqlite:///:memory:")
    monkeypatch.setenv("SCORE_SECTORS", "garments, cocoa")
    monkeypatch.setenv("SCORE_HTTPS", "1")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///:memory:"
    assert app.config["SCORE_SECTORS"] == ("garments", "cocoa")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_configured_sectors_are_offered_in_the_form(make_app, create_user):
    from tests.conftest import sign_in

    app = make_app(SCORE_SECTORS=("garments", "cocoa_processing"))
    client = sign_in(app.test_client(), create_user("admin"))
    page = client.get("/enterprises/new").get_data(True)
    assert 'value="cocoa_processing">Cocoa processing</option>' in page
    assert "Food processing" not in page


LOCKOUT_SETTINGS = {
    "SCORE_LOGIN_LOCKOUT_FAILURES": 3,
    "SCORE_LOGIN_LOCKOUT_MINUTES": 30,
    "SCORE_LOGIN_ACCOUNT_FAILURES": 40,
    "SCORE_LOGIN_SLOWDOWN_SECONDS": 10,
}


def test_the_account_lockout_numbers_come_from_the_environment(monkeypatch):
    for name, value in LOCKOUT_SETTINGS.items():
        monkeypatch.setenv(name, str(value))
    app = create_app({"TESTING": True})
    assert {name: app.config[name] for name in LOCKOUT_SETTINGS} == LOCKOUT_SETTINGS


@pytest.mark.parametrize("name", LOCKOUT_SETTINGS)
@pytest.mark.parametrize("value", ["0", "five"])
def test_start_up_refuses_a_lockout_that_is_not_a_positive_whole_number(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name} must be a"):
        create_app({"TESTING": True})


def test_the_import_row_limit_comes_from_the_environment_and_must_be_positive(monkeypatch):
    assert create_app({"TESTING": True}).config["SCORE_MAX_IMPORT_ROWS"] == 20_000
    monkeypatch.setenv("SCORE_MAX_IMPORT_ROWS", "5000")
    assert create_app({"TESTING": True}).config["SCORE_MAX_IMPORT_ROWS"] == 5000
    monkeypatch.setenv("SCORE_MAX_IMPORT_ROWS", "0")
    with pytest.raises(ConfigError, match="SCORE_MAX_IMPORT_ROWS must be a positive"):
        create_app({"TESTING": True})


def test_the_password_check_limit_comes_from_the_environment(monkeypatch):
    assert create_app({"TESTING": True}).config["SCORE_PASSWORD_RATE_LIMIT"] == "5 per 15 minutes"
    monkeypatch.setenv("SCORE_PASSWORD_RATE_LIMIT", "3 per hour")
    assert create_app({"TESTING": True}).config["SCORE_PASSWORD_RATE_LIMIT"] == "3 per hour"


@pytest.mark.parametrize("value", ["five per hour", "0 per minute", ""])
def test_start_up_refuses_a_password_check_limit_that_is_not_one(monkeypatch, value):
    monkeypatch.setenv("SCORE_PASSWORD_RATE_LIMIT", value)
    with pytest.raises(ConfigError, match="SCORE_PASSWORD_RATE_LIMIT must be a limit such as"):
        create_app({"TESTING": True})


@pytest.mark.parametrize(
    ("logo", "message"),
    [("logo.gif", "must be a PNG, JPEG or SVG file"), ("missing.png", "names no readable file")],
)
def test_start_up_refuses_an_organisation_logo_that_cannot_be_shown(
    monkeypatch, tmp_path, logo, message
):
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    monkeypatch.setenv("SCORE_ORGANISATION_LOGO", str(tmp_path / logo))
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True})


def test_start_up_refuses_an_empty_organisation_name(monkeypatch):
    monkeypatch.setenv("SCORE_ORGANISATION_NAME", "  ")
    with pytest.raises(ConfigError, match="SCORE_ORGANISATION_NAME is empty"):
        create_app({"TESTING": True})


def test_the_organisation_and_the_print_all_limit_come_from_the_environment(monkeypatch, tmp_path):
    (tmp_path / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    monkeypatch.setenv("SCORE_ORGANISATION_NAME", "Vietnam Chamber of Commerce")
    monkeypatch.setenv("SCORE_ORGANISATION_LOGO", str(tmp_path / "logo.svg"))
    monkeypatch.setenv("SCORE_MAX_CERTIFICATES_PER_PDF", "40")
    app = create_app({"TESTING": True})
    assert app.config["SCORE_ORGANISATION_NAME"] == "Vietnam Chamber of Commerce"
    assert app.config["SCORE_ORGANISATION_LOGO"] == str(tmp_path / "logo.svg")
    assert app.config["SCORE_MAX_CERTIFICATES_PER_PDF"] == 40


def test_rate_limits_and_sign_in_pauses_count_in_redis_when_it_is_set(monkeypatch):
    monkeypatch.delenv("SCORE_RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("SCORE_REDIS_URL", "redis://10.0.0.5:6379/2")
    app = create_app({"TESTING": True})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://10.0.0.5:6379/2"


def test_an_explicit_rate_limit_storage_wins_over_redis(monkeypatch):
    monkeypatch.setenv("SCORE_REDIS_URL", "redis://10.0.0.5:6379/2")
    monkeypatch.setenv("SCORE_RATELIMIT_STORAGE_URI", "memory://")
    assert create_app({"TESTING": True}).config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_without_redis_everything_counts_in_memory_and_photos_stay_in_the_folder(monkeypatch):
    for name in ("SCORE_REDIS_URL", "SCORE_RATELIMIT_STORAGE_URI", "SCORE_STORAGE"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"TESTING": True})
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["SCORE_STORAGE"] == "local"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SCORE_STORAGE", "s3", "SCORE_STORAGE must be one of local, database, not 's3'"),
        ("SCORE_REDIS_URL", "127.0.0.1:6379", "SCORE_REDIS_URL must start with redis://"),
    ],
)
def test_start_up_refuses_an_unknown_storage_or_redis_url(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True})
