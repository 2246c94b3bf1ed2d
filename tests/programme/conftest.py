"""Enterprises in Ghana (one without consent) and South Africa with figures, programme staff of
Ghana and an admin, and helpers to upload files and read what an import reports."""

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import Workbook

from score_app.extensions import db
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
    return [enterprise_id, "", indicator, phase, start, end, names[0], inputs[0], names[1],
            inputs[1], "", "", comment]  # fmt: skip


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
    page = client.get(f"/programme/imports/{token}")
    assert page.status_code == 200
    return page.get_data(True), token


def save(client, token: str) -> str:
    response = client.post(f"/programme/imports/{token}/save")
    assert response.status_code == 200
    return response.get_data(True)


def counts(page: str) -> dict[str, int]:
    """The four counts of an import page."""
    found = re.findall(r"<dt>([^<]+)</dt><dd>([\d,]+)</dd>", page)
    return {label: int(number.replace(",", "")) for label, number in found}


def problems(page: str) -> list[tuple[int, str, str]]:
    """(row, column, message) of each problem listed on an import page."""
    cells = re.findall(
        r"<tr><td>(\d+)</td><td><code>([^<]*)</code></td><td>([^<]*)</td></tr>", page
    )
    return [(int(number), column, message) for number, column, message in cells]
