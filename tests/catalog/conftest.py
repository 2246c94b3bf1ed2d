"""A small valid catalogue on disk, for tests that break it one way at a time."""

import pytest

from score_app.i18n import SUPPORTED_LOCALES

LOCALES = tuple(SUPPORTED_LOCALES)
DOCUMENT = """# {title}

## Overview

Why the module matters.

## Learning objectives

1. Do one thing.

### Day 1

| time | session |
|---|---|
| 08:30 | Opening |
"""


def _texts(prefix: str) -> str:
    return "\n".join(f'{locale} = "{prefix} ({locale})"' for locale in LOCALES)


def write_module(root, slug, order, prerequisites=(), items=10, locales=LOCALES):
    folder = root / slug
    folder.mkdir(parents=True)
    checklist = "\n".join(
        f'[[checklist]]\nid = "{slug[:2]}-{n:02d}"\n'
        + "".join(
            f'text.{loc} = "Practice {n} ({loc})"\ngood.{loc} = "Good {n}"\n' for loc in LOCALES
        )
        for n in range(1, items + 1)
    )
    prereq = ", ".join(f'"{p}"' for p in prerequisites)
    (folder / "module.toml").write_text(
        f'slug = "{slug}"\norder = {order}\nprerequisites = [{prereq}]\nclassroom_days = 2\n'
        f'indicators = ["defect_rate"]\n\n[title]\n{_texts(slug)}\n\n'
        f"[summary]\n{_texts('Summary')}\n\n{checklist}\n",
        encoding="utf-8",
    )
    for locale in locales:
        (folder / f"{locale}.md").write_text(
            DOCUMENT.format(title=f"{slug} {locale}"), encoding="utf-8"
        )
    return folder


@pytest.fixture
def modules_dir(tmp_path):
    """Two valid modules: 'alpha' first, 'bravo' after it."""
    root = tmp_path / "modules"
    write_module(root, "alpha", 1)
    write_module(root, "bravo", 2, prerequisites=["alpha"])
    return root
