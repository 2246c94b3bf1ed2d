"""The glossary: one agreed word per training term and language, used by the interface, the
module texts and the guides alike; a variant the glossary lists under `avoid` fails here."""

import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from score_app.cli import TRANSLATIONS
from score_app.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "glossary"
MODULES = ROOT / "modules"
TRANSLATED = [loc for loc in SUPPORTED_LOCALES if loc != DEFAULT_LOCALE]


def _glossary(locale: str) -> dict:
    with (GLOSSARY / f"{locale}.toml").open("rb") as handle:
        return tomllib.load(handle)


def _catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _texts(locale: str):
    """(where, text) for every text of the interface a reader of `locale` meets: the catalogue
    and the module.toml texts."""
    for message in _catalogue(locale):
        if message.id:
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in strings:
                yield f"messages.po: {msgid!r}", string
    for toml in sorted(MODULES.glob("*/module.toml")):
        folder = toml.parent
        with toml.open("rb") as handle:
            data = tomllib.load(handle)
        for key in ("title", "summary"):
            yield f"{folder.name}/module.toml: {key}", data[key].get(locale, "")
        for item in data.get("checklist", []):
            for key in ("text", "good"):
                yield f"{folder.name}/module.toml: {item['id']}.{key}", item[key].get(locale, "")


def _guide_lines(locale: str):
    """(where, line) for each line of the guides written in `locale` (modules/*/<locale>.md)."""
    for guide in sorted(MODULES.glob(f"*/{locale}.md")):
        for number, line in enumerate(guide.read_text(encoding="utf-8").splitlines(), 1):
            yield f"{guide.parent.name}/{guide.name}:{number}", line


def _pattern(phrase: str) -> re.Pattern:
    """The phrase as a whole word or words, any case, any spacing and apostrophe; Chinese has no
    spaces between words, so a Chinese phrase is found anywhere."""
    words = [re.escape(w).replace("'", "['\u2019]") for w in phrase.split()]
    body = r"\s+".join(words)
    if re.search(r"[\u3400-\u9fff]", phrase):
        return re.compile(body, re.IGNORECASE)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def test_every_language_but_english_has_a_glossary_and_no_other_does():
    files = {p.stem for p in GLOSSARY.glob("*.toml")}
    assert files == set(TRANSLATED)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_glossary_entries_name_the_english_the_agreed_word_and_the_variants(locale):
    glossary = _glossary(locale)
    assert glossary["language"] == locale
    for term_id, term in glossary["terms"].items():
        assert term.get("en") and term.get("term"), term_id
        avoid = term.get("avoid")
        assert isinstance(avoid, list), term_id
        # A word cannot be both agreed and refused.
        agreed = _pattern(term["term"])
        assert not [v for v in avoid if agreed.fullmatch(v)], term_id


def _refused_variants(locale: str, texts) -> list[str]:
    refused = [
        (term_id, term["term"], _pattern(variant))
        for term_id, term in _glossary(locale)["terms"].items()
        for variant in term["avoid"]
    ]
    return [
        f"{where}: {term_id} is “{agreed}”, not “{match.group(0)}”"
        for where, text in texts
        for term_id, agreed, pattern in refused
        if (match := pattern.search(text))
    ]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_interface_or_module_text_uses_a_variant_the_glossary_refuses(locale):
    """A trainer reads the word the guide teaches on every screen and in every module text."""
    assert _refused_variants(locale, _texts(locale)) == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_guide_uses_a_variant_the_glossary_refuses(locale):
    """The guides teach the words the screens use."""
    assert _refused_variants(locale, _guide_lines(locale)) == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_interfaces_own_label_for_a_term_is_the_agreed_word(locale):
    """'Baseline', 'Trainer', 'Defect rate'…: where the interface names the term itself, its
    translation holds the glossary's word."""
    labels = {term["en"].casefold(): term["term"] for term in _glossary(locale)["terms"].values()}
    wrong = [
        (message.id, message.string, labels[message.id.casefold()])
        for message in _catalogue(locale)
        if isinstance(message.id, str) and message.id.casefold() in labels
        if not _pattern(labels[message.id.casefold()]).search(message.string)
    ]
    assert wrong == []


def test_the_variant_finder_catches_a_variant_and_spares_the_agreed_word():
    variant = _pattern("taux de défauts")
    assert variant.search("Le Taux de  défauts baisse")
    assert not variant.search("Le taux de produits défectueux baisse")
    assert not _pattern("PDCA").search("PDCAs")
    assert _pattern("缺陷率").search("本周缺陷率下降")
    assert _pattern("questions de débriefing").search("Questions de débriefing.")
