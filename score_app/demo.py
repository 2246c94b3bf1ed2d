"""Deterministic demo scenarios: four countries, ten enterprises, one account of each role.

Names mix scripts and include very long words so layouts are tried on what real users type.
"""

from datetime import date, timedelta

from score_app.auth.models import Role
from score_app.catalog.services import get_catalogue
from score_app.enterprises import services as enterprise_services
from score_app.enterprises.models import Enterprise
from score_app.exceptions import InvalidInput
from score_app.extensions import db
from score_app.kpis import services as kpi_services
from score_app.kpis.models import Phase
from score_app.plans import services as plan_services
from score_app.training import services as training_services
from score_app.users import services as user_services
from score_app.visits import services as visit_services

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

# enterprise key, name, sex, job role, EIT member
PEOPLE = (
    ("accra", "Abena Owusu", "female", "manager", True),
    ("accra", "Kwame Asante", "male", "manager", False),
    ("accra", "Akosua Mensah", "female", "supervisor", True),
    ("accra", "Efua Appiah", "female", "worker", True),
    ("accra", "Ama Darko", "female", "worker", False),
    ("accra", "Kojo Antwi", "male", "worker", True),
    ("kumasi", "Yaw Boateng", "male", "manager", True),
    ("kumasi", "Kofi Adjei", "male", "supervisor", True),
    ("kumasi", "Kwabena Sarpong", "male", "worker", True),
    ("kumasi", "Adwoa Frimpong", "female", "worker", False),
    ("tema", "Gifty Tetteh", "female", "manager", False),
    ("tema", "Nii Armah Quaye", "male", "worker", False),
    ("tema", "Esi Quansah", "female", "worker", False),
    ("saigon", "Lê Thị Mai", "female", "manager", True),
    ("saigon", "Phạm Minh Tuấn", "male", "supervisor", True),
    ("saigon", "Nguyễn Thị Lan", "female", "worker", True),
    ("saigon", "Đặng Thị Thu", "female", "worker", False),
    ("binhduong", "Võ Văn Nam", "male", "manager", False),
    ("binhduong", "Hoàng Thị Hương", "female", "worker", False),
)

# The Ghana workshop's second day, for whom it was missed.
ABSENT_ON_DAY_2 = ("Ama Darko", "Esi Quansah")

VISITS = (
    (
        "accra",
        date(2025, 4, 2),
        "The EIT has met twice; minutes are on the notice board. The "
        "cutting room still stores offcuts on the floor.",
        "Abena and Efua run a 5S pilot in cutting before the next visit; the EIT reviews "
        "absenteeism figures for March.",
    ),
    (
        "kumasi",
        date(2025, 4, 9),
        "Suggestion box installed, 11 ideas in three weeks, none answered yet.",
        "Yaw answers every suggestion in writing by 30 April; Kofi posts the answers on the board.",
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
    admin = user_services.create_user(
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
    users = {}
    for email, name, role, locale, countries, keys in USERS:
        users[email] = user_services.create_user(
            email=email,
            full_name=name,
            role=role,
            password=PASSWORD,
            preferred_locale=locale,
            countries=countries,
            enterprise_ids=[ids[k] for k in keys],
        )
    _load_training(ids, users)
    _load_indicators(ids, users, admin)
    _load_plans(ids, users)


def _load_training(ids: dict[str, int], users: dict) -> None:
    people = {}
    for key, name, sex, job_role, is_eit in PEOPLE:
        enterprise = db.session.get(Enterprise, ids[key])
        person = enterprise_services.add_person(enterprise, name, sex, job_role)
        person.is_eit_member = is_eit
        people[name] = person
    db.session.commit()
    trainer = users["trainer@example.org"]
    ghana = training_services.save_workshop(
        trainer,
        None,
        module_slug="workplace-cooperation",
        trainer=trainer,
        place="Accra, Chamber of Commerce training room",
        enterprise_ids=[ids["accra"], ids["kumasi"], ids["tema"]],
        days=[date(2025, 3, 11), date(2025, 3, 12)],
    )
    everyone = {p.id for p in training_services.workshop_people(ghana)}
    absent = {people[name].id for name in ABSENT_ON_DAY_2}
    training_services.save_attendance(trainer, ghana.days[0], everyone)
    training_services.save_attendance(trainer, ghana.days[1], everyone - absent)
    numbers = iter(range(1, 1000))
    training_services.issue_certificates(
        trainer, ghana, "en", new_code=lambda: f"DEMO-GH25-{next(numbers):04d}"
    )
    trainer_vn = users["trainer.vn@example.org"]
    start = date.today() + timedelta(days=21)
    training_services.save_workshop(
        trainer_vn,
        None,
        module_slug="quality-management",
        trainer=trainer_vn,
        place="Thủ Dầu Một, Bình Dương",
        enterprise_ids=[ids["saigon"], ids["binhduong"], ids["mekong"]],
        days=[start, start + timedelta(days=1)],
    )
    for key, visit_date, findings, next_steps in VISITS:
        visit_services.save_visit(
            trainer,
            None,
            enterprise_id=ids[key],
            module_slug="workplace-cooperation",
            visit_date=visit_date,
            findings=findings,
            next_steps=next_steps,
        )


# Explains the figures that plausibility checks warn about (large gains after the training).
WARNING_COMMENT = (
    "Checked with the trainer against the attendance register and the production log: "
    "the change is real and follows the improvement projects."
)
WORKING_DAYS_PER_MONTH = 22


def _month(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _core_inputs(index: int, workers: int, step: int) -> dict[str, dict[str, float]]:
    """Raw monthly figures for one enterprise, `step` follow-ups after the baseline."""
    attended = workers * WORKING_DAYS_PER_MONTH * 8 * 60 * 0.95
    efficiency = 52 + (index * 3) % 14 + step * (2.5 + index % 3)
    scheduled = workers * WORKING_DAYS_PER_MONTH
    absenteeism = 6.5 + index % 4 - step * (0.6 + (index % 2) * 0.3)
    inspected = 1800 + 150 * index
    defects = 9 + index % 5 - step * 1.4
    figures = {
        "operating_efficiency": {
            "minutes_produced": round(attended * efficiency / 100),
            "minutes_attended": round(attended),
        },
        "absenteeism_rate": {
            "absent_person_days": round(scheduled * absenteeism / 100),
            "scheduled_person_days": scheduled,
        },
        "defect_rate": {
            "defective_units": round(inspected * defects / 100),
            "inspected_units": inspected,
        },
        "osh_incidents": {"accidents": max(0, 3 + index % 3 - step), "near_misses": 2 + 3 * step},
    }
    if index % 2 == 0:
        figures["on_time_delivery"] = {
            "orders_on_time": 70 + 5 * step + index,
            "orders_delivered": 100,
        }
    if index % 3 == 0:
        hours = workers * WORKING_DAYS_PER_MONTH * 8
        figures["ltifr"] = {"lost_time_injuries": max(0, 2 - step), "hours_worked": hours}
    return figures


def _save_month(user, enterprise, phase, period, figures):
    """Save a new month's figures (nothing stored to replace), adding the explanation when a
    check asks for one."""
    entries = {code: (inputs, "") for code, inputs in figures.items()}
    start, end = period
    month = {"phase": phase, "period_start": start, "period_end": end, "seen_versions": {}}
    try:
        return kpi_services.save_period(user, enterprise, **month, entries=entries)
    except InvalidInput as error:
        needs_comment = {key.split(".")[0] for key in error.errors if key.endswith(".comment")}
        entries = {
            code: (inputs, WARNING_COMMENT if code in needs_comment else "")
            for code, (inputs, _c) in entries.items()
        }
        return kpi_services.save_period(user, enterprise, **month, entries=entries)


def _load_indicators(ids: dict[str, int], users: dict, admin) -> None:
    """A baseline and one to three quarterly follow-ups per enterprise, in mixed states: the
    earlier figures verified, the latest submitted and waiting for verification, or a draft."""
    trainers = {
        key: users[email] for email, *_r, keys in USERS if "trainer" in email for key in keys
    }
    staff = users["staff@example.org"]
    module_one = get_catalogue().get("workplace-cooperation")
    items = [item.id for item in module_one.checklist]
    for index, (key, *_rest) in enumerate(ENTERPRISES):
        enterprise = db.session.get(Enterprise, ids[key])
        enterer = trainers.get(key, admin)
        verifier = admin if enterer is not admin else staff
        follow_ups = 1 + index % 3
        year, month = 2025, 1 + index % 3
        for step in range(follow_ups + 1):
            phase = Phase.BASELINE if step == 0 else Phase.FOLLOW_UP
            period = _month(year + (month + 3 * step - 1) // 12, (month + 3 * step - 1) % 12 + 1)
            figures = _core_inputs(index, enterprise.workers_total, step)
            for measurement in _save_month(enterer, enterprise, phase, period, figures):
                # The latest of two or more follow-ups stays a draft, still being typed.
                if step < follow_ups or follow_ups == 1:
                    kpi_services.submit_measurement(
                        enterer, measurement, seen_version=measurement.version
                    )
                if step < follow_ups - 1 or (step == 0 and follow_ups == 1):
                    kpi_services.verify_measurement(
                        verifier, measurement, seen_version=measurement.version
                    )
        present = 2 + index % 4
        kpi_services.record_checklist(
            enterer, enterprise, phase=Phase.BASELINE, assessed_on=_month(year, month)[1],
            assessed_items=items, present_items=items[:present],
        )  # fmt: skip
        kpi_services.record_checklist(
            enterer, enterprise, phase=Phase.FOLLOW_UP, assessed_on=period[1],
            assessed_items=items, present_items=items[: present + 3 + follow_ups],
        )  # fmt: skip


# key, plan title, and its actions: (problem, root cause, action, responsible, due in days from
# the day the demo is loaded, status, module, indicator, target, cost, savings). Due dates move
# with the load day, so there is always something overdue and something due this week.
PLANS = (
    (
        "saigon",
        "Kế hoạch cải tiến 2025",
        (
            (
                "Tỷ lệ lỗi đường may ở chuyền 4 cao",
                "Kim mòn, không kiểm tra định kỳ",
                "Thay kim theo lịch và kiểm tra đầu ca",
                "Phạm Minh Tuấn",
                -5,
                "in_progress",
                "quality-management",
                "defect_rate",
                "2,0",
                "1500000",
                "",
            ),
            (
                "Công nhân nghỉ không báo trước",
                "Không có cách báo vắng dễ dàng",
                "Lập đường dây báo vắng và họp nhóm hằng ngày",
                "Lê Thị Mai",
                3,
                "planned",
                "workforce-management",
                "absenteeism_rate",
                "3,0",
                "",
                "",
            ),
            (
                "Rò rỉ khí nén ở xưởng cắt",
                "Ống nối cũ",
                "Sửa các điểm rò rỉ",
                "Nguyễn Thị Lan",
                -30,
                "done",
                "cleaner-production",
                "",
                "",
                "800000",
                "4200000",
            ),
        ),
    ),
    (
        "accra",
        "Improvement plan 2025",
        (
            (
                "Orders leave late",
                "Cutting waits for fabric checks",
                "Inspect fabric on arrival and hold a 10-minute meeting every morning",
                "Abena Owusu",
                2,
                "in_progress",
                "workplace-cooperation",
                "on_time_delivery",
                "95",
                "250",
                "",
            ),
            (
                "Walkways blocked by cartons",
                "No place to store finished cartons",
                "Mark walkways and set up a carton area (5S)",
                "Kojo Antwi",
                -12,
                "planned",
                "occupational-safety-health",
                "",
                "",
                "120",
                "",
            ),
            (
                "Too many reworked collars",
                "Unclear standard for collar points",
                "Post a sample board and check the first piece of every bundle",
                "Akosua Mensah",
                -40,
                "verified",
                "quality-management",
                "defect_rate",
                "3.0",
                "60",
                "1800",
            ),
        ),
    ),
    (
        "atlas",
        "Plan d'amélioration 2025",
        (
            (
                "Consommation d'eau élevée à la teinture",
                "Rinçages trop longs",
                "Régler les temps de rinçage et poser des compteurs",
                "Youssef Benali",
                6,
                "planned",
                "cleaner-production",
                "",
                "",
                "9000",
                "",
            ),
            (
                "Accidents aux mains sur les métiers",
                "Carters de protection absents",
                "Installer les carters et former les opérateurs",
                "Khadija Amrani",
                -3,
                "in_progress",
                "occupational-safety-health",
                "osh_incidents",
                "0",
                "15000",
                "",
            ),
        ),
    ),
)


def _load_plans(ids: dict[str, int], users: dict) -> None:
    """An active improvement plan with actions in every state for three enterprises."""
    members = {key: users[email] for email, *_r, keys in USERS for key in keys}
    today = date.today()
    for key, title, actions in PLANS:
        enterprise = db.session.get(Enterprise, ids[key])
        user = members[key]
        plan = plan_services.start_plan(
            user, enterprise, title=title, started_on=enterprise.joined_on, carry_over=False,
            seen_current=None,
        )  # fmt: skip
        locale = (
            "vi" if enterprise.country == "VN" else "fr" if enterprise.country == "MA" else "en"
        )
        for (problem, cause, action, responsible, due_in, status, module, indicator, target,
             cost, savings) in actions:  # fmt: skip
            due = today + timedelta(days=due_in)
            fields = {
                "problem": problem, "root_cause": cause, "action": action,
                "responsible": responsible, "start_date": min(due, today) - timedelta(days=30),
                "due_date": due, "status": "done" if status == "verified" else status,
                "module_slug": module, "indicator": indicator, "target_value": target,
                "estimated_cost": cost, "realised_savings": savings,
            }  # fmt: skip
            saved = plan_services.add_action(user, plan, fields, locale)
            if status == "verified":
                # By programme staff of the enterprise's country: `user` marked it done.
                plan_services.verify_action(
                    users["staff@example.org"], saved, seen_version=saved.version
                )
