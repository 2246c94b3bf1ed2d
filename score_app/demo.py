"""Deterministic demo scenarios: four countries, ten enterprises, one account of each role.

Names mix scripts and include very long words so layouts are tried on what real users type.
"""

from datetime import date

from score_app.auth import services as auth_services
from score_app.auth.models import Role
from score_app.enterprises import services as enterprise_services
from score_app.extensions import db

PASSWORD = "score-demo"

ADMIN = ("admin@example.org", "Marie-Claire Okonkwo-Delacroix")

ENTERPRISES = (
    # key, name, country, region, sector, product, women, men, joined, cohort, consent
    (
        "saigon",
        "Công ty TNHH May mặc Sài Gòn Xanh",
        "VN",
        "Thành phố Hồ Chí Minh",
        "garments",
        "Áo sơ mi nam",
        182,
        41,
        date(2025, 3, 3),
        "VN-2025-A",
        True,
    ),
    (
        "binhduong",
        "Nhà máy Gỗ Bình Dương Phát Đạt",
        "VN",
        "Bình Dương",
        "wood_furniture",
        "Bàn ăn gỗ cao su",
        38,
        96,
        date(2025, 3, 3),
        "VN-2025-A",
        True,
    ),
    (
        "mekong",
        "Mekong Delta Seafood Processing JSC",
        "VN",
        "Cần Thơ",
        "food_processing",
        "Frozen pangasius fillets",
        140,
        60,
        date(2025, 9, 15),
        "VN-2025-B",
        False,
    ),
    (
        "accra",
        "Accra Garment Works Ltd",
        "GH",
        "Greater Accra",
        "garments",
        "School uniforms",
        96,
        22,
        date(2025, 2, 10),
        "GH-2025-A",
        True,
    ),
    (
        "kumasi",
        "Kumasi Timber & Joinery",
        "GH",
        "Ashanti",
        "wood_furniture",
        "Doors and window frames",
        8,
        74,
        date(2025, 2, 10),
        "GH-2025-A",
        True,
    ),
    (
        "tema",
        "Tema Agro-Processing Company",
        "GH",
        "Greater Accra",
        "food_processing",
        "Tomato paste",
        61,
        39,
        date(2025, 10, 6),
        "GH-2025-B",
        False,
    ),
    (
        "gauteng",
        "Motorvoertuigonderdelevervaardigingsmaatskappy (Edms) Bpk",
        "ZA",
        "Gauteng",
        "automotive_parts",
        "Wiring harnesses",
        70,
        118,
        date(2025, 4, 7),
        "ZA-2025-A",
        True,
    ),
    (
        "ethekwini",
        "eThekwini Leather & Footwear (Pty) Ltd",
        "ZA",
        "KwaZulu-Natal",
        "leather_footwear",
        "Safety boots",
        88,
        52,
        date(2025, 4, 7),
        "ZA-2025-A",
        True,
    ),
    (
        "ubuntu",
        "Ubuntu Textile Mills",
        "ZA",
        "Eastern Cape",
        "textiles",
        "Cotton yarn",
        54,
        77,
        date(2025, 4, 7),
        "ZA-2025-A",
        True,
    ),
    (
        "atlas",
        "مصنع الأطلس للنسيج",
        "MA",
        "Fès-Meknès",
        "textiles",
        "Tissus d'ameublement",
        120,
        45,
        date(2026, 1, 19),
        "MA-2026-A",
        False,
    ),
)

USERS = (
    # email, name, role, locale, countries, enterprise keys
    ("staff@example.org", "Thandiwe Nkosi-Mahlangu", Role.PROGRAMME_STAFF, "en", ("GH", "ZA"), ()),
    (
        "trainer@example.org",
        "Kwabena Owusu-Ansah",
        Role.TRAINER,
        "en",
        (),
        ("accra", "kumasi", "tema", "ethekwini"),
    ),
    (
        "trainer.vn@example.org",
        "Nguyễn Thị Hồng Nhung",
        Role.TRAINER,
        "vi",
        (),
        ("saigon", "binhduong", "mekong"),
    ),
    ("owner@example.org", "Trần Văn Đức", Role.ENTERPRISE_OWNER, "vi", (), ("saigon",)),
    (
        "owner.ma@example.org",
        "Fatima Zahra El Idrissi",
        Role.ENTERPRISE_OWNER,
        "fr",
        (),
        ("atlas",),
    ),
)

LOGINS = (
    (ADMIN[0], Role.ADMIN.value),
    *((email, role.value) for email, _name, role, *_rest in USERS),
)


def erase_all() -> None:
    """Delete every row of every table, children first."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def load() -> None:
    """Load the demo into an empty database."""
    admin = auth_services.create_user(
        email=ADMIN[0],
        full_name=ADMIN[1],
        role=Role.ADMIN,
        password=PASSWORD,
        preferred_locale="en",
    )
    ids = {}
    for (
        key,
        name,
        country,
        region,
        sector,
        product,
        women,
        men,
        joined,
        cohort,
        consent,
    ) in ENTERPRISES:
        enterprise = enterprise_services.create_enterprise(
            admin,
            {
                "name": name,
                "country": country,
                "region": region,
                "sector": sector,
                "product": product,
                "workers_women": women,
                "workers_men": men,
                "joined_on": joined,
                "cohort": cohort,
                "data_sharing_consent": consent,
            },
        )
        ids[key] = enterprise.id
    for email, name, role, locale, countries, keys in USERS:
        auth_services.create_user(
            email=email,
            full_name=name,
            role=role,
            password=PASSWORD,
            preferred_locale=locale,
            countries=countries,
            enterprise_ids=[ids[k] for k in keys],
        )
