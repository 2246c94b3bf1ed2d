"""Catalogue validation: the real modules/ folder, and each kind of bad file with its message."""

import re
from pathlib import Path

import pytest

from score_app.catalog.content import CatalogueError, load_catalogue
from score_app.catalog.indicators import BY_CODE
from score_app.config import PROJECT_ROOT
from tests.catalog.conftest import write_module

SLUGS = (
    "workplace-cooperation",
    "quality-management",
    "cleaner-production",
    "workforce-management",
    "occupational-safety-health",
)


def _problems(root: Path) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    return [str(p) for p in caught.value.problems]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_real_modules_folder_is_a_valid_catalogue():
    catalogue = load_catalogue(PROJECT_ROOT / "modules")
    assert catalogue.slugs == SLUGS
    for module in catalogue.modules:
        assert set(module.documents) == {"en", "fr", "es", "vi"}
        assert len(module.checklist) >= 10
        assert len(re.findall(r"\w+", module.documents["en"])) >= 3000
        assert all(code in BY_CODE for code in module.indicators)
        assert module.slug == SLUGS[0] or SLUGS[0] in module.prerequisites


def test_a_valid_folder_loads_in_order(modules_dir):
    catalogue = load_catalogue(modules_dir)
    assert catalogue.slugs == ("alpha", "bravo")
    assert catalogue.get("bravo").title_in("vi") == "bravo (vi)"


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "alpha/module.toml",
            'slug = "alpha"',
            'slug = "beta"',
            "alpha/module.toml: slug: must equal",
        ),
        (
            "alpha/module.toml",
            "order = 1",
            "order = 1\ncolour = 1",
            "alpha/module.toml: colour: unknown key",
        ),
        (
            "alpha/module.toml",
            "order = 1",
            'order = "one"',
            "alpha/module.toml: order: must be a whole",
        ),
        (
            "alpha/module.toml",
            "classroom_days = 2",
            "classroom_days = 0",
            "classroom_days: must be",
        ),
        ("alpha/module.toml", '"defect_rate"', '"happiness"', "unknown indicator code 'happiness'"),
        (
            "alpha/module.toml",
            'vi = "alpha (vi)"',
            'vi = ""',
            "alpha/module.toml: title.vi: missing",
        ),
        ("alpha/module.toml", 'text.vi = "Practice 3 (vi)"', "", "checklist[3].text.vi: missing"),
        ("alpha/module.toml", 'id = "al-02"', 'id = "al-01"', "'al-01' is used twice"),
        ("alpha/module.toml", 'id = "al-02"', 'id = "Item two"', "checklist[2].id: must look like"),
        ("alpha/module.toml", "[title]", "[title", "alpha/module.toml: -: not valid TOML"),
        (
            "bravo/module.toml",
            'prerequisites = ["alpha"]',
            "prerequisites = []",
            "must include the first",
        ),
        ("bravo/module.toml", '["alpha"]', '["alpha", "zulu"]', "'zulu' is not another module"),
        ("bravo/module.toml", "order = 2", "order = 1", "order: 1 is used by another module"),
        (
            "bravo/fr.md",
            "### Day 1",
            "Day 1",
            "bravo/fr.md: headings: the headings differ from en.md",
        ),
        ("bravo/en.md", "### Day 1", "#### Day 1", "bravo/en.md: headings: use #, ## and ### only"),
        (
            "bravo/en.md",
            "# bravo en",
            "Bravo",
            "bravo/en.md: headings: must open with one '# ' title",
        ),
    ],
)
def test_each_kind_of_bad_file_gets_its_message(modules_dir, file, old, new, expected):
    _edit(modules_dir / file, old, new)
    assert any(expected in problem for problem in _problems(modules_dir))


def test_too_short_a_checklist_is_refused(tmp_path):
    write_module(tmp_path, "alpha", 1, items=9)
    assert "alpha/module.toml: checklist: needs at least 10 items, has 9" in _problems(tmp_path)


def test_missing_files_are_reported(modules_dir):
    (modules_dir / "alpha" / "module.toml").unlink()
    (modules_dir / "bravo" / "en.md").unlink()
    problems = _problems(modules_dir)
    assert "alpha/module.toml: -: file is missing" in problems
    assert "bravo/en.md: -: file is missing" in problems


def test_one_error_lists_every_problem_across_files(modules_dir):
    _edit(modules_dir / "alpha" / "module.toml", "classroom_days = 2", "classroom_days = 99")
    _edit(modules_dir / "bravo" / "module.toml", '"defect_rate"', '"nonsense"')
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(modules_dir)
    message = str(caught.value)
    assert "2 problem(s)" in message
    assert "alpha/module.toml: classroom_days" in message
    assert "bravo/module.toml: indicators" in message


def test_a_missing_translation_is_allowed(tmp_path):
    write_module(tmp_path, "alpha", 1, locales=("en", "fr"))
    module = load_catalogue(tmp_path).get("alpha")
    assert module.document_locale("vi") == "en"
    assert module.document_locale("fr") == "fr"


def test_an_empty_folder_is_not_a_catalogue(tmp_path):
    assert _problems(tmp_path) == [f"{tmp_path.name}: -: holds no module folder"]


SHARED_INDICATORS = (
    "operating_efficiency",
    "absenteeism_rate",
    "staff_turnover",
    "labour_productivity",
)


def test_each_shared_indicator_is_defined_once_and_every_guide_links_to_it():
    catalogue = load_catalogue(PROJECT_ROOT / "modules")
    assert set(catalogue.reference) == {"en", "fr", "es", "vi"}
    for locale, reference in catalogue.reference.items():
        for code in SHARED_INDICATORS:
            assert len(re.findall(rf"^## .*\({code}\)$", reference, re.M)) == 1, (locale, code)
    for module in catalogue.modules:
        for locale, text in module.documents.items():
            for code in SHARED_INDICATORS:
                section = re.search(rf"^### .*\({code}\)$(.*?)(?=^#)", text, re.M | re.S)
                if section:
                    # The guide keeps what is its own and links to the one definition.
                    assert "(/modules/indicators#" in section.group(1), (module.slug, locale)
                    assert len(section.group(1).split()) < 250, (module.slug, locale, code)


def _write_reference(root: Path, heading: str = "## Absenteeism rate (absenteeism_rate)"):
    (root / "_indicators").mkdir()
    for locale in ("en", "fr"):
        (root / "_indicators" / f"{locale}.md").write_text(
            f"# Reference\n\n{heading}\n\nDefined here.\n", encoding="utf-8"
        )


def test_a_guide_linking_to_a_section_the_reference_lacks_is_refused(modules_dir):
    _write_reference(modules_dir)
    link = "[reference](/modules/indicators#absenteeism-rate-absenteeism-rate)"
    _edit(modules_dir / "alpha" / "en.md", "Why the module matters.", link)
    assert load_catalogue(modules_dir).reference_locale("vi") == "en"
    _edit(modules_dir / "alpha" / "en.md", "absenteeism-rate-absenteeism-rate", "nowhere")
    _edit(modules_dir / "alpha" / "fr.md", "Why the module matters.", link)
    _edit(modules_dir / "alpha" / "vi.md", "Why the module matters.", link)
    assert _problems(modules_dir) == [
        "alpha/en.md: links: '#nowhere' is no section of _indicators/en.md",
        "alpha/vi.md: links: links to the indicator reference, which has no vi.md",
    ]


def test_the_reference_must_keep_the_english_sections_in_every_language(modules_dir):
    _write_reference(modules_dir)
    _edit(modules_dir / "_indicators" / "fr.md", "## Absenteeism", "### Absenteeism")
    assert _problems(modules_dir) == [
        "_indicators/fr.md: headings: the headings differ from en.md: a translation must keep "
        "every section"
    ]
