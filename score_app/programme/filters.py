"""The programme filters (country, sector, cohort, module taken, period range) and the set of
enterprises they select within a user's scope, as SQL for every programme query to share."""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, select

from score_app.auth import policy
from score_app.auth.models import User
from score_app.catalog.services import get_catalogue
from score_app.enterprises.models import Enterprise
from score_app.errors import InvalidInput
from score_app.kpis.models import Measurement
from score_app.training.models import Workshop, workshop_enterprises


@dataclass(frozen=True)
class Filters:
    country: str = ""
    sector: str = ""
    cohort: str = ""
    module: str = ""
    period_from: date | None = None  # measurements whose period starts on or after this day
    period_to: date | None = None  # ... and ends on or before this one

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments, for links and exports that keep them."""
        names = {"period_from": "from", "period_to": "to"}
        return {
            names.get(f.name, f.name): value.isoformat() if isinstance(value, date) else value
            for f in fields(self)
            if (value := getattr(self, f.name))
        }


def _day(errors: dict, name: str, raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD, for example 2025-01-31.")
        return None


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Filters from a query string (`country`, `sector`, `cohort`, `module`, `from`, `to`);
    raise InvalidInput naming each bad one."""
    errors: dict[str, str] = {}
    text = {name: (args.get(name) or "").strip() for name in ("country", "sector", "cohort")}
    if len(text["cohort"]) > 60 or len(text["country"]) > 2 or len(text["sector"]) > 40:
        errors["filters"] = _("One of the filters is too long.")
    module = (args.get("module") or "").strip()
    if module and get_catalogue().get(module) is None:
        errors["module"] = _("Choose a module from the catalogue.")
    period_from = _day(errors, "from", args.get("from"))
    period_to = _day(errors, "to", args.get("to"))
    if period_from and period_to and period_from > period_to:
        errors["to"] = _("The end of the period cannot come before its start.")
    if errors:
        raise InvalidInput(errors)
    return Filters(
        country=text["country"].upper(), sector=text["sector"], cohort=text["cohort"],
        module=module, period_from=period_from, period_to=period_to,
    )  # fmt: skip


def enterprises_in_view(user: User | None, filters: Filters) -> Select:
    """SELECT Enterprise rows in the user's scope that match the filters (consent not applied)."""
    query = select(Enterprise).where(policy.enterprise_scope(user))
    if filters.country:
        query = query.where(Enterprise.country == filters.country)
    if filters.sector:
        query = query.where(Enterprise.sector == filters.sector)
    if filters.cohort:
        query = query.where(Enterprise.cohort == filters.cohort)
    if filters.module:
        took_module = (
            select(workshop_enterprises.c.enterprise_id)
            .join(Workshop, Workshop.id == workshop_enterprises.c.workshop_id)
            .where(Workshop.module_slug == filters.module)
        )
        query = query.where(Enterprise.id.in_(took_module))
    return query


def shared_enterprises(user: User | None, filters: Filters) -> Select:
    """The enterprises whose figures enter programme results: in view and consenting."""
    return enterprises_in_view(user, filters).where(Enterprise.data_sharing_consent.is_(True))


def in_period(filters: Filters):
    """WHERE clauses keeping the measurements inside the period range."""
    clauses = []
    if filters.period_from:
        clauses.append(Measurement.period_start >= filters.period_from)
    if filters.period_to:
        clauses.append(Measurement.period_end <= filters.period_to)
    return clauses
