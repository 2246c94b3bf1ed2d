"""Programme worlds: for exports and imports, enterprises in Ghana (one without consent) and South
Africa with figures, programme staff of Ghana and an admin, and helpers to upload files and read
what an import reports; for results, Ghanaian and South African enterprises with figures before
and after."""

import csv
import html
import io
import re
from datetime import date

import pytest
from openpyxl import Workbook

from score_app.extensions import db
from score_app.kpis import services as kpis
from score_app.kpis.formulas import compute
from score_app.kpis.models import Measurement, Phase, Status
from score_app.programme.exports import MEASUREMENT_COLUMNS
from tests.conftest import sign_in

HEADER = [column.name for column in MEASUREMENT_COLUMNS]


def add_measurement(enterprise_id, indicator="defect_rate", phase=Phase.BASELINE,
                    period=(date(2025, 1, 1), date(2025, 1, 31)), inputs=(30, 1000),
                    status=Status.SUBMITTED, comment="") -> int:  # fmt: skip
    """A measurement written straight to the database; its id."""
    names = [spec.name for spec in Measurement(indicator=indicator).definition.inputs]
    measurement = Measurement(
        enterprise_id=enterprise_id, indicator=indicator, phase=phase,
        period_start=period[0], period_end=period[1], input_1=inputs[0], input_2=inputs[1],
        value=compute(indicator, dict(zip(names, inputs, strict=True))), status=status,
        comment=comment, is_latest=True,
    )  # fmt: skip
    db.session.add(measurement)
    db.session.commit()
    return measurement.id


@pytest.fixture
def programme_world(app, create_enterprise, create_user, tmp_path):
    app.config["SCORE_IMPORT_DIR"] = str(tmp_path / "imports")
    enterprises = {
        "accra": create_enterprise(name="Accra Works", country="GH"),
        "kumasi": create_enterprise(name="Kumasi Kente", country="GH"),
        "private": create_enterprise(name="Tema Private", country="GH", data_sharing_consent=False),
        "durban": create_enterprise(name="Durban Denim", country="ZA"),
    }
    users = {
        "staff": create_user("programme_staff", countries=["GH"]),
        "admin": create_user("admin"),
        "staff_fr": create_user("programme_staff", countries=["GH"], preferred_locale="fr"),
    }
    with app.app_context():
        for key in ("accra", "private", "durban"):
            add_measurement(enterprises[key].id)
        add_measurement(
            enterprises["accra"].id, "ltifr", Phase.FOLLOW_UP,
            (date(2025, 7, 1), date(2025, 7, 31)), (1, 240_000.5), comment="One fall",
        )  # fmt: skip
    clients = {role: sign_in(app.test_client(), user) for role, user in users.items()}
    return {"enterprises": enterprises, "users": users, "clients": clients, "tmp": tmp_path}


def csv_bytes(rows, header=HEADER, delimiter=",", bom=True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(enterprise_id, indicator="defect_rate", phase="baseline", start="2025-01-01",
        end="2025-01-31", names=("defective_units", "inspected_units"), inputs=("30", "1000"),
        comment="") -> list:  # fmt: skip
    """A file row in the contract's columns (value and status are not read)."""
    return [enterprise_id, "", "", "", "", indicator, phase, start, end, names[0], inputs[0],
            names[1], inputs[1], "", "", comment]  # fmt: skip


def upload(client, data: bytes, filename="figures.csv"):
    """Upload a file; the response (a redirect to the check page when the file is accepted)."""
    return client.post(
        "/programme/imports",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def check(client, data: bytes, filename="figures.csv"):
    """Upload and check a file: (check page text, the import's token)."""
    response = upload(client, data, filename)
    assert response.status_code == 303, response.get_data(True)
    token = response.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/programme/imports/{token}", follow_redirects=True)
    assert page.status_code == 200
    return page.get_data(True), token


def save(client, token: str) -> str:
    """Save a checked file: the text of the save job's page (with no queue configured, the
    job has run before the page is shown)."""
    response = client.post(f"/programme/imports/{token}/save", follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(True)


def counts(page: str) -> dict[str, int]:
    """The counts of an import page: rows with errors, rows that need a comment and ready rows
    (when not saved), and the ready rows by what saving does: New, Changed, Unchanged."""
    found = re.findall(r'<li class="count-([a-z]+)[^"]*">([\d,]+) ', page)
    found += re.findall(r"<dt>([^<]+)</dt><dd>([\d,]+)</dd>", page)
    return {label: int(number.replace(",", "")) for label, number in found}


def _listed(page: str) -> list[tuple[int, str, str, str]]:
    """(row, column, message, kind) of each problem listed on an import page."""
    cells = re.findall(
        r'<tr data-kind="(\w+)"><td>(\d+)</td><td><code>([^<]*)</code></td><td>(.*?)</td></tr>',
        page,
    )
    return [
        (
            int(number),
            column,
            html.unescape(
                re.sub(r'<span class="(badge|comment-quote)[^>]*>[^<]*</span>|<[^>]+>', "", cell)
            ).strip(),
            kind,
        )
        for kind, number, column, cell in cells
    ]


def problems(page: str) -> list[tuple[int, str, str]]:
    """(row, column, message) of each error listed on an import page."""
    return [
        (row, column, message) for row, column, message, kind in _listed(page) if kind == "error"
    ]


def warnings(page: str) -> list[tuple[int, str, str, str]]:
    """(row, column, message, kind) of each warning listed on an import page; kind is
    needs_comment or explained."""
    return [listed for listed in _listed(page) if listed[3] != "error"]


JAN, APR, JUL = (date(2025, 1, 1), date(2025, 1, 31)), (date(2025, 4, 1), date(2025, 4, 30)), (
    date(2025, 7, 1), date(2025, 7, 31))  # fmt: skip


def seed(enterprise_id, code, phase, period, first, second, status=Status.VERIFIED):
    """A measurement as a write path stores it, the current before/after pair kept marked."""
    names = [spec.name for spec in Measurement(indicator=code).definition.inputs]
    db.session.add(
        Measurement(
            enterprise_id=enterprise_id, indicator=code, phase=Phase(phase),
            period_start=period[0], period_end=period[1], input_1=first, input_2=second,
            value=compute(code, dict(zip(names, (first, second), strict=True))), status=status,
        )
    )  # fmt: skip
    kpis.refresh_latest({(enterprise_id, code)})
    db.session.commit()


@pytest.fixture
def results_world(app, create_enterprise, create_user):
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
