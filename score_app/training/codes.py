"""Certificate codes: how they are made and how a code typed by a reader is read back."""

import re
import secrets

# No 0/O or 1/I, so a code read aloud or typed from paper comes out right.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
GROUPS = 3
GROUP_LENGTH = 4
CODE_LENGTH = GROUPS * GROUP_LENGTH

_NOT_A_CODE_CHARACTER = re.compile(r"[^0-9A-Z]")


def new_code() -> str:
    """A random code of three groups of four, such as 7K3M-Q9PX-2RWD."""
    return _grouped("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def normalise_code(typed: str) -> str:
    """The code as stored, from the way a reader typed it: any case, with or without dashes,
    spaces or dots between the groups. What cannot be a code comes back upper case, unchanged
    otherwise, so a message can show it."""
    if not has_code_shape(typed):
        return typed.strip().upper()
    return _grouped(_code_characters(typed))


def has_code_shape(typed: str) -> bool:
    """Whether the text holds as many letters and digits as a code, whatever is between them."""
    return len(_code_characters(typed)) == CODE_LENGTH


def _code_characters(typed: str) -> str:
    return _NOT_A_CODE_CHARACTER.sub("", typed.upper())


def _grouped(characters: str) -> str:
    return "-".join(
        characters[i : i + GROUP_LENGTH] for i in range(0, len(characters), GROUP_LENGTH)
    )
