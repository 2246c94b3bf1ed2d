"""The documents that take long to make, as background jobs: the programme's synthesis report
and every certificate of a workshop. The PDF is kept on the job for download (jobs.keep_file)
with the same access checks as the pages, through the job's user."""

from datetime import date

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from score_app.auth.models import User
from score_app.documents import services
from score_app.exceptions import InvalidInput, NotAllowed, NotFound
from score_app.extensions import db
from score_app.i18n import gettext as _
from score_app.jobs import services as jobs
from score_app.jobs.models import Job
from score_app.programme.filters import parse_filters

SYNTHESIS, CERTIFICATES = "synthesis_pdf", "certificates_pdf"


def start_synthesis(user: User, args: MultiDict, *, locale: str) -> Job:
    return jobs.start_job(
        user,
        SYNTHESIS,
        {"filters": args.to_dict(flat=False), "locale": locale},
        _synthesis_title(None),
        locale,
    )


def start_certificates(
    user: User, workshop_id: int, *, public_url: str, locale: str, most: int
) -> Job:
    return jobs.start_job(
        user,
        CERTIFICATES,
        {"workshop_id": workshop_id, "public_url": public_url, "most": most},
        _certificates_title_of(workshop_id),
        locale,
    )


def _user(job: Job) -> User:
    return db.session.get(User, job.user_id)


def _keep(job: Job, progress, document: services.Document) -> None:
    progress(0, 1)
    jobs.keep_file(job, document.filename, "application/pdf", document.pdf())
    jobs.finish(job, {"file": True})
    db.session.commit()


def _refused() -> jobs.JobFailed:
    return jobs.JobFailed(_("You may no longer see these records, so nothing was made."))


def _run_synthesis(job: Job, progress) -> None:
    try:
        filters = parse_filters(MultiDict(job.params["filters"]))
        document = services.synthesis(
            _user(job), filters, locale=job.params["locale"], today=date.today()
        )
    except InvalidInput as error:
        raise jobs.JobFailed(" ".join(error.errors.values())) from error
    except (NotAllowed, NotFound, HTTPException) as error:
        raise _refused() from error
    _keep(job, progress, document)


def _run_certificates(job: Job, progress) -> None:
    params = job.params
    try:
        document = services.workshop_certificates(
            _user(job),
            params["workshop_id"],
            public_url=params["public_url"],
            locale=job.locale,
            most=params["most"],
        )
    except InvalidInput as error:
        raise jobs.JobFailed(" ".join(error.errors.values())) from error
    except (NotAllowed, NotFound, HTTPException) as error:
        raise _refused() from error
    _keep(job, progress, document)


def _back_to_workshop(job: Job) -> tuple[str, dict]:
    return "training.view_workshop", {"workshop_id": job.params["workshop_id"]}


def _back_to_dashboard(job: Job) -> tuple[str, dict]:
    return "programme.dashboard", job.params["filters"]


def _synthesis_title(_job: Job | None = None) -> str:
    return _("Synthesis report (PDF)")


def _certificates_title_of(workshop_id: int) -> str:
    return _("Certificates of workshop %(id)s (PDF)", id=workshop_id)


def _certificates_title(job: Job) -> str:
    return _certificates_title_of(job.params["workshop_id"])


def register() -> None:
    template = "documents/_job_result.html"
    jobs.register_kind(
        jobs.Kind(
            SYNTHESIS, _run_synthesis, template, title=_synthesis_title, back=_back_to_dashboard
        )
    )
    jobs.register_kind(
        jobs.Kind(
            CERTIFICATES,
            _run_certificates,
            template,
            title=_certificates_title,
            back=_back_to_workshop,
        )
    )
