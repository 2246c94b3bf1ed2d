"""Module Markdown becomes safe HTML with a table of contents."""

from score_app.catalog.render import render_markdown


def test_sections_get_anchors_and_a_table_of_contents():
    document = render_markdown("# Title\n\n## Tổng quan\n\ntext\n\n### Ngày 1\n\n## Tổng quan\n")
    assert document.title == "Title"
    assert [(h.level, h.anchor) for h in document.toc] == [
        (2, "tong-quan"),
        (3, "ngay-1"),
        (2, "tong-quan-2"),
    ]
    assert '<h2 id="tong-quan">Tổng quan</h2>' in document.html
    assert "<h1>" not in document.html


def test_raw_html_and_script_links_never_reach_the_page():
    document = render_markdown(
        '# T\n\n<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n'
        "[click](javascript:alert(3))\n"
    )
    assert "<script" not in document.html
    assert "<img" not in document.html
    assert 'href="javascript' not in document.html
    assert "&lt;script&gt;" in document.html


def test_tables_stack_on_a_phone_with_each_cell_named_by_its_column():
    document = render_markdown(
        "# T\n\n| time | **session** |\n|---|---|\n| 08:30 | Opening |\n| 09:00 | |\n"
    )
    assert '<table class="stacked">' in document.html
    assert '<td data-label="time">08:30</td>' in document.html
    assert '<td data-label="session">Opening</td>' in document.html
    assert '<td data-label="time">09:00</td>' in document.html
