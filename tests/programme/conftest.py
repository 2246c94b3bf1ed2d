"""A programme of Ghanaian and South African enterprises with figures before and after."""

from datetime import date

import pytest

from score_app.extensions import db
from score_app.kpis import services as kpis
from score_app.kpis.formulas import compute
from score_app.kpis.models import Measurement, Phase, Status

JAN, APR, JUL = (date(2025, 1, 1), date(2025, 1, 31)), (date(2025, 4, 1), date(2025, 4, 30)), (
    date(2025, 7, 1), date(2025, 7, 31))  # fmt: skip


def seed(enterprise_id, code, phase, period, first, second, status=Status.VERIFIED):
    """A measurement as a write path stores it, the latest of its phase kept marked."""
    names = [spec.name for spec in Measurement(indicator=code).definition.inputs]
    db.session.add(
        Measurement(
            enterprise_id=enterprise_id, indicator=code, phase=Phase(phase),
            period_start=period[0], period_end=period[1], input_1=first, input_2=second,
            value=compute(code, dict(zip(names, (first, second), strict=True))), status=status,
        )
    )  # fmt: skip
    kpis.refresh_latest({(enterprise_id, code, Phase(phase).value)})
    db.session.commit()


@pytest.fixture
def programme_world(app, create_enterprise, create_user):
    """Defect rate: E1 3.0 -> (2.0 in April) 1.5, E2 2.5 -> 3.0, E3 2.0 -> 2.0, E4 4.0 with no
    follow-up; efficiency: E1 60 -> 70, E2 50 -> 55. E5 has not agreed to share; E6 is in
    South Africa."""
    e = {
        n: create_enterprise(name=f"E{n}", country=country, sector=sector, data_sharing_consent=ok)
        for n, country, sector, ok in (
            (1, "GH", "garments", True), (2, "GH", "garments", True), (3, "GH", "textiles", True),
            (4, "GH", "garments", True), (5, "GH", "garments", False), (6, "ZA", "garments", True),
        )
    }  # fmt: skip
    with app.app_context():
        for n, before, after in ((1, 30, 15), (2, 100, 120), (3, 10, 10), (5, 100, 0), (6, 1, 9)):
            whole = {2: 4000, 3: 500}.get(n, 1000)
            seed(e[n].id, "defect_rate", "baseline", JAN, before, whole)
            seed(e[n].id, "defect_rate", "follow_up", JUL, after, whole)
        seed(e[1].id, "defect_rate", "follow_up", APR, 20, 1000)
        seed(e[4].id, "defect_rate", "baseline", JAN, 40, 1000)
        for n, before, after in ((1, 6000, 7000), (2, 5000, 5500)):
            seed(e[n].id, "operating_efficiency", "baseline", JAN, before, 10000)
            seed(e[n].id, "operating_efficiency", "follow_up", JUL, after, 10000)
    users = {
        "staff": create_user("programme_staff", countries=["GH"]),
        "admin": create_user("admin"),
        "owner": create_user("enterprise_owner", enterprises=[e[1]]),
    }
    return {"enterprises": e, "users": users}
