"""Files as people save them: numbers and dates written the user's way ("2,596", "01/10/2025"),
read when only one reading is possible and said on the preview, refused when they read two ways;
and enterprises named rather than numbered."""

from datetime import date

import pytest

from score_app.auth.models import User
from score_app.extensions import db
from score_app.i18n import in_locale
from score_app.programme.written import (
    DAY_FIRST,
    MONTH_FIRST,
    NUMBER,
    Unclear,
    read_day,
    read_number,
)
from tests.programme.conftest import (
    HEADER,
    check,
    counts,
    csv_bytes,
    problems,
    row,
    save,
    upload,
)


@pytest.mark.parametrize(
    ("text", "locale", "value", "kind"),
    [
        ("2596", "en", 2596.0, None),
        ("12.5", "es", 12.5, None),  # a plain number reads the same in every language
        ("2,596", "en", 2596.0, NUMBER),
        ("1,234,567.5", "en", 1234567.5, NUMBER),
        ("2,5", "fr", 2.5, NUMBER),
        ("1 250,5", "fr", 1250.5, NUMBER),  # typed with a plain space
        ("1\u202f250,5", "fr", 1250.5, NUMBER),  # as French grouping is written
        ("1.234.567,5", "es", 1234567.5, NUMBER),
        ("2,596", "vi", 2.596, NUMBER),
    ],
)
def test_numbers_read_as_written_in_the_language(app, text, locale, value, kind):
    with app.test_request_context():
        number, reading = read_number(text, locale)
    assert number == pytest.approx(value)
    assert (reading.kind if reading else None) == kind


@pytest.mark.parametrize(("text", "locale"), [("12,5", "en"), ("1,2,3", "fr"), ("abc", "en")])
def test_what_is_no_number_in_the_language_is_refused(app, text, locale):
    with app.test_request_context():
        assert read_number(text, locale) is None


def test_dot_grouped_digits_where_a_dot_groups_thousands_are_refused_as_unclear(app):
    with app.test_request_context(), in_locale("es"):
        with pytest.raises(Unclear) as unclear:
            read_number("1.500", "es")
        assert str(unclear.value) == (
            "1.500 podría significar 1500 o 1,5: escríbalo sin separador de miles."
        )
        # In English a dot is only ever the decimal point.
        assert read_number("1.500", "en") == (1.5, None)


@pytest.mark.parametrize(
    ("text", "other", "locale", "day", "kind"),
    [
        ("2025-10-01", "", "en", date(2025, 10, 1), None),
        ("01/10/2025", "31/10/2025", "en", date(2025, 10, 1), DAY_FIRST),  # the other date says
        ("10/31/2025", "10/01/2025", "fr", date(2025, 10, 31), MONTH_FIRST),  # this one says
        ("10/01/2025", "10/31/2025", "fr", date(2025, 10, 1), MONTH_FIRST),
        ("01/10/2025", "05/10/2025", "fr", date(2025, 10, 1), DAY_FIRST),  # the language's order
        ("01/10/2025", "05/10/2025", "en", date(2025, 1, 10), MONTH_FIRST),
        ("1.10.2025", "", "vi", date(2025, 10, 1), DAY_FIRST),
    ],
)
def test_dates_read_in_the_order_the_row_or_the_language_allows(
    app, text, other, locale, day, kind
):
    with app.test_request_context():
        found, reading = read_day(text, other, locale)
    assert found == day
    assert (reading.kind if reading else None) == kind


@pytest.mark.parametrize("text", ["31/02/2025", "13/13/2025", "1/10/25", "Oct 1 2025"])
def test_what_is_no_date_is_refused(app, text):
    with app.test_request_context():
        assert read_day(text, "", "en") is None


def libreoffice_row(enterprise_id, start, end, inputs, **fields) -> list:
    """A row as a spreadsheet saved it as CSV with values as shown."""
    return row(enterprise_id, start=start, end=end, inputs=inputs, **fields)


def test_a_file_saved_with_values_as_shown_is_read_and_the_preview_says_how(app, programme_world):
    accra = programme_world["enterprises"]["accra"].id
    client = programme_world["clients"]["staff"]
    data = csv_bytes(
        [
            libreoffice_row(accra, "01/10/2025", "31/10/2025", ("12", "2,596")),
            libreoffice_row(accra, "01/11/2025", "30/11/2025", ("3", "1,250")),
        ]
    )
    page, token = check(client, data)
    assert problems(page) == []
    assert counts(page)["ready"] == 2
    assert "Numbers with separators are read as your language writes them: 2,596 as 2596." in page
    assert "Dates are read as day/month/year: 01/10/2025 as October 1, 2025." in page
    assert "Saved: 2 new measurements, 0 changed, 0 unchanged." in save(client, token)


def test_in_french_a_decimal_comma_is_read_and_said_in_french(app, programme_world):
    accra = programme_world["enterprises"]["accra"].id
    client = programme_world["clients"]["staff_fr"]
    data = csv_bytes([libreoffice_row(accra, "01/10/2025", "31/10/2025", ("12", "1 000"))])
    page, _token = check(client, data)
    assert problems(page) == []
    assert "Les dates sont lues jour/mois/année : 01/10/2025 comme 1 octobre 2025." in page
    assert "1 000 comme 1000." in page


def test_a_number_that_reads_two_ways_is_an_error_on_its_cell(app, programme_world):
    accra = programme_world["enterprises"]["accra"].id
    client = programme_world["clients"]["staff"]
    with app.app_context():
        staff = db.session.get(User, programme_world["users"]["staff"].id)
        staff.preferred_locale = "es"
        db.session.commit()
    page, _token = check(client, csv_bytes([row(accra, inputs=("30", "1.500"))]))
    assert problems(page) == [
        (2, "input_2", "1.500 podría significar 1500 o 1,5: escríbalo sin separador de miles.")
    ]


def test_an_enterprise_named_instead_of_numbered_is_found(app, programme_world):
    client = programme_world["clients"]["staff"]
    named = row("", inputs=("30", "1000"))
    named[1] = "accra WORKS"  # letter case aside, its exact name
    page, _token = check(client, csv_bytes([named]))
    assert problems(page) == []
    assert counts(page)["ready"] == 1
    # A file with the name column alone does as well.
    header = [name for name in HEADER if name != "enterprise_id"]
    page, _token = check(client, csv_bytes([named[1:]], header=header))
    assert counts(page)["ready"] == 1


def test_a_name_that_is_nobody_s_or_several_enterprises_is_an_error(
    app, programme_world, create_enterprise
):
    create_enterprise(name="Accra Works", country="GH")  # a second one of that name
    client = programme_world["clients"]["staff"]
    unknown, twice, durban = (row("") for _ in range(3))
    unknown[1], twice[1], durban[1] = "Takoradi Textiles", "Accra Works", "Durban Denim"
    page, _token = check(client, csv_bytes([unknown, twice, durban]))
    assert problems(page) == [
        (2, "enterprise", "There is no enterprise called Takoradi Textiles among those you can "
                          "reach."),
        (3, "enterprise", "Several enterprises you can reach are called Accra Works: write the "
                          "id of the one you mean in enterprise_id."),
        # Outside this staff member's countries: as unknown as a name nobody has.
        (4, "enterprise", "There is no enterprise called Durban Denim among those you can "
                          "reach."),
    ]  # fmt: skip


def test_a_file_with_neither_the_id_nor_the_name_column_is_refused(app, programme_world):
    client = programme_world["clients"]["staff"]
    header = [name for name in HEADER if name not in ("enterprise_id", "enterprise")]
    response = upload(client, csv_bytes([], header=header))
    assert "enterprise_id are missing" in response.get_data(True)
