"""Loads modules/ into frozen dataclasses and checks it, reporting every problem at once.

A module is a folder named by its slug, holding module.toml and one Markdown file per locale.
The folder `_indicators` holds the indicator reference every module links to (one Markdown
file per locale, no module.toml): each indicator is defined there once, and a guide's link to
one of its sections must land on a heading that exists in the same language.
"""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from score_app.catalog.indicators import BY_CODE
from score_app.catalog.render import render_markdown
from score_app.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES

MIN_CHECKLIST_ITEMS = 10
REFERENCE_FOLDER = "_indicators"
# Where the reader serves the reference; guides link to it as /modules/indicators#<anchor>.
REFERENCE_PATH = "/modules/indicators"
_REFERENCE_LINK = re.compile(re.escape(REFERENCE_PATH) + r"(?:#([\w-]*))?\)")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ITEM_ID = re.compile(r"^[a-z]+-\d{2}$")
_KNOWN_KEYS = {
    "slug",
    "order",
    "prerequisites",
    "classroom_days",
    "indicators",
    "title",
    "summary",
    "checklist",
    "handout",
}


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: dict[str, str]
    good: dict[str, str]


@dataclass(frozen=True, eq=False)  # one object per module and process: hashed by identity
class TrainingModule:
    slug: str
    order: int
    prerequisites: tuple[str, ...]
    classroom_days: int
    indicators: tuple[str, ...]
    title: dict[str, str]
    summary: dict[str, str]
    checklist: tuple[ChecklistItem, ...]
    documents: dict[str, str] = field(repr=False)  # locale -> Markdown
    # The participant handout: the guide's sections given to participants (their "## "
    # headings in en.md) and, inside them, the labelled paragraphs ("**Time.**") that are the
    # trainer's notes; no sections, no handout apart from the trainer's guide.
    handout_sections: tuple[str, ...] = ()
    trainer_notes: tuple[str, ...] = ()

    @property
    def has_handout(self) -> bool:
        return bool(self.handout_sections)

    def title_in(self, locale: str) -> str:
        return self.title.get(locale) or self.title[DEFAULT_LOCALE]

    def summary_in(self, locale: str) -> str:
        return self.summary.get(locale) or self.summary[DEFAULT_LOCALE]

    def document_locale(self, locale: str) -> str:
        """The locale the module can be read in: the one asked for, else English."""
        return locale if locale in self.documents else DEFAULT_LOCALE


@dataclass(frozen=True, eq=False)  # one object per process: hashed by identity
class Catalogue:
    modules: tuple[TrainingModule, ...]
    # The indicator reference: locale -> Markdown (empty when the folder has none).
    reference: dict[str, str] = field(default_factory=dict)

    def reference_locale(self, locale: str) -> str:
        """The locale the reference can be read in: the one asked for, else English."""
        return locale if locale in self.reference else DEFAULT_LOCALE

    def get(self, slug: str) -> TrainingModule | None:
        return next((m for m in self.modules if m.slug == slug), None)

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(m.slug for m in self.modules)


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


class CatalogueError(ValueError):
    """The folder is not a valid catalogue; `problems` lists each one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"The training catalogue has {len(problems)} problem(s):\n{lines}")


class _Checker:
    """Collects problems for one file so every check can run before anything fails."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file, self.problems = file, problems

    def add(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.file, field_name, message))

    def texts(self, data: dict, key: str, where: str) -> dict[str, str]:
        value = data.get(key)
        if not isinstance(value, dict):
            self.add(where, "must be a table of texts by locale (en, fr, es, vi)")
            return {}
        texts = {}
        for locale in SUPPORTED_LOCALES:
            text = value.get(locale)
            if not isinstance(text, str) or not text.strip():
                self.add(f"{where}.{locale}", "missing or empty")
            else:
                texts[locale] = text.strip()
        for extra in sorted(set(value) - set(SUPPORTED_LOCALES)):
            self.add(f"{where}.{extra}", "unknown locale")
        return texts

    def integer(self, data: dict, key: str, low: int, high: int) -> int:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(key, f"must be a whole number from {low} to {high}")
            return 0
        return value

    def strings(self, data: dict, key: str) -> tuple[str, ...]:
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(key, "must be a list of texts")
            return ()
        return tuple(value)


def _read_toml(path: Path, check: _Checker) -> dict | None:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        check.add("-", "file is missing")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        check.add("-", f"not valid TOML: {error}")
    return None


def _checklist(data: dict, check: _Checker) -> tuple[ChecklistItem, ...]:
    raw = data.get("checklist")
    if not isinstance(raw, list):
        check.add("checklist", "must be a list of [[checklist]] items")
        return ()
    if len(raw) < MIN_CHECKLIST_ITEMS:
        check.add("checklist", f"needs at least {MIN_CHECKLIST_ITEMS} items, has {len(raw)}")
    items, seen = [], set()
    for position, entry in enumerate(raw, start=1):
        where = f"checklist[{position}]"
        item_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(item_id, str) or not _ITEM_ID.match(item_id):
            check.add(f"{where}.id", "must look like 'wc-01' (letters, a dash, two digits)")
            continue
        if item_id in seen:
            check.add(f"{where}.id", f"'{item_id}' is used twice")
        seen.add(item_id)
        text = check.texts(entry, "text", f"{where}.text")
        good = check.texts(entry, "good", f"{where}.good")
        items.append(ChecklistItem(item_id, text, good))
    return tuple(items)


_LABEL = re.compile(r"^\*\*([^*]+?)\*\*")


def _label(text: str) -> str:
    """A paragraph's bold label without its closing mark: "**Time.**" -> "Time"."""
    return text.strip().rstrip(".:").strip()


def _sections(markdown: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The lines before the first "## " heading, then each "## " section: (heading, lines)."""
    head: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), [line]))
        elif sections:
            sections[-1][1].append(line)
        else:
            head.append(line)
    return head, sections


def _labelled_blocks(lines: list[str]) -> list[tuple[str | None, list[str]]]:
    """A section's lines cut where a paragraph opens with a bold label or a heading starts:
    (label or None, lines). A labelled block runs to the next label or heading."""
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    previous_blank = True
    for line in lines:
        found = _LABEL.match(line) if previous_blank else None
        if found:
            blocks.append((_label(found[1]), [line]))
        elif line.startswith("#"):
            blocks.append((None, [line]))
        else:
            blocks[-1][1].append(line)
        previous_blank = not line.strip()
    return blocks


def _labels(lines: list[str]) -> list[str]:
    return [label for label, _lines in _labelled_blocks(lines) if label is not None]


def participant_markdown(module: "TrainingModule", locale: str) -> str:
    """The module's guide in `locale` cut to the participant handout: its title, the sections
    chosen in module.toml, without the trainer's notes. Sections and labels are found by their
    place in en.md, as translations keep every section (checked at load) and every label."""
    english = _sections(module.documents[DEFAULT_LOCALE])[1]
    head, sections = _sections(module.documents[module.document_locale(locale)])
    kept = list(head)
    for (heading, english_lines), (_heading, lines) in zip(english, sections, strict=True):
        if heading not in module.handout_sections:
            continue
        english_labels = iter(_labels(english_lines))
        for label, block in _labelled_blocks(lines):
            english_label = next(english_labels, None) if label is not None else None
            if english_label not in module.trainer_notes:
                kept.extend(block)
    return "\n".join(kept) + "\n"


def _handout(data: dict, documents: dict[str, str], check: "_Checker") -> tuple[tuple, tuple]:
    raw = data.get("handout")
    if raw is None:
        return (), ()
    if not isinstance(raw, dict):
        check.add("handout", "must be a table with sections and trainer_notes")
        return (), ()
    sections = check.strings(raw, "sections")
    notes = check.strings(raw, "trainer_notes") if "trainer_notes" in raw else ()
    english = documents.get(DEFAULT_LOCALE)
    if english is None:
        return sections, notes
    headings = dict(_sections(english)[1])
    for name in sections:
        if name not in headings:
            check.add("handout.sections", f"'{name}' is not a '## ' heading of en.md")
    labels = {label for lines in headings.values() for label in _labels(lines)}
    for name in notes:
        if name not in labels:
            check.add("handout.trainer_notes", f"no paragraph of en.md opens with '**{name}.**'")
    english_counts = [len(_labels(lines)) for _h, lines in _sections(english)[1]]
    for locale, text in documents.items():
        counts = [len(_labels(lines)) for _h, lines in _sections(text)[1]]
        if locale != DEFAULT_LOCALE and counts != english_counts:
            check.add(
                "handout",
                f"{locale}.md does not open as many paragraphs with a bold label as en.md in "
                "each section: the handout could not tell the trainer's notes apart",
            )
    return sections, notes


def _headings(markdown: str) -> list[str]:
    return [line.split(" ", 1)[0] for line in markdown.splitlines() if re.match(r"#{1,6} ", line)]


def _documents(folder: Path, problems: list[Problem]) -> dict[str, str]:
    documents = {}
    for locale in SUPPORTED_LOCALES:
        path = folder / f"{locale}.md"
        if path.exists():
            try:
                documents[locale] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                problems.append(Problem(_name(path), "-", "not UTF-8 text"))
    english = documents.get(DEFAULT_LOCALE)
    if english is None:
        problems.append(Problem(_name(folder / "en.md"), "-", "file is missing"))
        return documents
    shape = _headings(english)
    if shape[:1] != ["#"] or shape.count("#") != 1:
        problems.append(
            Problem(_name(folder / "en.md"), "headings", "must open with one '# ' title")
        )
    for locale, text in documents.items():
        if any(len(marks) > 3 for marks in _headings(text)):
            problems.append(
                Problem(_name(folder / f"{locale}.md"), "headings", "use #, ## and ### only")
            )
        if locale != DEFAULT_LOCALE and _headings(text) != shape:
            problems.append(
                Problem(
                    _name(folder / f"{locale}.md"),
                    "headings",
                    "the headings differ from en.md: a translation must keep every section",
                )
            )
    return documents


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _load_module(folder: Path, problems: list[Problem]) -> TrainingModule | None:
    check = _Checker(_name(folder / "module.toml"), problems)
    data = _read_toml(folder / "module.toml", check)
    documents = _documents(folder, problems)
    if data is None:
        return None
    for key in sorted(set(data) - _KNOWN_KEYS):
        check.add(key, "unknown key")
    slug = data.get("slug")
    if slug != folder.name or not _SLUG.match(folder.name):
        check.add("slug", f"must equal the folder name '{folder.name}' (lower case and dashes)")
    elif f"/modules/{slug}" == REFERENCE_PATH:
        check.add("slug", f"'{slug}' is where the reader shows the indicator reference")
    handout = _handout(data, documents, check)
    indicators = check.strings(data, "indicators")
    for code in indicators:
        if code not in BY_CODE:
            check.add("indicators", f"unknown indicator code '{code}'")
    return TrainingModule(
        slug=folder.name,
        order=check.integer(data, "order", 1, 99),
        prerequisites=check.strings(data, "prerequisites"),
        classroom_days=check.integer(data, "classroom_days", 1, 10),
        indicators=indicators,
        title=check.texts(data, "title", "title"),
        summary=check.texts(data, "summary", "summary"),
        checklist=_checklist(data, check),
        documents=documents,
        **dict(zip(("handout_sections", "trainer_notes"), handout, strict=True)),
    )


def _check_catalogue(modules: list[TrainingModule], problems: list[Problem]) -> None:
    slugs = {m.slug for m in modules}
    orders = [m.order for m in modules]
    first = min(modules, key=lambda m: m.order) if modules else None
    item_ids: dict[str, str] = {}
    for module in modules:
        file = f"{module.slug}/module.toml"
        if orders.count(module.order) > 1:
            problems.append(Problem(file, "order", f"{module.order} is used by another module"))
        for slug in module.prerequisites:
            if slug not in slugs or slug == module.slug:
                problems.append(Problem(file, "prerequisites", f"'{slug}' is not another module"))
        if module is not first and first.slug not in module.prerequisites:
            problems.append(
                Problem(file, "prerequisites", f"must include the first module '{first.slug}'")
            )
        for item in module.checklist:
            if item_ids.setdefault(item.id, module.slug) != module.slug:
                problems.append(
                    Problem(
                        file, "checklist", f"id '{item.id}' is also used by {item_ids[item.id]}"
                    )
                )


def _check_reference_links(
    modules: list[TrainingModule], reference: dict[str, str], problems: list[Problem]
) -> None:
    """Every link of a guide to the indicator reference lands on a section of the reference
    in the guide's own language."""
    anchors = {
        locale: {h.anchor for h in render_markdown(text).toc} for locale, text in reference.items()
    }
    for module in modules:
        for locale, text in module.documents.items():
            for anchor in _REFERENCE_LINK.findall(text):
                if locale not in anchors:
                    problems.append(
                        Problem(
                            f"{module.slug}/{locale}.md",
                            "links",
                            f"links to the indicator reference, which has no {locale}.md",
                        )
                    )
                elif anchor and anchor not in anchors[locale]:
                    problems.append(
                        Problem(
                            f"{module.slug}/{locale}.md",
                            "links",
                            f"'#{anchor}' is no section of {REFERENCE_FOLDER}/{locale}.md",
                        )
                    )


def load_catalogue(root: Path) -> Catalogue:
    """Read and check every module under `root`; raise CatalogueError listing all problems."""
    problems: list[Problem] = []
    if not root.is_dir():
        raise CatalogueError([Problem(str(root), "-", "folder is missing")])
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    modules = [m for m in (_load_module(f, problems) for f in folders) if m is not None]
    if not modules:
        problems.append(Problem(root.name, "-", "holds no module folder"))
    _check_catalogue(modules, problems)
    reference = {}
    if (root / REFERENCE_FOLDER).is_dir():
        reference = _documents(root / REFERENCE_FOLDER, problems)
    _check_reference_links(modules, reference, problems)
    if problems:
        raise CatalogueError(problems)
    return Catalogue(tuple(sorted(modules, key=lambda m: m.order)), reference)
