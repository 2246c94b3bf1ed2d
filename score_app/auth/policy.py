"""The one access policy of roles: which role may do what (`can`, `require`).

Which rows a user may reach is each domain's own scope, beside its models (enterprises/access.py,
training/access.py). Every page and API endpoint asks both, so an object outside a user's scope
is simply not found.
"""

from score_app.auth.models import Role, User
from score_app.exceptions import NotAllowed

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


def is_live(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def can(user: User | None, action: str) -> bool:
    """True when the user's role allows the action (scope is checked by the query)."""
    return is_live(user) and user.role in _RULES[action]


def may_revoke_token(user: User | None, token_owner_id: int) -> bool:
    """A token's own user revokes it, and so does an admin."""
    return is_live(user) and (user.id == token_owner_id or can(user, USER_MANAGE))


def require(user: User | None, action: str) -> None:
    if not can(user, action):
        raise NotAllowed
