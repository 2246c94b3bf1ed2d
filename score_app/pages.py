"""What every list and URL shares: ids that fit the database, and pages of results."""

from flask import current_app, request
from sqlalchemy import Select
from werkzeug.routing import IntegerConverter

from score_app.extensions import db

MAX_DB_ID = 2**31 - 1  # the INTEGER primary keys of SQLite and PostgreSQL
MAX_PAGE = 100_000


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in URLs: a number too large to be an id is simply not found (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DB_ID)
        super().__init__(map, *args, **kwargs)


def db_id(value) -> int:
    """An id from a form or query: a whole number the database can hold, else ValueError."""
    number = int(value)
    if not 1 <= number <= MAX_DB_ID:
        raise ValueError(f"{value!r} is not an id")
    return number


def paginate(query: Select, per_page: int | None = None):
    """One page of a query from ?page=, clamped so no page number can break the query."""
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    size = per_page or current_app.config["SCORE_PAGE_SIZE"]
    return db.paginate(query, page=page, per_page=size, error_out=False)


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, with % and _ taken literally (escape '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
