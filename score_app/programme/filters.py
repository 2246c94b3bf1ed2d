"""The programme filters (country, sector, cohort, module taken, period range) and the set of
enterprises they select within a user's scope, as SQL for every programme query to share: with
the filters' values, or with placeholders for them, so a statement built once for a scope and
the filters given serves every request alike (the values are sent with each execution)."""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, select

from score_app.auth.models import User
from score_app.catalog.services import get_catalogue
from score_app.enterprises.access import enterprise_scope, scope_clause, scope_key
from score_app.enterprises.models import Enterprise
from score_app.exceptions import InvalidInput
from score_app.i18n import gettext as _
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

    def given(self) -> dict[str, str | date]:
        """The filters that are set, by name."""
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name))}

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments, for links and exports that keep them."""
        names = {"period_from": "from", "period_to": "to"}
        return {
            names.get(name, name): value.isoformat() if isinstance(value, date) else value
            for name, value in self.given().items()
        }


def _day(errors: dict, name: str, raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD, for example 2025-01-31.")
        return None


# The query arguments parse_filters reads, in the order links write them.
FILTER_ARGS = ("country", "sector", "cohort", "module", "from", "to")


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
    return _in_view(enterprise_scope(user), filters.given())


def shared_enterprises(user: User | None, filters: Filters) -> Select:
    """The enterprises whose figures enter programme results: in view and consenting."""
    return _shared(enterprises_in_view(user, filters))


def in_period(filters: Filters) -> list:
    """WHERE clauses keeping the measurements inside the period range."""
    return _in_period(filters.given())


@dataclass(frozen=True)
class Selection:
    """What a programme statement is built from: whose scope, and which filters are set (not
    their values, which are its placeholders). Hashable, so its statements are built once."""

    scope: tuple  # scope_key
    filter_names: frozenset[str]

    def placeholders(self) -> dict[str, BindParameter]:
        return {name: bindparam(name) for name in self.filter_names}

    def enterprises_in_view(self) -> Select:
        return _in_view(scope_clause(self.scope), self.placeholders())

    def shared_enterprises(self) -> Select:
        return _shared(self.enterprises_in_view())

    def in_period(self) -> list:
        return _in_period(self.placeholders())


def selection(user: User | None, filters: Filters) -> Selection:
    """The selection a user's filters make; `filters.given()` fills its placeholders."""
    return Selection(scope_key(user), frozenset(filters.given()))


def _in_view(scope, given: Mapping[str, Any]) -> Select:
    """Enterprises in the scope matching the filters given (values or placeholders, by name)."""
    query = select(Enterprise).where(scope)
    if "country" in given:
        query = query.where(Enterprise.country == given["country"])
    if "sector" in given:
        query = query.where(Enterprise.sector == given["sector"])
    if "cohort" in given:
        query = query.where(Enterprise.cohort == given["cohort"])
    if "module" in given:
        took_module = (
            select(workshop_enterprises.c.enterprise_id)
            .join(Workshop, Workshop.id == workshop_enterprises.c.workshop_id)
            .where(Workshop.module_slug == given["module"])
        )
        query = query.where(Enterprise.id.in_(took_module))
    return query


def _shared(in_view: Select) -> Select:
    return in_view.where(Enterprise.data_sharing_consent.is_(True))


def _in_period(given: Mapping[str, Any]) -> list:
    clauses = []
    if "period_from" in given:
        clauses.append(Measurement.period_start >= given["period_from"])
    if "period_to" in given:
        clauses.append(Measurement.period_end <= given["period_to"])
    return clauses
