"""Programme pages: results across enterprises with their filters, the synthesis report, exports
of measurements, attendance, plans and the results table, and the measurement import (upload, then
its check and its save as background jobs, whose page shows their progress and report)."""

from datetime import UTC, date, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from score_app.auth import policy
from score_app.auth.models import Role
from score_app.catalog.indicators import INDICATORS
from score_app.catalog.services import module_choices
from score_app.enterprises.access import cohorts_in_scope
from score_app.enterprises.forms import sector_choices
from score_app.exceptions import InvalidInput
from score_app.forms import show_on_form
from score_app.i18n import (
    SUPPORTED_LOCALES,
    country_choices,
    current_locale_code,
    format_number,
)
from score_app.i18n import gettext as _
from score_app.programme import import_files, imports, report, services
from score_app.programme import jobs as import_jobs
from score_app.programme.exports import EXPORTS, MEASUREMENT_COLUMNS
from score_app.programme.filters import FILTER_ARGS, Filters, parse_filters
from score_app.programme.forms import FiltersForm, ImportForm, NarrativeForm
from score_app.programme.spreadsheets import (
    MEDIA_TYPES,
    Column,
    Sheet,
    write_table,
    write_workbook,
)
from score_app.request_args import kept_args

bp = Blueprint("programme", __name__)


def table_response(rows, columns: tuple[Column, ...], file_format: str, what: str) -> Response:
    """A CSV or XLSX download written while it is sent; the file name says what and when."""
    return _download(write_table(rows, columns, file_format, sheet=what), file_format, what)


def _download(chunks, file_format: str, what: str) -> Response:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
    return Response(
        stream_with_context(chunks),
        mimetype=MEDIA_TYPES[file_format],
        headers={
            "Content-Disposition": f'attachment; filename="score-{what}-{stamp}.{file_format}"'
        },
    )


def _filters_form(filters_error: InvalidInput | None) -> FiltersForm:
    countries = country_choices()
    if current_user.role == Role.PROGRAMME_STAFF and current_user.country_codes:
        in_scope = set(current_user.country_codes)  # once: the property builds a new list
        countries = [pair for pair in countries if pair[0] in in_scope]
    form = FiltersForm(request.args).fill_choices(
        countries,
        sector_choices(),
        cohorts_in_scope(current_user),
        module_choices(current_locale_code()),
    )
    if filters_error is not None:
        show_on_form(form, filters_error.renamed(**{"from": "period_from", "to": "period_to"}))
    return form


def _filters_as_typed() -> dict[str, str]:
    """The filters of the query string as typed, and no other argument, for links that keep them
    (the programme tabs) and for going back to the page that explains bad ones."""
    return kept_args(FILTER_ARGS)


@bp.get("/programme/exports")
def exports_page():
    policy.require(current_user, policy.PROGRAMME_EXPORT)
    error, filters = None, Filters()
    try:
        filters = parse_filters(request.args)
    except InvalidInput as refused:
        error = refused
    return render_template(
        "programme/exports.html",
        form=_filters_form(error),
        args=filters.as_args(),
        filter_args=_filters_as_typed(),
        exports=EXPORTS,
        can_import=policy.can(current_user, policy.MEASUREMENT_IMPORT),
    ), (422 if error else 200)


@bp.get("/programme/exports/<any(measurements, attendance, actions):kind>.<any(csv, xlsx):fmt>")
def download_export(kind: str, fmt: str):
    policy.require(current_user, policy.PROGRAMME_EXPORT)
    try:
        filters = parse_filters(request.args)
    except InvalidInput:
        return redirect(url_for("programme.exports_page", **_filters_as_typed()))
    export = EXPORTS[kind]
    return table_response(export.rows(current_user, filters), export.columns, fmt, kind)


def _limit_mb() -> int:
    return current_app.config["SCORE_MAX_IMPORT_MB"]


def _limit_rows() -> int:
    return current_app.config["SCORE_MAX_IMPORT_ROWS"]


@bp.route("/programme/imports", methods=["GET", "POST"])
def upload_import():
    policy.require(current_user, policy.MEASUREMENT_IMPORT)
    form = ImportForm()
    form.file.description = _(
        "Up to %(mb)s MB and %(rows)s rows, in the columns of the measurements export.",
        mb=format_number(_limit_mb()),
        rows=format_number(_limit_rows()),
    )
    if form.validate_on_submit():
        try:
            with import_files.upload_folder() as folder:
                upload = imports.store_upload(
                    current_user, form.file.data, folder, _limit_mb() * 1_000_000, _limit_rows()
                )
        except InvalidInput as error:
            show_on_form(form, error)
        else:
            return redirect(url_for("programme.check_import", token=upload.token), code=303)
    return render_template(
        "programme/import.html",
        form=form,
        columns=MEASUREMENT_COLUMNS,
        indicators=INDICATORS,
    ), (422 if form.errors else 200)


@bp.get("/programme/imports/template.<any(csv, xlsx):fmt>")
def import_template(fmt: str):
    """The columns with example rows; in XLSX, the user's enterprises on a second sheet."""
    policy.require(current_user, policy.MEASUREMENT_IMPORT)
    what = "measurements-template"
    if fmt == "csv":
        return table_response(imports.template_rows(), MEASUREMENT_COLUMNS, fmt, what)
    sheets = [
        Sheet("measurements", MEASUREMENT_COLUMNS, imports.template_rows()),
        Sheet(
            "enterprises", imports.ENTERPRISE_LIST_COLUMNS, imports.enterprise_list(current_user)
        ),
    ]
    return _download(write_workbook(sheets), fmt, what)


@bp.get("/programme/imports/enterprises.<any(csv, xlsx):fmt>")
def import_enterprises(fmt: str):
    """The enterprises whose figures the user may import, with their ids and exact names."""
    policy.require(current_user, policy.MEASUREMENT_IMPORT)
    rows = imports.enterprise_list(current_user)
    return table_response(rows, imports.ENTERPRISE_LIST_COLUMNS, fmt, "enterprises")


def _upload(token: str) -> imports.MeasurementImport:
    policy.require(current_user, policy.MEASUREMENT_IMPORT)
    upload = imports.import_of(current_user, token)
    if upload is None:
        abort(404)
    return upload


def _start(upload: imports.MeasurementImport, *, save: bool) -> Response:
    """Check or save the file as a job, and show the job's page (with no queue configured the
    job has run by then)."""
    job = import_jobs.start(current_user, upload, save=save, locale=current_locale_code())
    return redirect(url_for("jobs.view_job", job_id=job.id), code=303)


@bp.get("/programme/imports/<token>")
def check_import(token: str):
    upload = _upload(token)
    if upload.saved_at is not None:
        return render_template("programme/import_saved.html", upload=upload)
    return _start(upload, save=False)


@bp.post("/programme/imports/<token>/save")
def save_import(token: str):
    upload = _upload(token)
    if upload.saved_at is not None:
        return redirect(url_for("programme.check_import", token=upload.token), code=303)
    return _start(upload, save=True)


def _filters() -> tuple[Filters, InvalidInput | None]:
    """The filters asked for, or none with the refusal that says why."""
    try:
        return parse_filters(request.args), None
    except InvalidInput as error:
        return Filters(), error


@bp.get("/programme")
def dashboard():
    policy.require(current_user, policy.PROGRAMME_VIEW)
    return _dashboard(NarrativeForm(data={"narrative": current_user.report_narrative}))


@bp.post("/programme/narrative")
def save_narrative():
    """Keep the user's narrative for the synthesis report, and go back to the filters shown."""
    policy.require(current_user, policy.PROGRAMME_VIEW)
    form = NarrativeForm()
    if form.validate_on_submit():
        try:
            report.save_narrative(current_user, form.narrative.data or "")
        except InvalidInput as error:
            show_on_form(form, error)
        else:
            flash(_("Narrative saved: the synthesis report prints it first."), "success")
            return redirect(url_for("programme.dashboard", **_filters_as_typed()))
    return _dashboard(form)


def _dashboard(narrative_form: NarrativeForm):
    filters, error = _filters()
    return render_template(
        "programme/dashboard.html",
        **report.results_report(current_user, filters, date.today(), current_locale_code()),
        gaps=services.completeness(current_user, filters),
        form=_filters_form(error),
        narrative_form=narrative_form,
        filter_args=_filters_as_typed(),
        locales=SUPPORTED_LOCALES,
        can_export=policy.can(current_user, policy.PROGRAMME_EXPORT),
    ), (422 if error or narrative_form.errors else 200)


RESULT_COLUMNS = tuple(
    Column(name, width)
    for name, width in (
        ("indicator", 26), ("unit", 14), ("n", 8), ("n_baseline_only", 10),
        ("n_follow_up_only", 10), ("baseline_mean", 14), ("follow_up_mean", 14),
        ("pooled_baseline", 14), ("pooled_follow_up", 14), ("median_change", 14),
        ("share_improved", 12), ("excluded_without_consent", 12),
    )
)  # fmt: skip


@bp.get("/programme/results.<any(csv, xlsx):fmt>")
def download_results(fmt: str):
    """The dashboard's indicator table, for the same filters, as a spreadsheet."""
    policy.require(current_user, policy.PROGRAMME_VIEW)
    filters, error = _filters()
    if error:
        return redirect(url_for("programme.dashboard", **_filters_as_typed()))
    found = services.figures(current_user, filters)
    rows = [
        (
            r.indicator.code, str(r.indicator.unit), r.n, r.n_baseline_only, r.n_follow_up_only,
            r.baseline_mean, r.follow_up_mean, r.pooled_baseline, r.pooled_follow_up,
            r.median_change, r.share_improved, found.excluded,
        )
        for r in found.results
    ]  # fmt: skip
    return table_response(rows, RESULT_COLUMNS, fmt, "programme-results")
