"""The organisation that issues certificates: its name and optional logo, from the settings
(SCORE_ORGANISATION_NAME, SCORE_ORGANISATION_LOGO), for pages and PDFs alike."""

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

# Where pages and PDFs find the logo; the PDF renderer answers it from the file itself.
LOGO_URL_PATH = "/organisation/logo"


@dataclass(frozen=True)
class Organisation:
    name: str
    logo_file: Path | None

    @property
    def logo_url(self) -> str | None:
        return LOGO_URL_PATH if self.logo_file else None


def current_organisation() -> Organisation:
    logo = current_app.config["SCORE_ORGANISATION_LOGO"]
    return Organisation(current_app.config["SCORE_ORGANISATION_NAME"], Path(logo) if logo else None)
