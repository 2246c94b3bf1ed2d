"""`flask score ...`: accounts, tokens, demo data, backups, documents and translations."""

from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from score_app import backup, demo, storage
from score_app.auth import services as auth_services
from score_app.auth.models import Role
from score_app.catalog.content import CatalogueError, load_catalogue
from score_app.documents import services as documents
from score_app.exceptions import InvalidInput, NotAllowed, NotFound
from score_app.extensions import db
from score_app.i18n import SUPPORTED_LOCALES
from score_app.programme.filters import parse_filters
from score_app.users import services as user_services

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT_FILE = TRANSLATIONS / "messages.pot"
# Keywords beyond Babel's defaults: lazy strings in forms and models.
EXTRA_KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2")

score_cli = AppGroup("score", help="score_app administration commands.")


def _fail(error: InvalidInput) -> None:
    for field, message in error.errors.items():
        click.echo(f"{field}: {message}", err=True)
    raise SystemExit(1)


@score_cli.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--name", "full_name", default="", help="Full name; defaults to the email's name.")
@click.option("--enterprise", "enterprise_ids", type=int, multiple=True, help="Enterprise id.")
@click.option("--country", "countries", multiple=True, help="ISO country code (programme staff).")
def create_user_command(email, role, password, full_name, enterprise_ids, countries):
    """Create a user account with a role and scope."""
    try:
        user = user_services.create_user(
            email=email,
            full_name=full_name or email.split("@")[0],
            role=Role(role),
            password=password,
            countries=[c.upper() for c in countries],
            enterprise_ids=enterprise_ids,
        )
    except InvalidInput as error:
        _fail(error)
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@score_cli.command("token")
@click.argument("email")
@click.option("--label", default="command line", help="A name to recognise the token by.")
def token_command(email, label):
    """Create an API token for a user and print it as the last line."""
    user = auth_services.find_user_by_email(email)
    if user is None or not user.is_active:
        click.echo(f"No active user with the email {email}.", err=True)
        raise SystemExit(1)
    _token, plain = auth_services.create_token(user, label)
    click.echo(f"API token for {user.email}; it is shown only once:")
    click.echo(plain)


@score_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker_command(burst):
    """Run background jobs from the Redis queue "score" (SCORE_REDIS_URL) until stopped."""
    from score_app.jobs import queue

    if not current_app.config["SCORE_REDIS_URL"]:
        click.echo("SCORE_REDIS_URL is not set: jobs run inside the web requests.", err=True)
        raise SystemExit(1)
    queue.work(current_app._get_current_object(), burst=burst)


def _database_is_empty() -> bool:
    from score_app.auth.models import User

    return db.session.scalar(select(func.count()).select_from(User)) == 0


@score_cli.command("demo")
@click.option("--reset", is_flag=True, help="Erase every row first, then load the demo.")
@click.option(
    "--keep-existing", is_flag=True, help="If the database has data, leave it and print the logins."
)
def demo_command(reset, keep_existing):
    """Load the demo scenarios into an empty database and print the demo logins."""
    if reset:
        demo.erase_all()
    elif not _database_is_empty():
        if not keep_existing:
            click.echo(
                "The database already holds data; nothing was loaded. "
                "Use --reset to erase it and load the demo.",
                err=True,
            )
            raise SystemExit(1)
        click.echo("The database already holds data; the demo was not loaded again.")
        _print_logins()
        return
    demo.load()
    click.echo("Demo data loaded.")
    _print_logins()


def _print_logins() -> None:
    click.echo(f"Demo logins (password for each: {demo.PASSWORD}):")
    for email, role in demo.LOGINS:
        click.echo(f"  {role:<17} {email}")


def _stop(message: str) -> None:
    click.echo(message, err=True)
    raise SystemExit(1)


def _photos(count: int) -> str:
    return f"{count} photo" if count == 1 else f"{count} photos"


@contextmanager
def _backup_refusals():
    try:
        yield
    except backup.BackupError as error:
        _stop(str(error))
    except OperationalError as error:
        _stop(f"The database cannot be reached: {error.orig}")


@score_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path):
    """Write the database and the evidence photos to a new archive at PATH (.tar.gz)."""
    with _backup_refusals():
        manifest = backup.create(path)
    click.echo(
        f"Backup written to {path}: the {manifest.database} database at schema revision "
        f"{manifest.revision} and {_photos(manifest.photos)}."
    )


@score_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database or photo folder that holds data.")
def restore_command(path, yes):
    """Put back the database and the evidence photos from a backup made by `score backup`."""
    with _backup_refusals():
        manifest = backup.restore(path, replace=yes)
    click.echo(
        f"Restored the database and {_photos(manifest.photos)} from {path} "
        f"(made {manifest.created} UTC)."
    )
    if manifest.revision != backup.schema_head():
        click.echo(
            f"The database is at schema revision {manifest.revision}; this code expects "
            f"{backup.schema_head()}. Run `flask --app wsgi db upgrade` before starting the app."
        )


storage_cli = AppGroup("storage", help="Where the evidence photos are kept (SCORE_STORAGE).")
score_cli.add_command(storage_cli)


@storage_cli.command("move-to-database")
def storage_move_to_database():
    """Move the photos kept in SCORE_UPLOAD_DIR into the database, where every app server
    finds them; each file is deleted once its copy is committed. Safe to run again."""
    from score_app.plans.models import ActionPhoto
    from score_app.training.models import VisitPhoto

    if current_app.config["SCORE_STORAGE"] != "database":
        _stop(
            "SCORE_STORAGE is not database: set SCORE_STORAGE=database on every app server "
            "first, or the photos moved would not be found. Nothing was moved."
        )
    content_types = {}
    for model in (ActionPhoto, VisitPhoto):
        named = db.session.execute(select(model.stored_name, model.content_type)).all()
        content_types.update(named)
    folder = Path(current_app.config["SCORE_UPLOAD_DIR"])
    moved, missing = storage.move_to_database(folder, sorted(content_types), content_types)
    click.echo(f"Moved {_photos(moved)} from {folder} into the database.")
    if missing:
        click.echo(f"{_photos(len(missing))} found nowhere: {', '.join(missing)}", err=True)


pdf_cli = AppGroup("pdf", help="Print a document to a PDF file, as a given user sees it.")
score_cli.add_command(pdf_cli)


@contextmanager
def _as_reader(email: str | None):
    """The user the document is made for (their scope and rights apply), inside a request
    context whose address is the public one, so printed links point where readers can go."""
    base_url = current_app.config["SCORE_PUBLIC_URL"] or "http://localhost/"
    with current_app.test_request_context(base_url=base_url):
        user = auth_services.find_user_by_email(email) if email else None
        if email and (user is None or not user.is_active):
            _stop(f"No active user with the email {email}.")
        try:
            yield user
        except NotFound:
            _stop("There is no such record among those this user can reach.")
        except NotAllowed as refusal:
            _stop(refusal.reason or "This user may not print this document.")
        except InvalidInput as error:
            _fail(error)


def _write(document, output: Path | None) -> None:
    path = output or Path(document.filename)
    path.write_bytes(document.pdf())
    click.echo(f"Wrote {path}.")


_AS = click.option("--as", "email", required=True, help="Email of the user who reads it.")
_LANG = click.option(
    "--lang", type=click.Choice(sorted(SUPPORTED_LOCALES)), default="en", show_default=True
)
_OUTPUT = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="The PDF file."
)


@pdf_cli.command("plan")
@click.argument("enterprise_id", type=int)
@click.option("--plan", "plan_id", type=int, help="A plan other than the active one.")
@click.option("--follow-up", type=int, help="The follow-up to compare with (1, 2...).")
@_AS
@_LANG
@_OUTPUT
def pdf_plan(enterprise_id, plan_id, follow_up, email, lang, output):
    """An enterprise's printed improvement plan."""
    with _as_reader(email) as user:
        document = documents.plan(
            user,
            enterprise_id,
            locale=lang,
            today=date.today(),
            plan_id=plan_id,
            follow_up=follow_up,
        )
        _write(document, output)


@pdf_cli.command("synthesis")
@click.option("--country", default="", help="ISO country code.")
@click.option("--sector", default="")
@click.option("--cohort", default="")
@click.option("--module", default="", help="Module slug.")
@click.option("--from", "period_from", default="", help="First day, YYYY-MM-DD.")
@click.option("--to", "period_to", default="", help="Last day, YYYY-MM-DD.")
@_AS
@_LANG
@_OUTPUT
def pdf_synthesis(country, sector, cohort, module, period_from, period_to, email, lang, output):
    """The programme's synthesis report for these filters."""
    asked = {"country": country, "sector": sector, "cohort": cohort, "module": module}
    asked |= {"from": period_from, "to": period_to}
    with _as_reader(email) as user:
        filters = parse_filters(asked)
        _write(documents.synthesis(user, filters, locale=lang, today=date.today()), output)


@pdf_cli.command("sign-in")
@click.argument("workshop_id", type=int)
@click.argument("day_id", type=int)
@_AS
@_LANG
@_OUTPUT
def pdf_sign_in(workshop_id, day_id, email, lang, output):
    """The sign-in sheet of a workshop day."""
    with _as_reader(email) as user:
        _write(documents.sign_in_sheet(user, workshop_id, day_id, locale=lang), output)


@pdf_cli.command("certificate")
@click.argument("code")
@_AS
@_OUTPUT
def pdf_certificate(code, email, output):
    """A certificate, in the language it was issued in."""
    with _as_reader(email) as user:
        public_url = current_app.config["SCORE_PUBLIC_URL"] or "http://localhost/"
        _write(documents.certificate(user, code, public_url=public_url), output)


@pdf_cli.command("certificates")
@click.argument("workshop_id", type=int)
@_AS
@_LANG
@_OUTPUT
def pdf_certificates(workshop_id, email, lang, output):
    """Every valid certificate of a workshop that the user may see, one a page."""
    with _as_reader(email) as user:
        document = documents.workshop_certificates(
            user,
            workshop_id,
            public_url=current_app.config["SCORE_PUBLIC_URL"] or "http://localhost/",
            locale=lang,
            most=current_app.config["SCORE_MAX_CERTIFICATES_PER_PDF"],
        )
        _write(document, output)


@pdf_cli.command("handout")
@click.argument("slug")
@_LANG
@_OUTPUT
def pdf_handout(slug, lang, output):
    """A module's participant handout (the trainer's notes left out)."""
    with _as_reader(None):
        _write(documents.handout(slug, locale=lang), output)


@pdf_cli.command("guide")
@click.argument("slug")
@_LANG
@_OUTPUT
def pdf_guide(slug, lang, output):
    """A module's whole trainer guide."""
    with _as_reader(None):
        _write(documents.trainer_guide(slug, locale=lang), output)


modules_cli = AppGroup("modules", help="The training catalogue in modules/.")
score_cli.add_command(modules_cli)


@modules_cli.command("check")
def modules_check():
    """Validate every module folder and list each problem."""
    root = Path(current_app.config["SCORE_MODULES_DIR"])
    try:
        catalogue = load_catalogue(root)
    except CatalogueError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from None
    click.echo(f"{len(catalogue.modules)} modules are valid: {', '.join(catalogue.slugs)}.")
    # A guide not yet translated is reported, not refused: its readers get the English guide.
    for slug, locales in catalogue.missing_guides().items():
        files = ", ".join(f"{locale}.md" for locale in locales)
        click.echo(f"{slug}: guide not written yet in {files} (the English guide is shown).")


i18n_cli = AppGroup("i18n", help="Extract, update and compile the translation catalogues.")
score_cli.add_command(i18n_cli)


def extract_messages(output: Path) -> None:
    """Write every translatable string of the code and templates to a POT file."""
    keywords = [arg for keyword in EXTRA_KEYWORDS for arg in ("-k", keyword)]
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        *keywords,
        "--no-location",
        "--add-comments",
        "i18n:",
        "--project",
        "score_app",
        "-o",
        str(output),
        str(ROOT),
    )


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *args])


@i18n_cli.command("extract")
def i18n_extract():
    """Refresh translations/messages.pot from the code."""
    extract_messages(POT_FILE)
    click.echo(f"Wrote {POT_FILE.relative_to(ROOT)}.")


@i18n_cli.command("update")
def i18n_update():
    """Extract, then merge the new strings into every catalogue."""
    extract_messages(POT_FILE)
    _pybabel("update", "-i", str(POT_FILE), "-d", str(TRANSLATIONS), "--ignore-obsolete")
    click.echo(
        "Catalogues updated: translate the new entries, then run `flask score i18n compile`."
    )


@i18n_cli.command("compile")
def i18n_compile():
    """Build the .mo files the app reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS))
    click.echo("Catalogues compiled.")
