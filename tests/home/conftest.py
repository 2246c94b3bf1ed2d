"""The workshop factory of the training tests, for the pages that show workshops."""

from tests.training.conftest import create_workshop  # noqa: F401
