"""The training catalogue: the module list, the reader, its print view and PDF handout."""

from flask import Blueprint, abort, render_template, request

from score_app.catalog.content import TrainingModule
from score_app.catalog.indicators import BY_CODE
from score_app.catalog.services import get_catalogue, rendered_document
from score_app.i18n import SUPPORTED_LOCALES, current_locale_code, in_locale
from score_app.pdf import pdf_response

bp = Blueprint("catalog", __name__, url_prefix="/modules")


def _module_or_404(slug: str) -> TrainingModule:
    module = get_catalogue().get(slug)
    if module is None:
        abort(404)
    return module


def _page_context(module: TrainingModule) -> dict:
    locale = current_locale_code()
    catalogue = get_catalogue()
    return {
        "module": module,
        "locale": locale,
        "document": rendered_document(module, locale),
        "is_fallback": module.document_locale(locale) != locale,
        "indicators": [BY_CODE[code] for code in module.indicators],
        "prerequisites": [catalogue.get(slug) for slug in module.prerequisites],
    }


@bp.get("")
def list_modules():
    return render_template(
        "catalog/index.html", modules=get_catalogue().modules, locale=current_locale_code()
    )


@bp.get("/<slug>")
def read_module(slug: str):
    return render_template("catalog/module.html", **_page_context(_module_or_404(slug)))


@bp.get("/<slug>/print")
def print_module(slug: str):
    return render_template("pdf/module.html", **_page_context(_module_or_404(slug)))


@bp.get("/<slug>/handout.pdf")
def module_pdf(slug: str):
    module = _module_or_404(slug)
    locale = request.args.get("lang")
    with in_locale(locale if locale in SUPPORTED_LOCALES else current_locale_code()):
        html = render_template("pdf/module.html", **_page_context(module), for_pdf=True)
        filename = f"{module.slug}-{current_locale_code()}.pdf"
    return pdf_response(html, filename)
