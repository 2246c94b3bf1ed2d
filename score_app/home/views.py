"""The start page: what the signed-in user works on."""

from datetime import date

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from score_app.auth import policy
from score_app.auth.models import Role
from score_app.catalog.services import module_choices
from score_app.enterprises.access import enterprise_scope
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.i18n import current_locale_code
from score_app.kpis import services as kpis
from score_app.plans import services as plans
from score_app.training import services as training

bp = Blueprint("home", __name__)

RECENT = 8
# Those who run the plans day to day see what is late and what is due this week.
AGENDA_ROLES = (Role.ENTERPRISE_OWNER, Role.TRAINER)


@bp.get("/")
def index():
    scope = enterprise_scope(current_user)
    total = db.session.scalar(select(func.count()).select_from(Enterprise).where(scope))
    enterprises = db.session.scalars(
        select(Enterprise).where(scope).order_by(Enterprise.name_folded).limit(RECENT)
    ).all()
    today = date.today()
    can_verify = policy.can(current_user, policy.MEASUREMENT_VERIFY)
    is_trainer = current_user.role == Role.TRAINER
    trainer_day = training.trainer_day(current_user, today) if is_trainer else None
    return render_template(
        "home/index.html",
        agenda=plans.agenda(current_user, today) if current_user.role in AGENDA_ROLES else None,
        today=today,
        trainer_day=trainer_day,
        present={
            day.id: training.attendance_counts(day)["total"]
            for day in (trainer_day.today if trainer_day else ())
        },
        titles=dict(module_choices(current_locale_code())) if is_trainer else {},
        enterprises=enterprises,
        total=total,
        can_manage_users=policy.can(current_user, policy.USER_MANAGE),
        can_create=policy.can(current_user, policy.ENTERPRISE_CREATE),
        to_verify=kpis.count_periods_to_verify(current_user) if can_verify else None,
    )
