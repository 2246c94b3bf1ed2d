"""Programme results kept between requests, filed under the results version, so the dashboard
and the API do not count the same figures again until something they count changes.

The version is the token of the one `results_version` row. A commit that writes a table the
results count (RESULT_TABLES) replaces the token in that same transaction, just before it
commits, so the new token and the new rows become visible together. A request reads the token
before it counts anything and files what it counts under the token it read: the rows it counted
are at least as new as that token, never older, so nobody is ever served figures from before a
commit under the token that commit wrote. A token is random, so one rolled back is never seen
again. A session with changes of its own not yet committed neither reads nor keeps results.

Each app (so each process) keeps its results in memory, the least recently used dropped first,
and each result for TTL_SECONDS at most: a backstop for a change made outside the app (by hand
in the database), which replaces no token.
"""

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from score_app.extensions import db
from score_app.programme.models import ResultsVersion

# What programme results count: figures, the enterprises (scope, filters, consent, names), who
# belongs to them, training outputs and improvement plans.
RESULT_TABLES = frozenset(
    {
        "measurements", "enterprises", "enterprise_members", "people", "workshops",
        "workshop_days", "workshop_enterprises", "attendance", "certificates",
        "improvement_plans", "plan_actions",
    }
)  # fmt: skip
TTL_SECONDS = 60
MAX_ENTRIES = 512

_CHANGED = "score_results_changed"  # session.info: this transaction wrote RESULT_TABLES
_TOKEN = "score_results_token"  # session.info: the token this transaction read
_EXTENSION = "score_results_cache"  # app.extensions: the app's kept results

T = TypeVar("T")


class _Store:
    """A small LRU of (expiry, value) by key, safe across threads."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, now: float):
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            if found[0] <= now:
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value, expires_at: float) -> None:
        with self.lock:
            self.entries[key] = (expires_at, value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def kept(key: tuple, count: Callable[[], T]) -> T:
    """What `count()` returns, kept under `key` and the results version. `key` must hold all
    the result depends on besides the database (whose scope, which filters, which day).
    What is returned is shared by the requests of the process: it must not be changed."""
    session = db.session()
    if _has_own_changes(session):
        return count()
    token = _token(session)
    if token is None:  # no version row (a database emptied by hand): nothing can be kept
        return count()
    store = current_app.extensions[_EXTENSION]
    full_key = (token, *key)
    now = time.monotonic()
    found = store.get(full_key, now)
    if found is not None:
        return found[1]
    value = count()
    store.put(full_key, value, now + TTL_SECONDS)
    return value


def forget_all() -> None:
    """Drop every result the app keeps."""
    current_app.extensions[_EXTENSION].clear()


def note_change(session: Session | None = None) -> None:
    """Say that the session's transaction changes what results count, for a write the hooks
    cannot see (SQL text): its commit replaces the token."""
    (session or db.session()).info[_CHANGED] = True


def _token(session: Session) -> str | None:
    info = session.info
    if _TOKEN not in info:
        info[_TOKEN] = session.execute(
            select(ResultsVersion.token).where(ResultsVersion.id == 1)
        ).scalar()
    return info[_TOKEN]


def _has_own_changes(session: Session) -> bool:
    return bool(session.info.get(_CHANGED)) or _pending_touches_results(session)


def _pending_touches_results(session: Session) -> bool:
    pending = (session.new, session.dirty, session.deleted)
    return any(_touches_results(obj) for group in pending for obj in group)


def _touches_results(obj) -> bool:
    """Whether writing this object writes a table results count: its own, or the link table
    of one of its collections (a user's enterprises are its memberships)."""
    state = inspect(obj)
    mapper = state.mapper
    if mapper.local_table.name in RESULT_TABLES:
        return True
    for relationship in mapper.relationships:
        secondary = relationship.secondary
        if secondary is None or getattr(secondary, "name", None) not in RESULT_TABLES:
            continue
        if state.deleted or state.was_deleted:
            return True
        if state.attrs[relationship.key].history.has_changes():
            return True
    return False


def _after_flush(session: Session, _context) -> None:
    if not session.info.get(_CHANGED) and _pending_touches_results(session):
        session.info[_CHANGED] = True


def _do_orm_execute(state: ORMExecuteState) -> None:
    """Bulk INSERT, UPDATE and DELETE statements (imports, flags) on the tables results count."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in RESULT_TABLES:
            state.session.info[_CHANGED] = True


def _before_commit(session: Session) -> None:
    """Replace the token inside the committing transaction, last, so the row's lock is held
    only for the commit itself."""
    session.flush()  # the flush hook sees what is still pending
    if not session.info.get(_CHANGED):
        return
    token = secrets.token_hex(16)
    replaced = session.execute(
        update(ResultsVersion).where(ResultsVersion.id == 1).values(token=token)
    )
    if replaced.rowcount == 0:  # the row was deleted with every other (tests empty the tables)
        session.add(ResultsVersion(id=1, token=token))
        session.flush()


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)
        session.info.pop(_TOKEN, None)


_HOOKS = (
    ("after_flush", _after_flush),
    ("do_orm_execute", _do_orm_execute),
    ("before_commit", _before_commit),
    ("after_transaction_end", _after_transaction_end),
)


def init_app(app: Flask) -> None:
    """Give the app its kept results, each app its own as each process has its own, and watch
    every session of Flask-SQLAlchemy (the app's, the CLI's, the tests') for writes."""
    app.extensions[_EXTENSION] = _Store(MAX_ENTRIES)
    for name, hook in _HOOKS:
        if not event.contains(FlaskSession, name, hook):
            event.listen(FlaskSession, name, hook)
