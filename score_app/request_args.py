"""What a request names, read safely: ids in URLs that fit the database, the page of a list,
the query arguments a link passes on, and search text as a LIKE pattern."""

from collections.abc import Iterable, Mapping

from flask import current_app, request
from flask_sqlalchemy.pagination import SelectPagination
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


def kept_args(names: Iterable[str], values: Mapping[str, str] | None = None) -> dict[str, str]:
    """The arguments among `names` that the request gives (in its query string, unless other
    `values` are given), to pass on to url_for in a link or redirect. Any other is dropped: it
    could be url_for's own (`endpoint` is a TypeError, `_external` or `_anchor` change the link)
    or meant for no page."""
    values = request.args if values is None else values
    return {name: values[name] for name in names if values.get(name)}


class _RowPagination(SelectPagination):
    """Pages of a SELECT of several columns: each item is a whole row, not its first column."""

    def _query_items(self) -> list:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query).all())


def paginate(query: Select, per_page: int | None = None, *, rows: bool = False):
    """One page of a query from ?page=, clamped so no page number can break the query; items
    are the first column's values, or whole rows with `rows`."""
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    size = per_page or current_app.config["SCORE_PAGE_SIZE"]
    if rows:
        return _RowPagination(
            select=query, session=db.session(), page=page, per_page=size, max_per_page=None,
            error_out=False, count=True,
        )  # fmt: skip
    return db.paginate(query, page=page, per_page=size, error_out=False)


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, with % and _ taken literally (escape '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
