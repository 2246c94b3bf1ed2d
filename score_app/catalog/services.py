"""The app's catalogue, read once per process from the folder in SCORE_MODULES_DIR."""

from functools import lru_cache
from pathlib import Path

from flask import current_app

from score_app.catalog.content import (
    Catalogue,
    TrainingModule,
    load_catalogue,
    participant_markdown,
)
from score_app.catalog.indicators import BY_CODE
from score_app.catalog.render import RenderedDocument, render_markdown
from score_app.exceptions import NotFound


@lru_cache(maxsize=4)
def _load(root: str) -> Catalogue:
    return load_catalogue(Path(root))


def get_catalogue() -> Catalogue:
    return _load(str(current_app.config["SCORE_MODULES_DIR"]))


def module_choices(locale: str) -> list[tuple[str, str]]:
    """(slug, title) of every module, in catalogue order."""
    return [(m.slug, m.title_in(locale)) for m in get_catalogue().modules]


@lru_cache(maxsize=64)
def rendered_document(module: TrainingModule, locale: str) -> RenderedDocument:
    return render_markdown(module.documents[module.document_locale(locale)])


@lru_cache(maxsize=16)
def _rendered_reference(catalogue: Catalogue, locale: str) -> RenderedDocument:
    return render_markdown(catalogue.reference[locale])


def reference_page(locale: str) -> dict:
    """The indicator reference the guides link to, in `locale` or English; 404 without one."""
    catalogue = get_catalogue()
    if not catalogue.reference:
        raise NotFound
    shown = catalogue.reference_locale(locale)
    return {
        "locale": locale,
        "document": _rendered_reference(catalogue, shown),
        "is_fallback": shown != locale,
    }


@lru_cache(maxsize=64)
def rendered_handout(module: TrainingModule, locale: str) -> RenderedDocument:
    """The participant handout's text: the guide without the trainer's sections and notes."""
    return render_markdown(participant_markdown(module, locale))


def module_title(slug: str, locale: str) -> str:
    """The module's title in `locale`, or its slug when the catalogue no longer has it."""
    module = get_catalogue().get(slug)
    return module.title_in(locale) if module else slug


def get_module_or_404(slug: str) -> TrainingModule:
    module = get_catalogue().get(slug)
    if module is None:
        raise NotFound
    return module


def module_page(module: TrainingModule, locale: str, *, for_participants: bool = False) -> dict:
    """What the module's reader, its print view and its PDFs show, in `locale` (or the
    language its guide falls back to): the trainer's guide, or the participant handout."""
    if for_participants and not module.has_handout:
        raise NotFound
    catalogue = get_catalogue()
    return {
        "module": module,
        "locale": locale,
        "for_participants": for_participants,
        "document": (rendered_handout if for_participants else rendered_document)(module, locale),
        "is_fallback": module.document_locale(locale) != locale,
        "indicators": [BY_CODE[code] for code in module.indicators],
        "prerequisites": [catalogue.get(slug) for slug in module.prerequisites],
    }
