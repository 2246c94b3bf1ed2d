"""Module Markdown to safe HTML, with anchors on sections for a table of contents."""

import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

from score_app.i18n import fold

_ALLOWED_TAGS = {
    "h1", "h2", "h3", "p", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
    "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "a",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "h2": {"id"}, "h3": {"id"}, "a": {"href"}, "ol": {"start"}, "table": {"class"},
    "td": {"data-label"},
}  # fmt: skip


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class RenderedDocument:
    title: str
    html: str
    toc: tuple[Heading, ...]


def _anchor(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "section"
    anchor, n = base, 2
    while anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    taken.add(anchor)
    return anchor


def _label_table_cells(tokens) -> None:
    """Each table stacks its rows on a phone (the `stacked` style), every cell named by its
    column's heading."""
    headings: list[str] = []
    column = 0
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            token.attrSet("class", "stacked")
            headings = []
        elif token.type == "th_open":
            headings.append(_plain_text(tokens[index + 1]))
        elif token.type == "tr_open":
            column = 0
        elif token.type == "td_open":
            if column < len(headings) and headings[column]:
                token.attrSet("data-label", headings[column])
            column += 1


def _plain_text(inline) -> str:
    return "".join(child.content for child in inline.children or () if child.type == "text")


def render_markdown(markdown: str) -> RenderedDocument:
    """Render a module document; its '# ' title is returned apart from the body."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = parser.parse(markdown)
    title, toc, taken = "", [], set()
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        text = tokens[index + 1].content
        if token.tag == "h1" and not title:
            title = text
        elif token.tag in ("h2", "h3"):
            anchor = _anchor(text, taken)
            token.attrSet("id", anchor)
            toc.append(Heading(int(token.tag[1]), anchor, text))
    _label_table_cells(tokens)
    body = parser.renderer.render(_without_title(tokens), parser.options, {})
    html = nh3.clean(body, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES, link_rel=None)
    return RenderedDocument(title=title, html=html, toc=tuple(toc))


def _without_title(tokens):
    """Drop the first h1 (shown by the page itself) from the token stream."""
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return tokens[:index] + tokens[index + 3 :]
    return tokens
