"""A job's page (progress while it runs, its outcome once done), its status as JSON for the
page's small poll, its document, and the list of the user's jobs. Only the job's owner, or an
admin, reaches any of them."""

from flask import Blueprint, abort, jsonify, render_template, url_for
from flask_login import current_user

from score_app.jobs import services
from score_app.jobs.models import Job, JobState

bp = Blueprint("jobs", __name__)

# Seconds between two looks at a running job, by the page's refresh and by its script.
REFRESH_SECONDS = 2


@bp.app_template_filter("job_title")
def job_title(job: Job) -> str:
    return services.title_of(job)


def _job(job_id: int) -> Job:
    job = services.job_of(current_user, job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/jobs")
def list_jobs():
    return render_template("jobs/list.html", jobs=services.jobs_of(current_user))


@bp.get("/jobs/<int:job_id>")
def view_job(job_id: int):
    job = _job(job_id)
    kind = services.KINDS[job.kind]
    done, total = services.progress(job)
    back = kind.back(job) if kind.back else None
    return render_template(
        "jobs/job.html",
        job=job,
        kind=kind,
        done=done,
        total=total,
        file=services.file_info(job) if job.state == JobState.FINISHED else None,
        back_url=url_for(back[0], **back[1]) if back else None,
        refresh=REFRESH_SECONDS,
        **(kind.context(job) if kind.context and job.state == JobState.FINISHED else {}),
    ), {"Cache-Control": "no-store"}


@bp.get("/jobs/<int:job_id>/status.json")
def job_status(job_id: int):
    job = _job(job_id)
    done, total = services.progress(job)
    response = jsonify(
        state=job.state.value, done=done, total=total, url=url_for("jobs.view_job", job_id=job.id)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:job_id>/file")
def download_file(job_id: int):
    job = _job(job_id)
    found = services.file_of(job)
    if found is None:
        abort(404)
    return (
        found.data,
        200,
        {
            "Content-Type": found.media_type,
            "Content-Disposition": f'inline; filename="{found.filename}"',
            "Cache-Control": "private, no-store",
        },
    )
