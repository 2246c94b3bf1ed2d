"""The API's own description, public at /api/openapi.json: it tells how to get a token."""

from flask import Blueprint, jsonify

from score_app.api.openapi import openapi_document
from score_app.auth.access import public

bp = Blueprint("api_docs", __name__, url_prefix="/api")


@bp.get("/openapi.json")
@public
def openapi_json():
    return jsonify(openapi_document())
