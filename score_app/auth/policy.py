"""The one access policy: which role may do what, and which enterprises each user can reach.

Roles decide the actions (`can`); scope decides the rows (`enterprise_scope`). Every page and API
endpoint asks both, so an object outside a user's scope is simply not found.
"""

from sqlalchemy import ColumnElement, false, literal, or_, select, true

from score_app.auth.models import Role, User
from score_app.enterprises.models import Enterprise, Person, enterprise_members
from score_app.exceptions import NotAllowed, NotFound
from score_app.extensions import db
from score_app.i18n import gettext as _
from score_app.training.models import Certificate, Visit, Workshop, workshop_enterprises

ENTERPRISE_VIEW = "enterprise.view"
ENTERPRISE_CREATE = "enterprise.create"
ENTERPRISE_EDIT = "enterprise.edit"
ENTERPRISE_CONSENT = "enterprise.consent"
USER_MANAGE = "user.manage"
PEOPLE_MANAGE = "people.manage"
WORKSHOP_CREATE = "workshop.create"
VISIT_RECORD = "visit.record"
CERTIFICATE_REVOKE = "certificate.revoke"
MEASUREMENT_ENTER = "measurement.enter"
MEASUREMENT_VERIFY = "measurement.verify"
MEASUREMENT_REOPEN = "measurement.reopen"
PLAN_EDIT = "plan.edit"
PROGRAMME_VIEW = "programme.view"
ACTION_VERIFY = "action.verify"
PROGRAMME_EXPORT = "programme.export"
MEASUREMENT_IMPORT = "measurement.import"

_ALL = frozenset(Role)
_RULES: dict[str, frozenset[Role]] = {
    ENTERPRISE_VIEW: _ALL,
    ENTERPRISE_CREATE: frozenset({Role.ADMIN, Role.PROGRAMME_STAFF}),
    ENTERPRISE_EDIT: _ALL,
    # Consent is the enterprise's own decision; an admin records it when it comes on paper.
    ENTERPRISE_CONSENT: frozenset({Role.ADMIN, Role.ENTERPRISE_OWNER}),
    USER_MANAGE: frozenset({Role.ADMIN}),
    # The people of an enterprise and its EIT: its own managers and its trainer keep them.
    PEOPLE_MANAGE: frozenset({Role.ADMIN, Role.TRAINER, Role.ENTERPRISE_OWNER}),
    WORKSHOP_CREATE: frozenset({Role.ADMIN, Role.TRAINER}),
    VISIT_RECORD: frozenset({Role.ADMIN, Role.TRAINER}),
    CERTIFICATE_REVOKE: frozenset({Role.ADMIN}),
    # An enterprise's own people and its trainer enter figures; the trainer or programme staff
    # verify them; only programme staff reopen a verified figure.
    MEASUREMENT_ENTER: frozenset({Role.ADMIN, Role.TRAINER, Role.ENTERPRISE_OWNER}),
    MEASUREMENT_VERIFY: frozenset({Role.ADMIN, Role.PROGRAMME_STAFF, Role.TRAINER}),
    MEASUREMENT_REOPEN: frozenset({Role.ADMIN, Role.PROGRAMME_STAFF}),
    # The EIT's plan is run by the enterprise's own people with their trainer; an action that
    # is done is verified by someone from outside the enterprise.
    PLAN_EDIT: frozenset({Role.ADMIN, Role.TRAINER, Role.ENTERPRISE_OWNER}),
    ACTION_VERIFY: frozenset({Role.ADMIN, Role.PROGRAMME_STAFF, Role.TRAINER}),
    # Results across enterprises are for the programme: its staff (in their countries) and admins.
    PROGRAMME_VIEW: frozenset({Role.ADMIN, Role.PROGRAMME_STAFF}),
    # Files across enterprises are the programme's work; within them, scope and consent apply.
    PROGRAMME_EXPORT: frozenset({Role.ADMIN, Role.PROGRAMME_STAFF}),
    MEASUREMENT_IMPORT: frozenset({Role.ADMIN, Role.PROGRAMME_STAFF}),
}


def _is_live(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def can(user: User | None, action: str) -> bool:
    """True when the user's role allows the action (scope is checked by the query)."""
    return _is_live(user) and user.role in _RULES[action]


def may_revoke_token(user: User | None, token_owner_id: int) -> bool:
    """A token's own user revokes it, and so does an admin."""
    return _is_live(user) and (user.id == token_owner_id or can(user, USER_MANAGE))


def may_see_figures(user: User | None, enterprise: Enterprise) -> bool:
    """An enterprise's figures and plan are its own: without its consent to share them,
    programme staff do not see them (only its own people, its trainer and admins do)."""
    return not (
        _is_live(user) and user.role == Role.PROGRAMME_STAFF and not enterprise.data_sharing_consent
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
    if _is_live(user) and user.role == Role.PROGRAMME_STAFF:
        return Enterprise.data_sharing_consent.is_(True)
    return true()


def require(user: User | None, action: str) -> None:
    if not can(user, action):
        raise NotAllowed


def scope_key(user: User | None) -> tuple:
    """Which enterprises the user reaches, as a hashable value: all that `enterprise_scope`
    depends on, so statements built from the scope can be kept and reused for it."""
    if not _is_live(user):
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


def get_enterprise_or_404(user: User | None, enterprise_id: int) -> Enterprise:
    enterprise = db.session.scalar(scoped_enterprises(user).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        raise NotFound
    return enterprise


def country_in_scope(user: User, country: str) -> bool:
    """Whether the user may place an enterprise in this country."""
    if user.role == Role.PROGRAMME_STAFF and user.country_codes:
        return country in user.country_codes
    return user.role in {Role.ADMIN, Role.PROGRAMME_STAFF}


def workshop_scope(user: User | None) -> ColumnElement[bool]:
    """Workshops a user may see: those they run (trainers), or those with an enterprise in scope."""
    if not _is_live(user):
        return false()
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.TRAINER:
        return Workshop.trainer_id == user.id
    with_enterprise_in_scope = (
        select(workshop_enterprises.c.workshop_id)
        .join(Enterprise, Enterprise.id == workshop_enterprises.c.enterprise_id)
        .where(enterprise_scope(user))
    )
    return Workshop.id.in_(with_enterprise_in_scope)


def get_workshop_or_404(user: User | None, workshop_id: int) -> Workshop:
    workshop = db.session.scalar(
        select(Workshop).where(Workshop.id == workshop_id, workshop_scope(user))
    )
    if workshop is None:
        raise NotFound
    return workshop


def runs_workshop(user: User | None, workshop: Workshop) -> bool:
    """Only the workshop's own trainer, or an admin, marks attendance and issues certificates."""
    return _is_live(user) and (user.role == Role.ADMIN or workshop.trainer_id == user.id)


def visit_scope(user: User | None) -> ColumnElement[bool]:
    return Visit.enterprise_id.in_(select(Enterprise.id).where(enterprise_scope(user)))


def certificate_scope(user: User | None) -> ColumnElement[bool]:
    """Certificates of people whose enterprise is in scope, and all of the workshops one runs.

    A shared classroom does not open one enterprise's certificates to another's owner.
    """
    if not _is_live(user):
        return false()
    if user.role == Role.ADMIN:
        return true()
    in_scope = Certificate.person_id.in_(
        select(Person.id).join(Enterprise).where(enterprise_scope(user))
    )
    if user.role == Role.TRAINER:
        runs = Certificate.workshop_id.in_(
            select(Workshop.id).where(Workshop.trainer_id == user.id)
        )
        return or_(in_scope, runs)
    return in_scope
