"""The participant handout: the sections module.toml gives participants, without the trainer's
notes, in every language, and refused when module.toml names what the guide does not hold."""

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from score_app.catalog.content import CatalogueError, load_catalogue, participant_markdown
from score_app.config import PROJECT_ROOT

GUIDE = """# {title}

## Overview

The key idea in {lang}.

**Who attends{dot}** Four enterprises in {lang}.

**Scope{dot}** Not a union in {lang}.

## Classroom agenda

08:30 opening in {lang}.

## Exercises

### Exercise 1 in {lang}

**Purpose{dot}** Practise in {lang}.

**Time{dot}** 45 minutes in {lang}.

**Instructions{dot}**

1. Draw in {lang}.
2. Compare in {lang}.

**Expected answers{dot}**

| item | answer |
|---|---|
| A | 42 in {lang} |

**Debrief questions{dot}**

- Why not in {lang}?
"""
HANDOUT = """
[handout]
sections = ["Overview", "Exercises"]
trainer_notes = ["Who attends", "Time", "Expected answers"]
"""


def _write(root: Path, handout: str = HANDOUT, fr_dot: str = ".") -> Path:
    from tests.catalog.conftest import write_module

    folder = write_module(root, "alpha", 1)
    toml = (folder / "module.toml").read_text(encoding="utf-8")
    (folder / "module.toml").write_text(
        toml.replace("[[checklist]]", handout + "\n[[checklist]]", 1), encoding="utf-8"
    )
    for lang in ("en", "fr", "es", "vi"):
        dot = fr_dot if lang == "fr" else "."
        text = GUIDE.format(title=f"alpha {lang}", lang=lang, dot=dot)
        (folder / f"{lang}.md").write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_handout_keeps_key_ideas_and_exercises_without_the_trainers_notes(tmp_path, lang):
    module = load_catalogue(_write(tmp_path)).get("alpha")
    text = participant_markdown(module, lang)
    for kept in ("The key idea", "Not a union", "Practise", "Draw", "Compare", "Why not"):
        assert f"{kept} in {lang}" in text
    for dropped in ("Four enterprises", "08:30 opening", "45 minutes", "42 in"):
        assert dropped not in text
    assert text.startswith(f"# alpha {lang}")


def test_notes_are_found_by_their_place_when_a_translation_writes_its_labels_otherwise(tmp_path):
    module = load_catalogue(_write(tmp_path, fr_dot=" :")).get("alpha")
    text = participant_markdown(module, "fr")
    assert "45 minutes in fr" not in text and "Practise in fr" in text


@pytest.mark.parametrize(
    ("handout", "expected"),
    [
        (HANDOUT.replace('"Exercises"', '"Exercices"'), "'Exercices' is not a '## ' heading"),
        (HANDOUT.replace('"Time"', '"Timing"'), "no paragraph of en.md opens with '**Timing.**'"),
    ],
)
def test_a_handout_naming_what_the_guide_does_not_hold_is_refused(tmp_path, handout, expected):
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(_write(tmp_path, handout))
    assert any(expected in str(problem) for problem in caught.value.problems)


def test_a_translation_with_a_label_missing_is_refused(tmp_path):
    root = _write(tmp_path)
    fr = root / "alpha" / "fr.md"
    fr.write_text(fr.read_text(encoding="utf-8").replace("**Time.** ", ""), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    assert any("fr.md does not open as many" in str(p) for p in caught.value.problems)


def test_every_real_module_offers_a_handout_shorter_than_its_guide():
    for module in load_catalogue(PROJECT_ROOT / "modules").modules:
        assert module.has_handout
        for lang in ("en", "vi"):
            handout = participant_markdown(module, lang)
            assert len(handout) < 0.7 * len(module.documents[lang])
            assert "## " in handout


def _pdf_pages(response) -> list[str]:
    assert response.status_code == 200 and response.content_type == "application/pdf"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]


@pytest.mark.parametrize(
    ("lang", "exercises", "agenda", "time_label"),
    [
        ("en", "Exercises", "Classroom agenda", "Time."),
        ("fr", "Exercices", "Programme de l", "Durée."),
    ],
)
def test_the_participant_handout_pdf_is_shorter_and_leaves_the_trainers_notes_out(
    client_as, lang, exercises, agenda, time_label
):
    client = client_as("trainer")
    handout = _pdf_pages(client.get(f"/modules/workplace-cooperation/handout.pdf?lang={lang}"))
    guide = _pdf_pages(client.get(f"/modules/workplace-cooperation/guide.pdf?lang={lang}"))
    handout_text, guide_text = "\n".join(handout), "\n".join(guide)
    assert 5 <= len(handout) < len(guide) - 3
    for text in (handout_text, guide_text):
        assert exercises in text and "wc-12" in text  # exercises and the checklist
    assert agenda in guide_text and agenda not in handout_text
    assert time_label in guide_text and time_label not in handout_text
    assert re.search("PARTICIPANT HANDOUT|SUPPORT DU PARTICIPANT", handout[0].upper())


def test_the_module_page_offers_the_handout_and_the_trainer_guide(client_as):
    page = client_as("trainer").get("/modules/quality-management").get_data(True)
    assert 'href="/modules/quality-management/handout.pdf"' in page
    assert "Participant handout (PDF)" in page
    assert 'href="/modules/quality-management/guide.pdf"' in page
    assert "Trainer guide (PDF)" in page
