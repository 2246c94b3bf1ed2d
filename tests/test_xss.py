"""User text never becomes markup: every free-text field gets script and HTML payloads through
the real forms, and every page and PDF that shows it shows the text, escaped, and fetches nothing.

A new free-text field fails `test_every_free_text_field_is_covered` until it has a row in FIELDS
(where it shows) and a value in `_build_world` (the form that sets it)."""

import importlib
import inspect
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from markupsafe import escape
from pypdf import PdfReader
from sqlalchemy import select
from wtforms import PasswordField, StringField

import score_app
from score_app.auth.models import User
from score_app.enterprises.models import Person
from score_app.extensions import db
from score_app.forms import Form
from score_app.kpis.models import Measurement
from score_app.pdf import BASE_URL, StaticFilesOnly
from score_app.training.models import Certificate, Visit, Workshop
from tests.conftest import job_document, post_seen, seen_version, sign_in
from tests.plans.conftest import action_fields, png_bytes

PAYLOAD = '<script>alert(1)</script>"><img src=x onerror=alert(1)><b>bold</b>'
SHORT = '"><img src=x onerror=alert(1)><b>bold</b>'  # for fields of 60 characters
RAW = ("<script>alert", "<img src=x", "<b>bold")

PLAN_PDF = "/enterprises/{enterprise}/plan.pdf"
SIGN_IN_PDF = "/training/workshops/{workshop}/days/{day}/sign-in.pdf"
CERTIFICATE_PDF = "/certificates/{code}.pdf"
ENTERPRISE = "/enterprises/{enterprise}"
PLAN = "/enterprises/{enterprise}/plan"
ACTION = "/actions/{action}"
WORKSHOP = "/training/workshops/{workshop}"
DAY = "/training/workshops/{workshop}/days/{day}"
VERIFY = "/verify/{code}"


@dataclass(frozen=True)
class Field:
    key: str
    forms: tuple[tuple[str, str], ...]  # (form class, field name) that take this text
    pages: tuple[str, ...]
    pdfs: tuple[str, ...] = ()
    payload: str = PAYLOAD

    @property
    def value(self) -> str:
        return f"{self.key}{self.payload}"


def _action_forms(name: str) -> tuple[tuple[str, str], ...]:
    """An action's field, on the edit form and on the new-action form (which takes a photo)."""
    return (("ActionForm", name), ("NewActionForm", name))


FIELDS = [
    Field("enterprise", (("EnterpriseForm", "name"),),
          ("/enterprises", ENTERPRISE, f"{ENTERPRISE}/edit", PLAN, WORKSHOP, "/programme", VERIFY),
          (PLAN_PDF, SIGN_IN_PDF, CERTIFICATE_PDF)),
    Field("region", (("EnterpriseForm", "region"),), (ENTERPRISE, f"{ENTERPRISE}/edit")),
    Field("product", (("EnterpriseForm", "product"),), (ENTERPRISE, f"{ENTERPRISE}/edit")),
    Field("cohort", (("EnterpriseForm", "cohort"), ("FiltersForm", "cohort")),
          (ENTERPRISE, "/programme?cohort={cohort}"), payload=SHORT),
    Field("person", (("PersonForm", "full_name"),),
          ("/enterprises/{enterprise}/people", "/enterprises/{enterprise}/eit", DAY, VERIFY),
          (SIGN_IN_PDF, CERTIFICATE_PDF, PLAN_PDF)),
    Field("walkin", (("WalkInForm", "full_name"),), (DAY,), (SIGN_IN_PDF,)),
    Field("trainer", (("UserForm", "full_name"),),
          ("/admin/users", "/admin/users/{trainer}", WORKSHOP, "/training", VERIFY),
          (CERTIFICATE_PDF,)),
    Field("account", (("PreferencesForm", "full_name"),), ("/", "/account")),
    Field("token", (("TokenForm", "label"),), ("/account/tokens",)),
    Field("place", (("WorkshopForm", "place"),), ("/training", WORKSHOP), (SIGN_IN_PDF,)),
    Field("findings", (("VisitForm", "findings"),),
          ("/training/visits/{visit}", "/training/visits/{visit}/edit")),
    Field("nextsteps", (("VisitForm", "next_steps"),),
          ("/training/visits/{visit}", "/training/visits/{visit}/edit")),
    Field("comment", (("CommentForm", "comment"),), ("/measurements/{measurement}",)),
    Field("reason", (("ReasonForm", "reason"),), ("/enterprises/{enterprise}/history",)),
    Field("sendback", (("SendBackForm", "reason"),),
          ("/enterprises/{enterprise}/history", "/measurements/{measurement}")),
    Field("title", (("PlanForm", "title"),), (PLAN,), (PLAN_PDF,)),
    Field("problem", _action_forms("problem"), (PLAN, ACTION, f"{ACTION}/edit"), (PLAN_PDF,)),
    Field("rootcause", _action_forms("root_cause"), (ACTION, f"{ACTION}/edit"), (PLAN_PDF,)),
    Field("action", _action_forms("action"), (PLAN, ACTION, f"{ACTION}/edit"), (PLAN_PDF,)),
    Field("responsible", _action_forms("responsible"), (PLAN, ACTION), (PLAN_PDF,)),
    Field("caption", (("PhotoForm", "caption"), ("NewActionForm", "caption")), (ACTION,)),
    Field("search", (), ("/enterprises?q={search}", "/admin/users?q={search}")),
    Field("narrative", (("NarrativeForm", "narrative"),), ("/programme",),
          ("/programme/report.pdf",)),
]  # fmt: skip
BY_KEY = {field.key: field for field in FIELDS}

# Text fields that are never shown back as text, and why.
NOT_SHOWN = {
    ("LoginForm", "email"): "typed back on a failed sign-in: test_the_typed_email_is_escaped",
    (
        "ForgotPasswordForm",
        "email",
    ): "typed back in the answer: test_the_forgotten_email_is_escaped",
    ("UserForm", "email"): "must be a valid address; the service refuses anything else",
    ("VerifyForm", "code"): "typed back on the public check: "
    "test_a_typed_certificate_code_is_shown_back_as_text",
    ("RevokeForm", "reason"): "kept with the certificate for the record, shown nowhere",
    ("ActionForm", "target_value"): "a number; anything else is refused",
    ("ActionForm", "estimated_cost"): "a number; anything else is refused",
    ("ActionForm", "realised_savings"): "a number; anything else is refused",
    ("NewActionForm", "target_value"): "a number; anything else is refused",
    ("NewActionForm", "estimated_cost"): "a number; anything else is refused",
    ("NewActionForm", "realised_savings"): "a number; anything else is refused",
}
# Every package's forms.py, so a form added in a new package is checked too.
FORM_MODULES = tuple(
    importlib.import_module(f"score_app.{path.parent.name}.forms")
    for path in sorted(Path(score_app.__file__).parent.glob("*/forms.py"))
)


def _free_text_fields() -> set[tuple[str, str]]:
    found = set()
    for module in FORM_MODULES:
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Form) and cls.__module__ == module.__name__:
                for field_name, unbound in inspect.getmembers(cls):
                    kind = getattr(unbound, "field_class", None)
                    if kind and issubclass(kind, StringField) and kind is not PasswordField:
                        found.add((name, field_name))
    return found


def test_every_free_text_field_is_covered():
    covered = {form_field for field in FIELDS for form_field in field.forms} | set(NOT_SHOWN)
    assert _free_text_fields() - covered == set()


def _value(key: str) -> str:
    return BY_KEY[key].value


def _id_after(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/(\d+)(?:/[a-z-]*)?$", response.location).group(1))


def _posted(response):
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def _one(model, *where):
    return db.session.scalar(select(model).where(*where).order_by(model.id.desc()))


def _build_world(app, client, upload_dir) -> dict:
    """Every free-text field set through its form, as an admin; the ids of what was made."""
    app.config["SCORE_UPLOAD_DIR"] = str(upload_dir)
    enterprise = _id_after(client.post("/enterprises/new", data={
        "name": _value("enterprise"), "country": "GH", "region": _value("region"),
        "sector": "garments", "product": _value("product"), "workers_women": "60",
        "workers_men": "40", "joined_on": "2025-01-06", "cohort": _value("cohort"),
    }))  # fmt: skip
    _posted(post_seen(client, f"/enterprises/{enterprise}/consent", data={"consent": "give"}))
    person_data = {"full_name": _value("person"), "sex": "female", "job_role": "worker"}
    _posted(client.post(f"/enterprises/{enterprise}/people", data=person_data))
    with app.app_context():
        person = _one(Person, Person.enterprise_id == enterprise).id
    eit = {"members": person, f"version-{person}": "1"}  # the person as the team page lists them
    _posted(client.post(f"/enterprises/{enterprise}/eit", data=eit))
    _posted(client.post("/admin/users/new", data={
        "email": "trainer-x@example.org", "full_name": _value("trainer"), "role": "trainer",
        "new_password": "a-long-password", "enterprises": enterprise,
    }))  # fmt: skip
    _posted(post_seen(client, "/account", data={"full_name": _value("account")}))
    assert client.post("/account/tokens", data={"label": _value("token")}).status_code == 200
    with app.app_context():
        trainer = _one(User, User.email == "trainer-x@example.org").id
    workshop = _id_after(client.post("/training/workshops/new", data={
        "module_slug": "workplace-cooperation", "trainer_id": trainer, "place": _value("place"),
        "enterprise_ids": enterprise, "days-0": "2025-03-11",
    }))  # fmt: skip
    with app.app_context():
        day = db.session.get(Workshop, workshop).days[0].id
    day_url = f"/training/workshops/{workshop}/days/{day}"
    _posted(client.post(day_url, data={"present": person}))
    _posted(client.post(f"{day_url}/walk-in", data={
        "full_name": _value("walkin"), "sex": "male", "job_role": "manager",
        "enterprise_id": enterprise,
    }))  # fmt: skip
    _posted(client.post(f"/training/workshops/{workshop}/certificates", data={"locale": "en"}))
    with app.app_context():
        code = _one(Certificate, Certificate.person_id == person).code
    _posted(client.post("/training/visits/new", data={
        "enterprise_id": enterprise, "module_slug": "quality-management",
        "visit_date": "2025-04-01", "findings": _value("findings"),
        "next_steps": _value("nextsteps"),
    }))  # fmt: skip
    with app.app_context():
        visit = _one(Visit, Visit.enterprise_id == enterprise).id
    measurement = _measurement(app, client, enterprise)
    _posted(client.post(f"/enterprises/{enterprise}/plans/new",
                        data={"title": _value("title"), "started_on": "2025-02-01"}))  # fmt: skip
    texts = {name: _value(key) for name, key in (
        ("problem", "problem"), ("root_cause", "rootcause"), ("action", "action"),
        ("responsible", "responsible"),
    )}  # fmt: skip
    # A new action with its first photo (NewActionForm), then a second one (PhotoForm).
    action = _id_after(client.post(
        f"/enterprises/{enterprise}/plan/actions/new", content_type="multipart/form-data",
        data={**action_fields(**texts), "photo": (io.BytesIO(png_bytes()), "first.png"),
              "caption": _value("caption")},
    ))  # fmt: skip
    _posted(client.post("/programme/narrative", data={"narrative": _value("narrative")}))
    _posted(client.post(f"/actions/{action}/photos", content_type="multipart/form-data", data={
        "photo": (io.BytesIO(png_bytes()), "evidence.png"), "caption": _value("caption"),
    }))  # fmt: skip
    return {
        "enterprise": enterprise, "person": person, "trainer": trainer, "workshop": workshop,
        "day": day, "code": code, "visit": visit, "measurement": measurement, "action": action,
        "search": _value("search"), "cohort": _value("cohort"),
    }  # fmt: skip


def _measurement(app, client, enterprise) -> int:
    """A baseline with a comment, submitted and sent back with a reason, and a follow-up
    deleted with a reason."""
    url = f"/enterprises/{enterprise}/measurements/new?indicator=defect_rate"
    for phase, start, end, comment in (
        ("baseline", "2025-01-01", "2025-01-31", _value("comment")),
        ("follow_up", "2025-07-01", "2025-07-31", ""),
    ):
        _posted(client.post(url, data={
            "action": "save", "phase": phase, "period_start": start, "period_end": end,
            "defect_rate-defective_units": "30", "defect_rate-inspected_units": "1000",
            "defect_rate-comment": comment,
        }))  # fmt: skip
    with app.app_context():
        ids = db.session.scalars(
            select(Measurement.id)
            .where(Measurement.enterprise_id == enterprise)
            .order_by(Measurement.id)
        ).all()
    _posted(post_seen(client, f"/measurements/{ids[1]}/delete", data={"reason": _value("reason")}))
    _posted(post_seen(client, f"/measurements/{ids[0]}/submit"))
    version = seen_version(client, f"/measurements/{ids[0]}")
    _posted(client.post(
        f"/enterprises/{enterprise}/periods/baseline/2025-01-01/2025-01-31/send-back",
        data={"reason": _value("sendback"), f"version-{ids[0]}": version},
    ))  # fmt: skip
    return ids[0]


@pytest.fixture
def world(app, create_user, tmp_path):
    client = sign_in(app.test_client(), create_user("admin"))
    return client, _build_world(app, client, tmp_path)


def _assert_no_markup(page: str, where: str) -> None:
    for fragment in RAW:
        assert fragment not in page, f"{fragment!r} is markup on {where}"


def test_free_text_shows_escaped_on_every_page_that_shows_it(world):
    client, ids = world
    for field in FIELDS:
        for template in field.pages:
            url = template.format(**ids)
            response = client.get(url)
            assert response.status_code == 200, url
            page = response.get_data(as_text=True)
            _assert_no_markup(page, url)
            assert str(escape(field.value)) in page, f"{field.key} is not shown on {url}"


def _pdf_text(client, url) -> str:
    response = job_document(client, url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_free_text_prints_as_text_and_pdfs_fetch_only_static_files(world, monkeypatch):
    client, ids = world
    fetched = []
    real_fetch = StaticFilesOnly.fetch

    def recording_fetch(self, url, headers=None):
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(StaticFilesOnly, "fetch", recording_fetch)
    pdfs = {template for field in FIELDS for template in field.pdfs}
    texts = {template: _pdf_text(client, template.format(**ids)) for template in pdfs}
    for field in FIELDS:
        for template in field.pdfs:
            assert re.sub(r"\s+", "", field.value) in texts[template], (field.key, template)
    # Besides static files, the printed plan holds its actions' photos, made small in memory for
    # this document (pdf.render_pdf's images): nothing is fetched from anywhere else.
    ours = (BASE_URL + "static/", BASE_URL + "plan-photos/")
    assert fetched and all(url.startswith(ours) for url in fetched), fetched


def test_the_forgotten_email_is_escaped(client):
    email = f"x{SHORT}@example.org"
    page = client.post("/password/forgot", data={"email": email}, follow_redirects=True).get_data(
        as_text=True
    )
    _assert_no_markup(page, "/password/forgot")
    assert str(escape(email)) in page


def test_the_typed_email_is_escaped(client):
    email = f"x{SHORT}@example.org"
    page = client.post("/login", data={"email": email, "password": "x"}).get_data(as_text=True)
    _assert_no_markup(page, "/login")
    assert str(escape(email)) in page
