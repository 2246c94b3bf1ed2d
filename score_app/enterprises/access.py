"""Which enterprises a user may reach (scope), and whose figures they may read: the rows of this
domain as the access policy (auth/policy.py) sees them."""

from sqlalchemy import ColumnElement, false, literal, select, true

from score_app.auth.models import Role, User
from score_app.auth.policy import is_live
from score_app.enterprises.models import Enterprise, enterprise_members
from score_app.exceptions import NotAllowed, NotFound
from score_app.extensions import db
from score_app.i18n import gettext as _


def may_see_figures(user: User | None, enterprise: Enterprise) -> bool:
    """An enterprise's figures and plan are its own: without its consent to share them,
    programme staff do not see them (only its own people, its trainer and admins do)."""
    return not (
        is_live(user) and user.role == Role.PROGRAMME_STAFF and not enterprise.data_sharing_consent
    )


def require_figures(user: User | None, enterprise: Enterprise) -> None:
    """Refuse, saying why, what `may_see_figures` does not allow."""
    if not may_see_figures(user, enterprise):
        raise NotAllowed(
            _(
                "This enterprise has not agreed to share its figures with the programme, so "
                "only its own people and its trainer see them."
            )
        )


def figures_scope(user: User | None) -> ColumnElement[bool]:
    """A WHERE clause on Enterprise keeping those whose figures the user may read or write in
    bulk: the rule of `require_figures`, for queries over many enterprises."""
    if is_live(user) and user.role == Role.PROGRAMME_STAFF:
        return Enterprise.data_sharing_consent.is_(True)
    return true()


def scope_key(user: User | None) -> tuple:
    """Which enterprises the user reaches, as a hashable value: all that `enterprise_scope`
    depends on, so statements built from the scope can be kept and reused for it."""
    if not is_live(user):
        return ("nobody",)
    if user.role == Role.ADMIN:
        return ("everyone",)
    if user.role == Role.PROGRAMME_STAFF:
        codes = user.country_codes
        return ("countries", *sorted(codes)) if codes else ("everyone",)
    return ("member", user.id)


def enterprise_scope(user: User | None) -> ColumnElement[bool]:
    """A WHERE clause on Enterprise limiting rows to those the user may see."""
    return scope_clause(scope_key(user))


def scope_clause(key: tuple) -> ColumnElement[bool]:
    """The WHERE clause on Enterprise for a `scope_key`."""
    kind, *values = key
    if kind == "nobody":
        return false()
    if kind == "everyone":
        return true()
    if kind == "countries":
        # A bound value per country rather than one expanding list, which SQLAlchemy would
        # rewrite into the statement at every execution of it.
        return Enterprise.country.in_([literal(code) for code in values])
    member_of = select(enterprise_members.c.enterprise_id).where(
        enterprise_members.c.user_id == values[0]
    )
    return Enterprise.id.in_(member_of)


def scoped_enterprises(user: User | None):
    """SELECT of the enterprises the user may see, to be filtered and ordered further."""
    return select(Enterprise).where(enterprise_scope(user))


def enterprises_in_scope(user: User | None, ids) -> list[Enterprise]:
    """The enterprises with these ids if the user reaches every one of them, else none."""
    ids = set(ids)
    found = db.session.scalars(scoped_enterprises(user).where(Enterprise.id.in_(ids))).all()
    return list(found) if len(found) == len(ids) else []


def cohorts_in_scope(user: User | None) -> list[str]:
    """The cohorts of the enterprises the user reaches, in order, for a filter's choices."""
    return list(
        db.session.scalars(
            select(Enterprise.cohort)
            .where(enterprise_scope(user), Enterprise.cohort != "")
            .distinct()
            .order_by(Enterprise.cohort)
        )
    )


def enterprise_choices(user: User | None) -> list[tuple[int, str]]:
    """(id, name) of the enterprises the user reaches, by name, for a form's choices."""
    rows = db.session.execute(
        select(Enterprise.id, Enterprise.name)
        .where(enterprise_scope(user))
        .order_by(Enterprise.name_folded)
    ).all()
    return [(row.id, row.name) for row in rows]


def get_enterprise_or_404(user: User | None, enterprise_id: int) -> Enterprise:
    enterprise = db.session.scalar(scoped_enterprises(user).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        raise NotFound
    return enterprise


def get_figures_or_404(user: User | None, enterprise_id: int) -> Enterprise:
    """The enterprise, in scope, if the user may read its figures (its plan shows them too)."""
    enterprise = get_enterprise_or_404(user, enterprise_id)
    require_figures(user, enterprise)
    return enterprise


def country_in_scope(user: User, country: str) -> bool:
    """Whether the user may place an enterprise in this country."""
    if user.role == Role.PROGRAMME_STAFF and user.country_codes:
        return country in user.country_codes
    return user.role in {Role.ADMIN, Role.PROGRAMME_STAFF}
