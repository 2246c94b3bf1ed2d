"""The app's catalogue, read once per process from the folder in SCORE_MODULES_DIR."""

from functools import lru_cache
from pathlib import Path

from flask import current_app

from score_app.catalog.content import Catalogue, TrainingModule, load_catalogue
from score_app.catalog.render import RenderedDocument, render_markdown


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
