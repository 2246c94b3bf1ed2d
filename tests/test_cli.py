"""`flask score ...` commands: accounts, tokens and the demo."""

from sqlalchemy import func, select

from score_app.auth.models import ApiToken, Role, User
from score_app.demo import LOGINS, PASSWORD
from score_app.enterprises.models import Enterprise
from score_app.extensions import db


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_create_user_with_role_and_scope(app, runner, create_enterprise):
    enterprise = create_enterprise()
    result = runner.invoke(
        args=[
            "score",
            "create-user",
            "ama@example.org",
            "--role",
            "trainer",
            "--password",
            "a-long-password",
            "--enterprise",
            str(enterprise.id),
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.role == Role.TRAINER
        assert [e.id for e in user.enterprises] == [enterprise.id]


def test_create_user_refuses_bad_input_with_messages(app, runner):
    result = runner.invoke(
        args=[
            "score",
            "create-user",
            "x@example.org",
            "--role",
            "trainer",
            "--password",
            "short",
            "--country",
            "GH",
        ]
    )
    assert result.exit_code == 1
    assert "password: Use at least 10 characters." in result.output
    assert "countries: Only programme staff have countries in their scope." in result.output
    assert _count(app, User) == 0


def test_token_prints_a_working_token_as_its_last_line(app, runner, create_user):
    user = create_user("trainer")
    result = runner.invoke(args=["score", "token", user.email])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    response = app.test_client().get(
        "/api/v1/enterprises", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert _count(app, ApiToken) == 1


def test_token_for_an_unknown_email_fails(runner):
    result = runner.invoke(args=["score", "token", "nobody@example.org"])
    assert result.exit_code == 1


def test_demo_loads_then_refuses_a_database_with_data(app, runner):
    first = runner.invoke(args=["score", "demo"])
    assert first.exit_code == 0, first.output
    assert PASSWORD in first.output
    enterprises = _count(app, Enterprise)
    second = runner.invoke(args=["score", "demo"])
    assert second.exit_code == 1
    assert "--reset" in second.output
    kept = runner.invoke(args=["score", "demo", "--keep-existing"])
    assert kept.exit_code == 0 and "admin@example.org" in kept.output
    assert _count(app, Enterprise) == enterprises


def test_demo_reset_replaces_everything(app, runner, create_user):
    create_user("trainer", email="someone@example.org")
    result = runner.invoke(args=["score", "demo", "--reset"])
    assert result.exit_code == 0
    with app.app_context():
        emails = set(db.session.scalars(select(User.email)))
    assert emails == {email for email, _role in LOGINS}


def test_modules_check_passes_on_the_real_folder(runner):
    result = runner.invoke(args=["score", "modules", "check"])
    assert result.exit_code == 0
    assert "5 modules are valid" in result.output


def test_modules_check_lists_every_problem_and_fails(make_app, tmp_path):
    (tmp_path / "broken").mkdir()
    app = make_app(SCORE_MODULES_DIR=str(tmp_path))
    result = app.test_cli_runner().invoke(args=["score", "modules", "check"])
    assert result.exit_code == 1
    assert "broken/module.toml: -: file is missing" in result.output
    assert "broken/en.md: -: file is missing" in result.output
