"""Every route x every role -> the status the access policy promises.

The world: enterprise `mine` (Ghana) with a trainer and an owner as members, enterprise `other`
(South Africa) with no members, programme staff scoped to Ghana. Out-of-scope objects answer 404.
A route added without a row here fails `test_every_route_is_in_the_matrix`.
"""

import shutil
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from score_app.auth import services as auth_services
from score_app.auth.models import User
from score_app.enterprises.models import Enterprise, JobRole, Person, Sex
from score_app.extensions import db, utcnow
from score_app.jobs.models import Job, JobFile, JobState
from score_app.kpis.models import Measurement, Phase, Status
from score_app.plans.models import ActionPhoto, ImprovementPlan, PlanAction
from score_app.programme.models import MeasurementImport
from score_app.training.models import (
    Attendance,
    Certificate,
    Visit,
    VisitPhoto,
    Workshop,
    WorkshopDay,
)
from tests.conftest import committed, enterprise_factory, sign_in, user_factory
from tests.plans.conftest import png_bytes

PNG = png_bytes()

ROLES = ("anonymous", "admin", "programme_staff", "trainer", "enterprise_owner")


def everyone(status):
    return dict.fromkeys(ROLES, status)


def signed_in(status, anonymous=302):
    return {**everyone(status), "anonymous": anonymous}


def only_admin(status, others=403, anonymous=302):
    return {**everyone(others), "admin": status, "anonymous": anonymous}


def runs_training(status):
    """Admins and the trainer who runs the workshop; staff and owners only read."""
    return {**signed_in(403), "admin": status, "trainer": status}


RUNS_TRAINING = runs_training(200)


def programme_work(status):
    """Admins and programme staff see results, export and import; trainers and owners may not."""
    return {**signed_in(403), "admin": status, "programme_staff": status}


def enters_figures(status):
    """An enterprise's own people, its trainer and admins enter figures; staff only read."""
    return {**signed_in(status), "programme_staff": 403}


ENTERS_FIGURES = enters_figures(200)


def verifies_figures(status):
    """Trainers, programme staff and admins verify figures; an enterprise's owner may not."""
    return {**signed_in(status), "enterprise_owner": 403}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: dict
    data: dict | None = None


EMPTY = {}
PAGES = [
    Row("GET", "/", signed_in(200)),
    Row("GET", "/login", {**everyone(302), "anonymous": 200}),
    Row("POST", "/login", {**everyone(302), "anonymous": 200}, EMPTY),
    Row("POST", "/logout", signed_in(302)),
    Row("GET", "/password/forgot", everyone(200)),
    Row("POST", "/password/forgot", everyone(200), EMPTY),
    # A mailed link that is not one: not found, whoever opens it.
    Row("GET", "/password/{link}", everyone(404)),
    Row("POST", "/password/{link}", everyone(404), EMPTY),
    Row("POST", "/locale", everyone(302), {"locale": "fr"}),
    Row("GET", "/account", signed_in(200)),
    Row("POST", "/account", signed_in(200), EMPTY),
    Row("GET", "/account/password", signed_in(200)),
    Row("POST", "/account/password", signed_in(200), EMPTY),
    Row("GET", "/account/tokens", signed_in(200)),
    Row("POST", "/account/tokens", signed_in(200), EMPTY),
    Row("POST", "/account/tokens/{others_token}/revoke", only_admin(302, others=404)),
    Row("GET", "/admin/users", only_admin(200)),
    Row("GET", "/admin/users/new", only_admin(200)),
    Row("POST", "/admin/users/new", only_admin(200), EMPTY),
    Row("GET", "/admin/users/{someone}", only_admin(200)),
    Row("POST", "/admin/users/{someone}", only_admin(200), EMPTY),
    Row("POST", "/admin/users/{someone}/unlock", only_admin(302)),
    Row("POST", "/admin/users/{someone}/devices/revoke", only_admin(302)),
    # A device registers from a signed-in page (not a JSON body here, so 422).
    Row("POST", "/api/v1/devices", signed_in(422, anonymous=401), EMPTY),
    Row("POST", "/admin/users/{someone}/invite", only_admin(302)),
    Row("GET", "/enterprises", signed_in(200)),
    Row(
        "GET",
        "/enterprises/new",
        {**signed_in(403), "admin": 200, "programme_staff": 200},
    ),
    Row(
        "POST",
        "/enterprises/new",
        {**signed_in(403), "admin": 200, "programme_staff": 200},
        EMPTY,
    ),
    Row("GET", "/enterprises/{mine}", signed_in(200)),
    Row("GET", "/enterprises/{other}", {**signed_in(404), "admin": 200}),
    # Assigning a trainer or owner from the enterprise's page (nobody chosen: said and back).
    Row("POST", "/enterprises/{mine}/members", only_admin(302), EMPTY),
    Row("GET", "/enterprises/{mine}/edit", signed_in(200)),
    Row("POST", "/enterprises/{mine}/edit", signed_in(200), EMPTY),
    Row("GET", "/enterprises/{other}/edit", {**signed_in(404), "admin": 200}),
    Row("POST", "/enterprises/{other}/edit", {**signed_in(404), "admin": 200}, EMPTY),
    # Consent's own button: the enterprise's owners and admins (nothing chosen: said and back).
    Row(
        "POST",
        "/enterprises/{mine}/consent",
        {**signed_in(403), "admin": 302, "enterprise_owner": 302},
        EMPTY,
    ),
    Row("POST", "/enterprises/{other}/consent", {**signed_in(404), "admin": 302}, EMPTY),
    Row("GET", "/modules", signed_in(200)),
    # The device side of offline work: the service worker and manifest hold no one's data.
    Row("GET", "/sw.js", everyone(200)),
    Row("GET", "/manifest.webmanifest", everyone(200)),
    Row("GET", "/offline", signed_in(200)),
    Row("GET", "/offline/outbox", signed_in(200)),
    Row("GET", "/offline/unavailable", signed_in(200)),
    # What a device shows once it has deleted what it kept: its access may be gone by then.
    Row("GET", "/offline/signed-out", everyone(200)),
    Row("GET", "/offline/manifest.json", signed_in(200)),
    Row("GET", "/offline/enterprises/{mine}/checks.json", signed_in(200)),
    Row("GET", "/offline/enterprises/{other}/checks.json", {**signed_in(404), "admin": 200}),
    Row("GET", "/modules/indicators", signed_in(200)),
    Row("GET", "/modules/{slug}", signed_in(200)),
    Row("GET", "/modules/{slug}/print", signed_in(200)),
    Row("GET", "/modules/{slug}/handout.pdf", signed_in(200)),
    Row("GET", "/modules/{slug}/guide.pdf", signed_in(200)),
    Row("GET", "/enterprises/{mine}/people", signed_in(200)),
    Row("POST", "/enterprises/{mine}/people", {**signed_in(200), "programme_staff": 403}, EMPTY),
    Row("GET", "/enterprises/{other}/people", {**signed_in(404), "admin": 200}),
    Row("GET", "/enterprises/{mine}/people/{person}", {**signed_in(200), "programme_staff": 403}),
    Row(
        "POST",
        "/enterprises/{mine}/people/{person}",
        {**signed_in(200), "programme_staff": 403},
        EMPTY,
    ),
    Row("GET", "/enterprises/{mine}/eit", signed_in(200)),
    Row("POST", "/enterprises/{mine}/eit", {**signed_in(302), "programme_staff": 403}, EMPTY),
    Row("POST", "/enterprises/{other}/eit", {**signed_in(404), "admin": 302}, EMPTY),
    Row("GET", "/training", signed_in(200)),
    Row("GET", "/training/workshops/new", RUNS_TRAINING),
    Row("POST", "/training/workshops/new", RUNS_TRAINING, EMPTY),
    Row("GET", "/training/workshops/{workshop}", signed_in(200)),
    Row("GET", "/training/workshops/{other_workshop}", {**signed_in(404), "admin": 200}),
    Row("GET", "/training/workshops/{workshop}/edit", RUNS_TRAINING),
    Row("POST", "/training/workshops/{workshop}/edit", RUNS_TRAINING, EMPTY),
    Row("GET", "/training/workshops/{other_workshop}/edit", {**signed_in(404), "admin": 200}),
    Row("GET", "/training/workshops/{workshop}/days/{day}", RUNS_TRAINING),
    Row("POST", "/training/workshops/{workshop}/days/{day}", runs_training(302), EMPTY),
    Row("POST", "/training/workshops/{workshop}/days/{day}/mark", runs_training(422), EMPTY),
    Row("POST", "/training/workshops/{workshop}/days/{day}/walk-in", runs_training(422), EMPTY),
    Row("GET", "/training/workshops/{workshop}/days/{day}/sign-in.pdf", RUNS_TRAINING),
    Row("POST", "/training/workshops/{workshop}/certificates", runs_training(302), EMPTY),
    Row("GET", "/certificates/{code}.pdf", signed_in(200)),
    Row("GET", "/certificates/{code}/revoke", only_admin(200)),
    Row("POST", "/certificates/{code}/revoke", only_admin(200), EMPTY),
    # Printing every certificate starts a job and shows its page.
    Row("GET", "/training/workshops/{workshop}/certificates.pdf", signed_in(303)),
    Row(
        "GET",
        "/training/workshops/{other_workshop}/certificates.pdf",
        {**signed_in(404), "admin": 303},
    ),
    Row("GET", "/verify/{code}", everyone(200)),
    Row("GET", "/verify", everyone(200)),
    Row("GET", "/health", everyone(200)),
    Row("GET", "/organisation/logo", everyone(404)),  # none is set
    Row("GET", "/training/visits/new", RUNS_TRAINING),
    Row("POST", "/training/visits/new", RUNS_TRAINING, EMPTY),
    Row("GET", "/training/visits/{visit}", signed_in(200)),
    Row("GET", "/training/visits/{other_visit}", {**signed_in(404), "admin": 200}),
    Row(
        "GET",
        "/training/workshops/{other_workshop}/days/{other_day}",
        {**signed_in(404), "admin": 200},
    ),
    Row(
        "POST",
        "/training/workshops/{other_workshop}/days/{other_day}/mark",
        {**signed_in(404), "admin": 422},
        EMPTY,
    ),
    Row(
        "GET",
        "/training/workshops/{other_workshop}/days/{other_day}/sign-in.pdf",
        {**signed_in(404), "admin": 200},
    ),
    Row("GET", "/certificates/{other_code}.pdf", {**signed_in(404), "admin": 200}),
    Row(
        "GET",
        "/enterprises/{mine}/people/{other_person}",
        {**signed_in(404), "programme_staff": 403},
    ),
    Row("GET", "/enterprises/{other}/eit", {**signed_in(404), "admin": 200}),
    Row("GET", "/training/visits/{other_visit}/edit", {**signed_in(404), "admin": 200}),
    Row("GET", "/training/visits/{visit}/edit", RUNS_TRAINING),
    Row("POST", "/training/visits/{visit}/edit", RUNS_TRAINING, EMPTY),
    Row("GET", "/enterprises/{mine}/indicators", signed_in(200)),
    Row("GET", "/enterprises/{other}/indicators", {**signed_in(404), "admin": 200}),
    Row("GET", "/enterprises/{mine}/measurements", signed_in(200)),
    Row("GET", "/enterprises/{mine}/history", signed_in(200)),
    Row("GET", "/enterprises/{other}/history", {**signed_in(404), "admin": 200}),
    Row("GET", "/enterprises/{other}/measurements", {**signed_in(404), "admin": 200}),
    Row("GET", "/enterprises/{mine}/measurements/new", ENTERS_FIGURES),
    Row("POST", "/enterprises/{mine}/measurements/new", ENTERS_FIGURES, EMPTY),
    Row("GET", "/enterprises/{other}/measurements/new", {**signed_in(404), "admin": 200}),
    Row("GET", "/measurements/{measurement}", signed_in(200)),
    Row("GET", "/measurements/{other_measurement}", {**signed_in(404), "admin": 200}),
    Row("GET", "/measurements/{measurement}/edit", ENTERS_FIGURES),
    # Without the version the form was made from, the save cannot rule out someone else's.
    Row("POST", "/measurements/{measurement}/edit", enters_figures(409), EMPTY),
    Row("GET", "/measurements/{other_measurement}/edit", {**signed_in(404), "admin": 200}),
    Row("POST", "/measurements/{measurement}/submit", enters_figures(302)),
    Row(
        "POST",
        "/measurements/{measurement}/verify",
        {**signed_in(302), "enterprise_owner": 403},
    ),
    Row("POST", "/measurements/{other_measurement}/verify", {**signed_in(404), "admin": 302}),
    Row(
        "POST",
        "/measurements/{measurement}/reopen",
        {**signed_in(403), "admin": 302, "programme_staff": 302},
    ),
    Row("POST", "/measurements/{measurement}/delete", enters_figures(302)),
    Row("GET", "/measurements/to-verify", verifies_figures(200)),
    Row("GET", "/enterprises/{mine}/periods/{period}", verifies_figures(200)),
    Row("GET", "/enterprises/{other}/periods/{period}", {**signed_in(404), "admin": 200}),
    # The period's figure is submitted: nothing is left to submit.
    Row("POST", "/enterprises/{mine}/periods/{period}/submit", enters_figures(422)),
    Row("POST", "/enterprises/{other}/periods/{period}/submit", {**signed_in(404), "admin": 422}),
    # Without the versions its page showed, a step cannot rule out someone else's change.
    Row("POST", "/enterprises/{mine}/periods/{period}/verify", verifies_figures(409)),
    Row("POST", "/enterprises/{other}/periods/{period}/verify", {**signed_in(404), "admin": 409}),
    # Without a reason, nothing is sent back.
    Row("POST", "/enterprises/{mine}/periods/{period}/send-back", verifies_figures(422), EMPTY),
    Row(
        "POST",
        "/enterprises/{other}/periods/{period}/send-back",
        {**signed_in(404), "admin": 422},
        EMPTY,
    ),
    Row("GET", "/enterprises/{mine}/checklist", signed_in(200)),
    Row("POST", "/enterprises/{mine}/checklist", ENTERS_FIGURES, EMPTY),
    Row("POST", "/enterprises/{other}/checklist", {**signed_in(404), "admin": 200}, EMPTY),
    Row("GET", "/enterprises/{mine}/plan", signed_in(200)),
    Row("GET", "/enterprises/{other}/plan", {**signed_in(404), "admin": 200}),
    Row("GET", "/enterprises/{mine}/plan.pdf", signed_in(200)),
    Row("GET", "/enterprises/{other}/plan.pdf", {**signed_in(404), "admin": 200}),
    Row("GET", "/enterprises/{mine}/plans/new", ENTERS_FIGURES),
    # Without the plan the form said it would archive, the start could archive another unseen.
    Row("POST", "/enterprises/{mine}/plans/new", enters_figures(409), EMPTY),
    Row("GET", "/enterprises/{other}/plans/new", {**signed_in(404), "admin": 200}),
    Row("GET", "/enterprises/{mine}/plan/actions/new", ENTERS_FIGURES),
    Row("POST", "/enterprises/{mine}/plan/actions/new", enters_figures(422), EMPTY),
    Row(
        "POST",
        "/enterprises/{other}/plan/actions/new",
        {**signed_in(404), "admin": 422},
        EMPTY,
    ),
    Row("GET", "/actions/{action}", signed_in(200)),
    Row("GET", "/actions/{other_action}", {**signed_in(404), "admin": 200}),
    Row("GET", "/actions/{action}/edit", ENTERS_FIGURES),
    Row("POST", "/actions/{action}/edit", enters_figures(422), EMPTY),
    Row("GET", "/actions/{other_action}/edit", {**signed_in(404), "admin": 200}),
    Row("POST", "/actions/{action}/move", enters_figures(302), EMPTY),
    Row("POST", "/actions/{other_action}/move", {**signed_in(404), "admin": 302}, EMPTY),
    Row("POST", "/actions/{action}/verify", {**signed_in(302), "enterprise_owner": 403}),
    Row("POST", "/actions/{other_action}/verify", {**signed_in(404), "admin": 302}),
    Row("POST", "/actions/{action}/delete", enters_figures(302)),
    Row("POST", "/actions/{other_action}/delete", {**signed_in(404), "admin": 302}),
    Row("POST", "/actions/{action}/photos", enters_figures(422), EMPTY),
    Row("POST", "/actions/{other_action}/photos", {**signed_in(404), "admin": 422}, EMPTY),
    Row("POST", "/training/visits/{visit}/photos", runs_training(422), EMPTY),
    Row("POST", "/training/visits/{other_visit}/photos", {**signed_in(404), "admin": 422}, EMPTY),
    Row("GET", "/training/visit-photos/{visit_photo}", signed_in(200)),
    Row("GET", "/training/visit-photos/{other_visit_photo}", {**signed_in(404), "admin": 200}),
    Row("POST", "/training/visit-photos/{visit_photo}/delete", runs_training(302)),
    Row(
        "POST",
        "/training/visit-photos/{other_visit_photo}/delete",
        {**signed_in(404), "admin": 302},
    ),
    Row("GET", "/photos/{photo}", signed_in(200)),
    Row("GET", "/photos/{other_photo}", {**signed_in(404), "admin": 200}),
    Row("POST", "/photos/{photo}/delete", enters_figures(302)),
    Row("POST", "/photos/{other_photo}/delete", {**signed_in(404), "admin": 302}),
    Row("GET", "/programme", programme_work(200)),
    Row("GET", "/programme/report.pdf", programme_work(303)),  # a job, then its page
    Row("POST", "/programme/narrative", programme_work(302), EMPTY),
    Row("GET", "/programme/results.{fmt}", programme_work(200)),
    Row("GET", "/programme/exports", programme_work(200)),
    Row("GET", "/programme/exports/{kind}.{fmt}", programme_work(200)),
    Row("GET", "/programme/imports", programme_work(200)),
    Row("POST", "/programme/imports", programme_work(422), EMPTY),
    Row("GET", "/programme/imports/template.{fmt}", programme_work(200)),
    Row("GET", "/programme/imports/enterprises.{fmt}", programme_work(200)),
    # An upload is its uploader's own (here the staff member's): nobody else finds it.
    # Its check and its save run as jobs, whose page the answer goes on to.
    Row("GET", "/programme/imports/{upload}", {**programme_work(303), "admin": 404}),
    Row("POST", "/programme/imports/{upload}/save", {**programme_work(303), "admin": 404}),
    # A job is its owner's (here the trainer's), and admins see every job.
    Row("GET", "/jobs", signed_in(200)),
    Row("GET", "/jobs/{job}", {**signed_in(404), "trainer": 200, "admin": 200}),
    Row("GET", "/jobs/{job}/status.json", {**signed_in(404), "trainer": 200, "admin": 200}),
    Row("GET", "/jobs/{job}/file", {**signed_in(404), "trainer": 200, "admin": 200}),
]
API = [
    Row("GET", "/api/openapi.json", everyone(200)),
    # A plain API token is no device: it neither syncs nor signs a device out.
    Row("POST", "/api/v1/sync", signed_in(403, anonymous=401), EMPTY),
    Row("DELETE", "/api/v1/devices/current", signed_in(403, anonymous=401)),
    Row("GET", "/api/v1/enterprises", signed_in(200, anonymous=401)),
    Row(
        "POST",
        "/api/v1/enterprises",
        {**signed_in(403, anonymous=401), "admin": 422, "programme_staff": 422},
        EMPTY,
    ),
    Row("GET", "/api/v1/enterprises/{mine}", signed_in(200, anonymous=401)),
    Row("GET", "/api/v1/indicators", signed_in(200, anonymous=401)),
    Row(
        "POST",
        "/api/v1/enterprises/{mine}/measurements",
        {**signed_in(422, anonymous=401), "programme_staff": 403},
        EMPTY,
    ),
    Row(
        "POST",
        "/api/v1/enterprises/{other}/measurements",
        {**signed_in(404, anonymous=401), "admin": 422},
        EMPTY,
    ),
    Row("GET", "/api/v1/enterprises/{mine}/measurements", signed_in(200, anonymous=401)),
    Row(
        "GET",
        "/api/v1/enterprises/{other}/measurements",
        {**signed_in(404, anonymous=401), "admin": 200},
    ),
    Row("GET", "/api/v1/enterprises/{mine}/comparison", signed_in(200, anonymous=401)),
    Row(
        "GET",
        "/api/v1/enterprises/{other}/comparison",
        {**signed_in(404, anonymous=401), "admin": 200},
    ),
    Row("GET", "/api/v1/enterprises/{other}", {**signed_in(404, anonymous=401), "admin": 200}),
    Row(
        "GET",
        "/api/v1/programme/summary",  # without an indicator: refused as bad input
        {**signed_in(403, anonymous=401), "admin": 422, "programme_staff": 422},
    ),
    # A change of an enterprise or a measurement without the version it was read at is refused
    # as bad input.
    Row("PATCH", "/api/v1/enterprises/{mine}", signed_in(422, anonymous=401), EMPTY),
    Row(
        "PATCH",
        "/api/v1/enterprises/{other}",
        {**signed_in(404, anonymous=401), "admin": 422},
        EMPTY,
    ),
    Row(
        "PATCH",
        "/api/v1/measurements/{measurement}",
        {**signed_in(422, anonymous=401), "programme_staff": 403},
        EMPTY,
    ),
    Row(
        "DELETE",
        "/api/v1/measurements/{measurement}",
        {**signed_in(422, anonymous=401), "programme_staff": 403},
        EMPTY,
    ),
    Row(
        "POST",
        "/api/v1/measurements/{measurement}/submit",
        {**signed_in(422, anonymous=401), "programme_staff": 403},
        EMPTY,
    ),
    Row(
        "POST",
        "/api/v1/measurements/{measurement}/verify",
        {**signed_in(422, anonymous=401), "enterprise_owner": 403},
        EMPTY,
    ),
    Row(
        "POST",
        "/api/v1/measurements/{measurement}/reopen",
        {**signed_in(403, anonymous=401), "admin": 422, "programme_staff": 422},
        EMPTY,
    ),
    Row(
        "POST",
        "/api/v1/measurements/{other_measurement}/verify",
        {**signed_in(404, anonymous=401), "admin": 422},
        EMPTY,
    ),
]


def _cases(rows):
    return [
        pytest.param(row, role, id=f"{row.method} {row.path} as {role}")
        for row in rows
        for role in ROLES
    ]


@pytest.fixture(scope="module")
def built_world(shared_app, tmp_path_factory):
    """The world, committed once for the module: each case runs over it in a transaction of its
    own, rolled back at its end. Its photos and uploaded file wait in a folder of their own."""
    folder = tmp_path_factory.mktemp("world")
    create_enterprise, create_user = enterprise_factory(shared_app), user_factory(shared_app)
    with committed(shared_app):
        mine = create_enterprise(name="Mine", country="GH")
        other = create_enterprise(name="Other", country="ZA")
        users = {
            "admin": create_user("admin"),
            "programme_staff": create_user("programme_staff", countries=["GH"]),
            "trainer": create_user("trainer", enterprises=[mine]),
            "enterprise_owner": create_user("enterprise_owner", enterprises=[mine]),
        }
        someone = create_user("trainer", enterprises=[other])
        with shared_app.app_context():
            token, _plain = auth_services.create_token(db.session.get(User, someone.id), "tablet")
            ids = {
                "mine": mine.id,
                "other": other.id,
                "someone": someone.id,
                "others_token": token.id,
                "slug": "workplace-cooperation",
                **_training_world(mine.id, other.id, users["trainer"].id, someone.id, folder),
                **_plans_world(mine.id, other.id, folder),
                "kind": "measurements",
                "period": "baseline/2025-01-01/2025-01-31",
                "fmt": "xlsx",
                "upload": _upload_world(users["programme_staff"].id, folder),
                "job": _job_world(users["trainer"].id),
                "link": "not-a-mailed-link",
            }
        yield users, ids, folder


@pytest.fixture
def world(app, built_world, tmp_path):
    """The module's world, its files copied for this case alone: a case that deletes a photo
    leaves it to the next."""
    users, ids, folder = built_world
    shutil.copytree(folder, tmp_path, dirs_exist_ok=True)
    app.config["SCORE_UPLOAD_DIR"] = app.config["SCORE_IMPORT_DIR"] = str(tmp_path)
    return users, ids


def _training_world(mine_id, other_id, trainer_id, other_trainer_id, upload_dir):
    """A workshop, day, person, certificate and visit with a photo in scope, and a workshop and
    visit with a photo not."""
    person = Person(enterprise_id=mine_id, full_name="Ama", sex=Sex.FEMALE, job_role=JobRole.WORKER)
    day = WorkshopDay(day_date=date(2025, 3, 11))
    workshop = Workshop(module_slug="workplace-cooperation", trainer_id=trainer_id, place="Accra")
    workshop.enterprises = [db.session.get(Enterprise, mine_id)]
    workshop.days = [day]
    other_workshop = Workshop(
        module_slug="workplace-cooperation", trainer_id=other_trainer_id, place="Durban"
    )
    other_workshop.enterprises = [db.session.get(Enterprise, other_id)]
    other_day = WorkshopDay(day_date=date(2025, 3, 11))
    other_workshop.days = [other_day]
    other_person = Person(
        enterprise_id=other_id, full_name="Thabo", sex=Sex.MALE, job_role=JobRole.WORKER
    )
    visits = [
        Visit(enterprise_id=eid, module_slug="quality-management", visit_date=date(2025, 4, 1),
              trainer_id=tid)
        for eid, tid in ((mine_id, trainer_id), (other_id, other_trainer_id))
    ]  # fmt: skip
    for key, visit in (("", visits[0]), ("other_", visits[1])):
        visit.photos = [
            VisitPhoto(stored_name=f"{key}visit.png", content_type="image/png", size_bytes=len(PNG))
        ]
        (upload_dir / f"{key}visit.png").write_bytes(PNG)
    db.session.add_all([person, other_person, workshop, other_workshop, *visits])
    db.session.flush()
    certificates = [
        Certificate(
            code=code, workshop=w, person=p, locale="en", participant_name=p.full_name,
            enterprise_name="-", trainer_name="-", module_slug="workplace-cooperation",
            start_date=d.day_date, end_date=d.day_date,
        )
        for code, w, p, d in (
            ("TEST-CODE-0001", workshop, person, day),
            ("TEST-CODE-0002", other_workshop, other_person, other_day),
        )
    ]  # fmt: skip
    db.session.add(Attendance(workshop_day_id=day.id, person_id=person.id))
    db.session.add_all(certificates)
    measurements = [
        Measurement(
            enterprise_id=eid, indicator="defect_rate", phase=Phase.BASELINE,
            period_start=date(2025, 1, 1), period_end=date(2025, 1, 31),
            input_1=3, input_2=100, value=3.0, status=Status.SUBMITTED, entered_by_id=tid,
        )
        for eid, tid in ((mine_id, other_trainer_id), (other_id, other_trainer_id))
    ]  # fmt: skip
    db.session.add_all(measurements)
    db.session.commit()
    return {
        "workshop": workshop.id,
        "other_workshop": other_workshop.id,
        "day": day.id,
        "person": person.id,
        "code": certificates[0].code,
        "other_code": certificates[1].code,
        "other_day": other_day.id,
        "other_person": other_person.id,
        "visit": visits[0].id,
        "other_visit": visits[1].id,
        "visit_photo": visits[0].photos[0].id,
        "other_visit_photo": visits[1].photos[0].id,
        "measurement": measurements[0].id,
        "other_measurement": measurements[1].id,
    }


def _upload_world(user_id, folder) -> str:
    """A measurement file uploaded by `user_id`, with just its header row; its token."""
    upload = MeasurementImport(token="0" * 32, user_id=user_id, filename="f.csv", file_format="csv")
    header = "enterprise_id,indicator,phase,period_start,period_end,input_1_name,input_1,"
    (folder / upload.stored_name).write_text(header + "input_2_name,input_2\r\n")
    db.session.add(upload)
    db.session.commit()
    return upload.token


def _job_world(user_id) -> int:
    """A finished job of `user_id` that made a document; its id."""
    job = Job(
        user_id=user_id, kind="certificates_pdf", params={"workshop_id": 1},
        label="Certificates", locale="en", state=JobState.FINISHED, result={"file": True},
    )  # fmt: skip
    keep_until = utcnow() + timedelta(days=365)
    job.file = JobFile(
        filename="c.pdf", media_type="application/pdf", size_bytes=4, data=b"%PDF",
        expires_at=keep_until,
    )  # fmt: skip
    db.session.add(job)
    db.session.commit()
    return job.id


def _plans_world(mine_id, other_id, upload_dir):
    """A plan with one action and one photo in each enterprise."""
    ids = {}
    for key, enterprise_id in (("", mine_id), ("other_", other_id)):
        plan = ImprovementPlan(
            enterprise_id=enterprise_id, title="Plan", started_on=date(2025, 2, 1), currency="GHS"
        )
        action = PlanAction(
            plan=plan, problem="Dust", action="Sweep", responsible="Ama", due_date=date(2025, 6, 1)
        )
        photo = ActionPhoto(
            plan_action=action, stored_name=f"{key}photo.png", content_type="image/png",
            size_bytes=len(PNG),
        )  # fmt: skip
        (upload_dir / photo.stored_name).write_bytes(PNG)
        db.session.add_all([plan, action, photo])
        db.session.commit()
        ids[f"{key}action"], ids[f"{key}photo"] = action.id, photo.id
    return ids


@pytest.mark.parametrize(("row", "role"), _cases(PAGES))
def test_page_access(app, world, row, role):
    users, ids = world
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, users[role])
    response = client.open(row.path.format(**ids), method=row.method, data=row.data)
    assert response.status_code == row.expected[role]


@pytest.mark.parametrize(("row", "role"), _cases(API))
def test_api_access(app, world, row, role):
    users, ids = world
    headers = {}
    if role != "anonymous":
        with app.app_context():
            user = db.session.get(User, users[role].id)
            _token, plain = auth_services.create_token(user, "matrix")
        headers["Authorization"] = f"Bearer {plain}"
    response = app.test_client().open(
        row.path.format(**ids), method=row.method, json=row.data, headers=headers
    )
    assert response.status_code == row.expected[role]


def test_every_route_is_in_the_matrix(app):
    covered = {(row.method, _rule_of(row.path)) for row in PAGES + API}
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set()


def _rule_of(path: str) -> str:
    """'/enterprises/{mine}' -> '/enterprises/<int:enterprise_id>', as Flask spells the rule."""
    names = {
        "{mine}": "<int:enterprise_id>",
        "{other}": "<int:enterprise_id>",
        "{someone}": "<int:user_id>",
        "{others_token}": "<int:token_id>",
        "{slug}": "<slug>",
        "{person}": "<int:person_id>",
        "{workshop}": "<int:workshop_id>",
        "{other_workshop}": "<int:workshop_id>",
        "{day}": "<int:day_id>",
        "{code}": "<code>",
        "{other_code}": "<code>",
        "{other_day}": "<int:day_id>",
        "{other_person}": "<int:person_id>",
        "{measurement}": "<int:measurement_id>",
        "{other_measurement}": "<int:measurement_id>",
        "{visit}": "<int:visit_id>",
        "{other_visit}": "<int:visit_id>",
        "{visit_photo}": "<int:photo_id>",
        "{other_visit_photo}": "<int:photo_id>",
        "{action}": "<int:action_id>",
        "{other_action}": "<int:action_id>",
        "{photo}": "<int:photo_id>",
        "{other_photo}": "<int:photo_id>",
        "{kind}": "<any(measurements, attendance, actions):kind>",
        "{fmt}": "<any(csv, xlsx):fmt>",
        "{upload}": "<token>",
        "{job}": "<int:job_id>",
        "{link}": "<token>",
        "{period}": "<phase>/<period_start>/<period_end>",
    }
    for placeholder, converter in names.items():
        path = path.replace(placeholder, converter)
    return path


POSTS = [row for row in PAGES if row.method == "POST"]


@pytest.mark.parametrize("row", POSTS, ids=[f"POST {row.path}" for row in POSTS])
def test_post_without_a_csrf_token_is_refused(app, make_app, world, row):
    users, ids = world
    with app.app_context():
        session_key = auth_services.start_session(db.session.get(User, users["admin"].id))
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_key
        session["_fresh"] = True
    response = client.post(row.path.format(**ids), data=row.data or {})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(True)
