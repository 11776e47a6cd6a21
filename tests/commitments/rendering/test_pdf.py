"""The seven seeded protocols as PDF: complete, in order, tagged, with bookmarks and fonts that
draw every character. Each PDF is rendered once per session (rendering is the slow part) and
every assertion below reads the same bytes."""

import io
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from commitments.rendering.glossary_markup import Glossary
from commitments.rendering.pdf import ProtocolPart, ProtocolPdf, french_date, render_pdf
from commitments.selectors.protocol_tree import iter_commitments, load_protocol_tree
from territories.models import Territory
from tests.support.pdf import font_problems, missing_in_order, normalize, outline, pdf_text, squeeze
from tests.support.seed import SLUGS
from tests.support.templates import copy_of_the_templates

# --- What each PDF must hold --------------------------------------------------------------------


@dataclass
class Expected:
    title: str
    territory: str
    texts: list  # in document order
    bookmarks: list  # (level, title)
    glossary: list  # (term, expansion)
    sections: int
    min_pages: int
    max_pages: int


def expected_document(territory, protocol):
    part = ProtocolPart(territory, protocol, suivi=False)
    texts = [protocol.title, protocol.deliberation_reference]
    texts += [protocol.preamble, *protocol.precondition_list]
    bookmarks = [(1, territory.name), (2, "Sommaire")]
    if protocol.preamble:
        bookmarks.append((2, "Préambule"))
    if protocol.precondition_list:
        bookmarks.append((2, protocol.preconditions_heading or "Conditions de réussite préalables"))
    nodes = list(iter_commitments(protocol))
    for section in part.sections:
        texts += [section.heading, section.subtitle, section.objective]
        texts += section.priority_list + [section.intro]
        bookmarks.append((2, section.heading))
        previous = ""
        for so in section.strategic_objectives.all():
            if so.subheading and so.subheading != previous:
                bookmarks.append((3, so.subheading))
            previous = so.subheading
            bookmarks.append((4 if so.subheading else 3, so.text))
        for _, node, node_section in nodes:
            if node_section == section:
                texts += [node.text, node.details]
    glossary = Glossary().terms_in(part.texts())
    if glossary:
        bookmarks.append((2, "Glossaire des sigles"))
    chars = sum(len(t) for t in texts if t)
    sections = len(part.sections)
    fixed_pages = 2 + bool(protocol.preamble) + bool(protocol.precondition_list)
    return Expected(
        title=protocol.title,
        territory=territory.name,
        texts=[t for t in texts if t],
        bookmarks=[(level, normalize(title)) for level, title in bookmarks],
        glossary=[(t.term, t.expansion) for t in glossary],
        sections=sections,
        min_pages=fixed_pages + sections,
        # Roughly 3,500 characters fit on a page; allow for half-empty pages.
        max_pages=fixed_pages + 2 * sections + 1 + chars // 1500,
    )


@dataclass
class Rendered:
    data: bytes
    text: str
    expected: Expected
    messages: list


@pytest.fixture(scope="session")
def seeded_pdfs(django_db_setup, django_db_blocker):
    """slug → the PDF of that seeded territory, rendered once for the whole session."""
    rendered = {}
    with django_db_blocker.unblock():
        for territory in Territory.objects.filter(slug__in=SLUGS):
            pdf = ProtocolPdf.for_territory(territory)
            protocol = load_protocol_tree(pdf.versions[0][0])
            with weasyprint_messages() as messages:
                data = render_pdf(pdf)
            rendered[territory.slug] = Rendered(
                data, pdf_text(data), expected_document(territory, protocol), messages
            )
    return rendered


@contextmanager
def weasyprint_messages():
    """WeasyPrint's warnings and errors while rendering (a missing glyph, an image without
    alternative text, a missing language are logged, not raised)."""
    messages = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


@pytest.fixture(params=SLUGS)
def seeded_pdf(request, seeded_pdfs, db):
    # `db` orders these tests before the transactional ones, which empty the database.
    assert request.param in seeded_pdfs, f"{request.param} n'est pas dans les données initiales"
    return seeded_pdfs[request.param]


# --- The tests ----------------------------------------------------------------------------------


def test_every_commitment_is_printed_in_document_order(seeded_pdf):
    expected = seeded_pdf.expected
    assert len(expected.texts) > 20
    assert missing_in_order(seeded_pdf.text, expected.texts) == []


def test_cover_holds_territory_reference_and_version_date(seeded_pdf):
    first_page = seeded_pdf.text.split("\f")[0]
    assert seeded_pdf.expected.territory in first_page
    assert "Del 2019 0128" in first_page
    assert re.search(r"version du (1er|\d{1,2}) \w+ 20\d\d", first_page)


def test_table_of_contents_gives_the_page_of_each_thematic(seeded_pdf):
    pages = seeded_pdf.text.split("\f")
    toc = normalize(pages[1])
    assert toc.startswith(seeded_pdf.expected.territory) or "Sommaire" in toc
    for level, title in seeded_pdf.expected.bookmarks:
        if level != 2 or title == "Sommaire":
            continue
        match = re.search(re.escape(title) + r"[ .]*(\d+)", toc)
        assert match, f"« {title} » manque au sommaire"
        page = int(match.group(1))
        assert squeeze(title) in squeeze(pages[page - 1]), f"« {title} » n'est pas page {page}"


def test_running_header_and_page_footer(seeded_pdf):
    pages = seeded_pdf.text.split("\f")
    total = len(PdfReader(io.BytesIO(seeded_pdf.data)).pages)
    for number, page in enumerate(pages[1:total], start=2):
        assert seeded_pdf.expected.territory in page
        assert f"page {number} / {total}" in page


def test_bookmarks_follow_the_headings(seeded_pdf):
    assert outline(seeded_pdf.data) == seeded_pdf.expected.bookmarks


def test_metadata_title_language_and_tags(seeded_pdf):
    reader = PdfReader(io.BytesIO(seeded_pdf.data))
    root = reader.trailer["/Root"]
    assert reader.metadata.title.startswith(seeded_pdf.expected.title)
    assert root["/Lang"] == "fr"
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfuaid:part(="1"|>1<)', xmp), "pas d'identifiant PDF/UA-1"


def test_page_count_is_plausible(seeded_pdf):
    pages = len(PdfReader(io.BytesIO(seeded_pdf.data)).pages)
    expected = seeded_pdf.expected
    assert expected.min_pages <= pages <= expected.max_pages


def test_embedded_fonts_draw_every_character(seeded_pdf):
    assert font_problems(seeded_pdf.data) == []


def test_rendering_logs_no_warning(seeded_pdf):
    assert seeded_pdf.messages == []


def test_font_check_catches_a_missing_glyph(db):
    """The check above is able to fail: DejaVu has no CJK ideograph."""
    territory = Territory.objects.get(slug="corbeil-essonnes")
    territory.name = "Corbeil 漢字"
    territory.save()
    with weasyprint_messages() as messages:
        data = render_pdf(ProtocolPdf.for_territory(territory))
    assert "漢" in pdf_text(data)  # the text check alone would pass
    assert any(".notdef" in problem for problem in font_problems(data))
    assert any(".notdef" in message for message in messages)


def test_glossary_lists_the_acronyms_used(seeded_pdf):
    expected = seeded_pdf.expected
    text = seeded_pdf.text
    if not expected.glossary:
        assert "Glossaire des sigles" not in text
        return
    glossary = text[text.rindex("Glossaire des sigles") :]
    for term, expansion in expected.glossary:
        assert squeeze(term) in squeeze(glossary)
        if expansion:
            assert squeeze(expansion) in squeeze(glossary)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2024, 3, 1, 10, 0, tzinfo=UTC), "1er mars 2024"),
        # 23:30 UTC on 31 December is already New Year's Day in Paris.
        (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), "1er janvier 2026"),
        (datetime(2025, 11, 25, 12, 0, tzinfo=UTC), "25 novembre 2025"),
    ],
)
def test_version_date_is_french_in_paris_time(moment, expected):
    assert french_date(moment) == expected


@pytest.fixture
def templates_copy(settings, tmp_path):
    """A copy of templates/ read instead of the project's, the layout digest recomputed."""
    from commitments.rendering import pdf

    copy = copy_of_the_templates(settings, tmp_path)
    pdf.layout_version.cache_clear()
    yield copy
    pdf.layout_version.cache_clear()


def _changed(path):
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "name",
    [
        "pdf/document.html",  # the root
        "protocol/_action.html",  # included by an included template, shared with the pages
        "pdf/protocol.css",  # the stylesheet, an included template
        "includes/section_intro.html",  # shared with the pages
        "includes/preamble.html",
    ],
)
def test_a_change_to_a_template_the_pdf_uses_changes_its_cache_key(name, templates_copy):
    """The PDF shares templates with the pages: changing any of them invalidates stored PDFs."""
    from commitments.rendering import pdf

    before = pdf.layout_version()
    _changed(templates_copy / name)
    pdf.layout_version.cache_clear()
    assert pdf.layout_version() != before


@pytest.mark.parametrize("name", ["portal/glossary.html", "portal/territory_detail.html"])
def test_a_change_to_a_template_the_pdf_does_not_use_keeps_its_cache_key(name, templates_copy):
    from commitments.rendering import pdf

    before = pdf.layout_version()
    _changed(templates_copy / name)
    pdf.layout_version.cache_clear()
    assert pdf.layout_version() == before


def test_a_change_to_a_tag_module_the_pdf_loads_changes_its_cache_key(
    templates_copy, settings, tmp_path, monkeypatch
):
    """A tag library the PDF's templates load is part of the key, wherever it lives; the real
    ones are found the same way (their files are listed)."""
    from commitments.rendering import pdf
    from commitments.rendering.template_sources import template_files

    listed = {path.name for path in template_files(pdf.DOCUMENT_TEMPLATE)}
    assert {"node_markup.py", "perer_text.py"} <= listed
    module = tmp_path / "pdf_probe_tags.py"
    module.write_text("from django import template\n\nregister = template.Library()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    engine = {**settings.TEMPLATES[0]}
    engine["OPTIONS"] = {**engine["OPTIONS"], "libraries": {"pdf_probe": "pdf_probe_tags"}}
    settings.TEMPLATES = [engine]
    cover = templates_copy / "pdf" / "_cover.html"
    cover.write_text("{% load pdf_probe %}" + cover.read_text(encoding="utf-8"), encoding="utf-8")
    pdf.layout_version.cache_clear()
    before = pdf.layout_version()
    _changed(module)
    pdf.layout_version.cache_clear()
    assert pdf.layout_version() != before


LAYOUT_VERSION_ALONE = """
import sys
import django
django.setup()
from commitments.rendering import pdf
assert len(pdf.layout_version()) == 12
print("weasyprint" in sys.modules)
"""


def test_the_layout_digest_does_not_import_weasyprint():
    """The pages that link the PDFs compute cache keys (their size comes from the facts of the
    last render): that must not cost WeasyPrint's import (over a second) in a web process."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "perer.settings"}
    result = subprocess.run(
        [sys.executable, "-c", LAYOUT_VERSION_ALONE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"
