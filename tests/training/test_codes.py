"""Certificate codes: made from an alphabet that reads back right, and found however typed."""

import re

import pytest

from score_app.training.codes import CODE_ALPHABET, has_code_shape, new_code, normalise_code


def test_a_new_code_is_three_groups_of_four_without_look_alike_characters():
    code = new_code()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", code)
    assert not set("01IO") & set(CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("7K3M-Q9PX-2RWD", "7K3M-Q9PX-2RWD"),
        ("7k3m-q9px-2rwd", "7K3M-Q9PX-2RWD"),
        ("7k3mq9px2rwd", "7K3M-Q9PX-2RWD"),
        ("  7K3M Q9PX 2RWD ", "7K3M-Q9PX-2RWD"),
        ("7K3M.Q9PX.2RWD", "7K3M-Q9PX-2RWD"),
        ("7K3M \u2013 Q9PX \u2013 2RWD", "7K3M-Q9PX-2RWD"),  # en dashes
        ("demo gh25 0001", "DEMO-GH25-0001"),  # the demo's fixed codes read back too
    ],
)
def test_a_typed_code_is_read_as_stored(typed, stored):
    assert normalise_code(typed) == stored
    assert has_code_shape(typed)


@pytest.mark.parametrize("typed", ["7K3M-Q9PX", "7K3M-Q9PX-2RWD-4", "", "nope"])
def test_text_without_twelve_letters_and_digits_is_not_a_code_and_comes_back_as_typed(typed):
    assert not has_code_shape(typed)
    assert normalise_code(typed) == typed.strip().upper()
