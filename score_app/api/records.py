"""Stored records as the API answers with them: measurements, and what a device's sync applied
(attendance, walk-ins, visits, plan actions)."""

from score_app.kpis.checks import warning_text
from score_app.kpis.models import Measurement
from score_app.plans.models import PlanAction
from score_app.training.models import Visit

JSON_DECIMALS = 6


def rounded(number: float | None) -> float | None:
    """Enough decimals for any use, without floating-point noise such as 2.8000000000000003."""
    return None if number is None else round(number, JSON_DECIMALS)


def _day(value) -> str | None:
    return value.isoformat() if value else None


def measurement_json(measurement: Measurement) -> dict:
    return {
        "id": measurement.id,
        "enterprise_id": measurement.enterprise_id,
        "indicator": measurement.indicator,
        "phase": measurement.phase.value,
        "period_start": measurement.period_start.isoformat(),
        "period_end": measurement.period_end.isoformat(),
        "inputs": measurement.inputs,
        "value": rounded(measurement.value),
        "status": measurement.status.value,
        "comment": measurement.comment,
        "warnings": [warning_text(warning) for warning in measurement.warnings],
        "version": measurement.version,
    }


def attendance_json(day_id: int, person_id: int, present: bool) -> dict:
    """Attendance has no version: a mark says how it stands, whatever marks came before."""
    return {"day_id": day_id, "person_id": person_id, "present": present, "version": None}


def walk_in_json(person, day_id: int) -> dict:
    """A person added on the day, marked present; `id` is the person's."""
    return {
        "id": person.id,
        "enterprise_id": person.enterprise_id,
        "full_name": person.full_name,
        "sex": person.sex.value,
        "job_role": person.job_role.value,
        "day_id": day_id,
        "present": True,
        "version": person.version,
    }


def visit_json(visit: Visit, action_ids: list[int]) -> dict:
    return {
        "id": visit.id,
        "enterprise_id": visit.enterprise_id,
        "module_slug": visit.module_slug,
        "visit_date": visit.visit_date.isoformat(),
        "findings": visit.findings,
        "next_steps": visit.next_steps,
        "action_ids": action_ids,
        "version": visit.version,
    }


def action_json(action: PlanAction) -> dict:
    return {
        "id": action.id,
        "plan_id": action.plan_id,
        "enterprise_id": action.plan.enterprise_id,
        "problem": action.problem,
        "root_cause": action.root_cause,
        "action": action.action,
        "responsible": action.responsible,
        "start_date": _day(action.start_date),
        "due_date": action.due_date.isoformat(),
        "status": action.status.value,
        "module_slug": action.module_slug,
        "indicator": action.indicator,
        "target_value": rounded(action.target_value),
        "estimated_cost_minor": action.estimated_cost_minor,
        "realised_savings_minor": action.realised_savings_minor,
        "done_on": _day(action.done_on),
        "version": action.version,
    }
