"""The training catalogue: the module list, the reader and its print view."""

from flask import Blueprint, render_template

from score_app.catalog.services import (
    get_catalogue,
    get_module_or_404,
    module_page,
    reference_page,
)
from score_app.i18n import current_locale_code

bp = Blueprint("catalog", __name__, url_prefix="/modules")


@bp.get("")
def list_modules():
    catalogue = get_catalogue()
    return render_template(
        "catalog/index.html",
        modules=catalogue.modules,
        has_reference=bool(catalogue.reference),
        locale=current_locale_code(),
    )


@bp.get("/indicators")
def indicator_reference():
    return render_template("catalog/reference.html", **reference_page(current_locale_code()))


@bp.get("/<slug>")
def read_module(slug: str):
    page = module_page(get_module_or_404(slug), current_locale_code())
    return render_template("catalog/module.html", **page)


@bp.get("/<slug>/print")
def print_module(slug: str):
    page = module_page(get_module_or_404(slug), current_locale_code())
    return render_template("pdf/module.html", **page)
