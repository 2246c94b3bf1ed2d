"""The measurement import's check and save as background jobs: each reads the uploaded file for
the job's user, in the folder programme.import_files gives it (the import folder, or with the
files in the database one of the job's own), reports its progress, and keeps the report on the
job; a check keeps what it found for the save where the upload is. A save marks its job
done in the transaction that writes the rows, so a save retried after a lost worker finds
either nothing written (and writes it all) or its job done (and writes nothing)."""

from pathlib import Path

from flask import current_app

from score_app.auth.models import User
from score_app.errors import unavailable_message
from score_app.extensions import db
from score_app.i18n import gettext as _
from score_app.jobs import services as jobs
from score_app.jobs.models import Job, JobState
from score_app.programme import import_files, imports
from score_app.programme.models import MeasurementImport

CHECK, SAVE = "import_check", "import_save"


def _title(filename: str, *, save: bool) -> str:
    if save:
        return _("Saving %(file)s", file=filename)
    return _("Checking %(file)s", file=filename)


def start(user: User, upload: MeasurementImport, *, save: bool, locale: str) -> Job:
    params = {"upload_id": upload.id, "filename": upload.filename}
    label = _title(upload.filename, save=save)
    return jobs.start_job(user, SAVE if save else CHECK, params, label, locale)


def _run(job: Job, progress, *, save: bool) -> None:
    user = db.session.get(User, job.user_id)
    upload = db.session.get(MeasurementImport, job.params["upload_id"])
    if upload is None or user is None:
        raise jobs.JobFailed(_gone())
    try:
        with import_files.working_folder(upload) as folder:
            _run_in(job, progress, user, upload, folder, save=save)
    except import_files.FileGone:
        db.session.rollback()
        if not (save and _saved_already(job.id, upload)):
            raise jobs.JobFailed(_gone()) from None


def _saved_already(job_id: int, upload: MeasurementImport) -> bool:
    """Whether a save found no file because a save of the same upload took it with the rows it
    wrote (a double click's second job, or this job run again after its worker died once the
    rows were in): that job ends as the importer's own second save does, "saved before"."""
    db.session.refresh(upload)
    if upload.saved_at is None:
        return False
    job = db.session.get(Job, job_id)
    if job.state != JobState.FINISHED:
        jobs.finish(job, _result(imports.Report(saved_before=True), upload, save=True))
        db.session.commit()
    return True


def _gone() -> str:
    return _("This file is no longer kept: upload it again.")


def _run_in(job: Job, progress, user: User, upload: MeasurementImport, folder: Path, *,
            save: bool) -> None:  # fmt: skip
    """Check or save the upload, whose files are in `folder`."""
    config = current_app.config
    job_id = job.id

    def done_with_the_save(report: imports.Report) -> None:
        jobs.finish(db.session.get(Job, job_id), _result(report, upload, save=True))

    importer = imports.MeasurementFile(
        user,
        upload,
        folder,
        save=save,
        max_rows=config["SCORE_MAX_IMPORT_ROWS"],
        before_commit=done_with_the_save if save else None,
    )
    for step in importer.run():
        progress(step.done, step.about)
    report = importer.report
    if report.unavailable:
        raise jobs.JobFailed(unavailable_message())
    job = db.session.get(Job, job_id)
    if report.saved_before:
        db.session.refresh(job)
        if job.state == JobState.FINISHED:
            return  # this very job saved it, on a run its worker did not live to report
    if job.state != JobState.FINISHED:
        if not save:
            import_files.keep_checked(upload, folder)
        jobs.finish(job, _result(report, upload, save=save))
        db.session.commit()


def _result(report: imports.Report, upload: MeasurementImport, *, save: bool) -> dict:
    return {
        "report": imports.report_data(report),
        "saving": save,
        "token": upload.token,
        "filename": upload.filename,
    }


def context(job: Job) -> dict:
    """What programme/_import_report.html needs to show the job's report."""
    result = job.result or {}
    if "report" not in result:
        return {}
    return {
        "report": imports.report_from(result["report"]),
        "saving": result["saving"],
        "token": result["token"],
        "filename": result["filename"],
    }


def register() -> None:
    for name, save in ((CHECK, False), (SAVE, True)):
        jobs.register_kind(
            jobs.Kind(
                name=name,
                run=lambda job, progress, save=save: _run(job, progress, save=save),
                template="programme/_import_report.html",
                context=context,
                title=lambda job, save=save: _title(job.params.get("filename", ""), save=save),
            )
        )
