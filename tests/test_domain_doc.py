"""docs/domain.md holds the domain rules the code follows: every section a docstring or comment
points to by its heading exists, so a renamed heading cannot leave a reference to nothing."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"docs/domain\.md, ('[^']+'(?: and '[^']+')*)")


def test_every_section_of_docs_domain_md_named_in_the_code_exists():
    headings = set(re.findall(r"^## (.+)$", (ROOT / "docs" / "domain.md").read_text("utf-8"), re.M))
    named = {}
    for folder in ("score_app", "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == Path(__file__).resolve():
                continue
            text = " ".join(path.read_text("utf-8").split())  # references may wrap
            assert "DOMAIN.md" not in text, path  # a file outside the repository
            for group in REFERENCE.findall(text):
                for heading in re.findall(r"'([^']+)'", group):
                    named.setdefault(heading, path.relative_to(ROOT))
    assert len(named) >= 5  # the code still points to the document
    assert {heading: path for heading, path in named.items() if heading not in headings} == {}
