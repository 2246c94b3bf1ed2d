"""What a use case refuses, as plain exceptions: bad input, an edit made on an older version, an
action the user may not take, a record out of the user's reach. No web framework here: the web
layer (errors.py) answers each with its page or JSON, a CLI command or a job with its message."""


class InvalidInput(Exception):
    """A use case refused its input; `errors` maps each field to a message for the user."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors

    @property
    def message(self) -> str:
        """Every message in one, for a place that shows no fields (a flash, a tap's answer)."""
        return " ".join(self.errors.values())

    def renamed(self, **names: str) -> "InvalidInput":
        """The same messages with some fields renamed, for a form that calls them otherwise."""
        return InvalidInput({names.get(field, field): msg for field, msg in self.errors.items()})


class EditConflict(Exception):
    """Someone else saved the record after this user opened it; nothing of this save is kept.

    Versioned records (`version_id_col`) count their saves. A form carries the version its user
    saw; a save from an older version is refused, so one user never silently overwrites
    another, and the page shows both versions so the user can decide."""


class NotAllowed(Exception):
    """The user's role or the record's rules do not allow the action (a 403 on the web);
    `reason`, when given, tells the user why in their language."""

    def __init__(self, reason: str | None = None):
        super().__init__(reason)
        self.reason = reason


class NotFound(Exception):
    """The record does not exist, or is out of the user's scope, which looks the same to them
    (a 404 on the web)."""


def check_version(record, seen_version: int | None) -> None:
    """Refuse a change made on another version of the record than the stored one (or on none)."""
    if seen_version != record.version:
        raise EditConflict
