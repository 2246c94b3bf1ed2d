"""What the database's refusals mean: a save that met another save at the same moment (an edit
conflict), or the database out of reach (try again later); anything else is a bug."""

import functools

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from score_app.exceptions import EditConflict
from score_app.extensions import db

# What another user's save at the same moment can make a database refuse: a row made twice,
# or a row that refers to one just deleted (PostgreSQL's SQLSTATE, SQLite's message).
_CONFLICTS = {"23505": "UNIQUE constraint failed", "23503": "FOREIGN KEY constraint failed"}
# Two transactions that waited for each other (deadlock_detected), or that PostgreSQL could not
# run as if one after the other (serialization_failure): it broke one off to let the other on.
_COLLISIONS = {"40P01", "40001"}
# The errors by which a database refuses a save that met another one (see met_another_save).
_SAVE_REFUSALS = (StaleDataError, IntegrityError, OperationalError)
# What the database being out of reach raises (see is_database_lost).
DATABASE_ERRORS = (DBAPIError, sa.exc.TimeoutError)


def is_conflict(error: IntegrityError) -> bool:
    """True when a unique or foreign-key constraint refused the row; a NOT NULL or CHECK
    violation is a bug, not someone else's save."""
    if getattr(error.orig, "sqlstate", None) in _CONFLICTS:
        return True
    return any(message in str(error.orig) for message in _CONFLICTS.values())


def is_collision(error: DBAPIError) -> bool:
    """True when the database broke the transaction off because another one ran into it."""
    return getattr(error.orig, "sqlstate", None) in _COLLISIONS


def met_another_save(error: Exception) -> bool:
    """True when the database refused a save because of another save at the same moment: its
    UPDATE found the version it read changed (SQLAlchemy's StaleDataError), its INSERT found
    the record made, or what it refers to deleted, meanwhile (is_conflict), or the database
    broke it off for the other (is_collision); an outage or a bug is none of these."""
    if isinstance(error, StaleDataError):
        return True
    if isinstance(error, IntegrityError):
        return is_conflict(error)
    return isinstance(error, DBAPIError) and is_collision(error)


def first_save_wins(service):
    """Two saves of one record at the same moment: the one the database refuses for the other
    (met_another_save) is refused like any other edit conflict, keeping nothing."""

    @functools.wraps(service)
    def refusing_stale_saves(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except _SAVE_REFUSALS as error:
            db.session.rollback()
            if not met_another_save(error):
                raise
            raise EditConflict from error

    return refusing_stale_saves


def is_database_lost(error: BaseException) -> bool:
    """True when the database could not be reached, the connection was lost, or every pooled
    connection stayed busy past the pool's wait: the service is unavailable for a moment; a
    save broken off for another one (is_collision) is not."""
    if isinstance(error, sa.exc.TimeoutError):
        return True
    if not isinstance(error, DBAPIError) or is_collision(error):
        return False
    return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
