"""`flask score ...` commands: accounts, tokens, the demo and printed documents."""

from datetime import date

from pypdf import PdfReader
from sqlalchemy import func, select

from score_app.auth.models import ApiToken, Role, User
from score_app.demo import LOGINS, PASSWORD
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.i18n import SUPPORTED_LOCALES
from score_app.training import services as training_services
from tests.catalog.conftest import write_module


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


def test_modules_check_lists_the_guides_not_written_yet_and_passes(make_app, tmp_path):
    write_module(tmp_path, "alpha", 1, locales=("en", "fr"))
    app = make_app(SCORE_MODULES_DIR=str(tmp_path))
    result = app.test_cli_runner().invoke(args=["score", "modules", "check"])
    assert result.exit_code == 0
    assert "1 modules are valid: alpha." in result.output
    missing = ", ".join(f"{loc}.md" for loc in SUPPORTED_LOCALES if loc not in ("en", "fr"))
    assert f"alpha: guide not written yet in {missing}" in result.output


def test_modules_check_lists_every_problem_and_fails(make_app, tmp_path):
    (tmp_path / "broken").mkdir()
    app = make_app(SCORE_MODULES_DIR=str(tmp_path))
    result = app.test_cli_runner().invoke(args=["score", "modules", "check"])
    assert result.exit_code == 1
    assert "broken/module.toml: -: file is missing" in result.output
    assert "broken/en.md: -: file is missing" in result.output


def _pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def _print(runner, *args):
    return runner.invoke(args=["score", "pdf", *args])


def test_pdf_plan_prints_the_plan_as_its_owner_in_the_asked_language(
    runner, create_enterprise, create_user, tmp_path
):
    enterprise = create_enterprise(name="Atelier Rabat", data_sharing_consent=True)
    owner = create_user("enterprise_owner", enterprises=[enterprise])
    path = tmp_path / "plan.pdf"
    result = _print(runner, "plan", str(enterprise.id), "--as", owner.email, "--lang", "fr",
                    "-o", str(path))  # fmt: skip
    assert result.exit_code == 0, result.output
    text = _pdf_text(path)
    assert "Atelier Rabat" in text and "Plan d'amélioration" in text


def test_pdf_plan_refuses_a_user_the_enterprise_is_not_shared_with(
    runner, create_enterprise, create_user, tmp_path
):
    enterprise = create_enterprise(data_sharing_consent=False)
    other_owner = create_user("enterprise_owner", enterprises=[create_enterprise()])
    staff = create_user("programme_staff")
    path = tmp_path / "plan.pdf"
    outsider = _print(runner, "plan", str(enterprise.id), "--as", other_owner.email, "-o", path)
    assert outsider.exit_code == 1
    assert "no such record among those this user can reach" in outsider.output
    without_consent = _print(runner, "plan", str(enterprise.id), "--as", staff.email, "-o", path)
    assert without_consent.exit_code == 1
    assert "has not agreed to share its figures" in without_consent.output
    assert not path.exists()


def test_pdf_handout_and_sign_in_sheet_print_for_their_readers(
    app, runner, create_enterprise, create_user, tmp_path
):
    handout = tmp_path / "handout.pdf"
    result = _print(runner, "handout", "quality-management", "--lang", "es", "-o", str(handout))
    assert result.exit_code == 0, result.output
    assert "Gestión de la calidad" in _pdf_text(handout)
    enterprise = create_enterprise()
    trainer = create_user("trainer", enterprises=[enterprise])
    other = create_user("trainer", enterprises=[enterprise])
    with app.app_context():
        runs = db.session.get(User, trainer.id)
        workshop = training_services.save_workshop(
            runs, None, module_slug="quality-management", trainer=runs, place="Accra hall",
            enterprise_ids=[enterprise.id], days=[date(2025, 3, 11)],
        )  # fmt: skip
        ids = (str(workshop.id), str(workshop.days[0].id))
    sheet = tmp_path / "sheet.pdf"
    assert _print(runner, "sign-in", *ids, "--as", other.email, "-o", sheet).exit_code == 1
    result = _print(runner, "sign-in", *ids, "--as", trainer.email, "-o", str(sheet))
    assert result.exit_code == 0, result.output
    assert "Accra hall" in _pdf_text(sheet)


def test_pdf_certificates_prints_a_workshops_valid_certificates_or_says_why_not(
    app, runner, create_enterprise, create_user, create_person, tmp_path
):
    enterprise = create_enterprise()
    trainer = create_user("trainer", enterprises=[enterprise])
    people = {create_person(enterprise, name) for name in ("Abena", "Kojo")}
    with app.app_context():
        runs = db.session.get(User, trainer.id)
        workshop = training_services.save_workshop(
            runs, None, module_slug="quality-management", trainer=runs, place="Accra hall",
            enterprise_ids=[enterprise.id], days=[date(2025, 3, 11)],
        )  # fmt: skip
        workshop_id = str(workshop.id)
        empty = _print(runner, "certificates", workshop_id, "--as", trainer.email)
        training_services.save_attendance(runs, workshop.days[0], people)
        training_services.issue_certificates(runs, workshop, "es")
    assert empty.exit_code == 1
    assert "There is no valid certificate to print." in empty.output
    path = tmp_path / "certificates.pdf"
    result = _print(runner, "certificates", workshop_id, "--as", trainer.email, "-o", str(path))
    assert result.exit_code == 0, result.output
    assert len(PdfReader(path).pages) == 2
    assert "Abena" in _pdf_text(path) and "Certificado de participación" in _pdf_text(path)
