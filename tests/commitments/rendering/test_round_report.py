"""The round's files (commitments/rendering/round_report.py): exports neutralise formulas in
both formats; the closed round's PDF, for all territories and for one, read back; rendered
once then served from its stored render (rendering/pdf_store.py); the frozen figures only."""

import io

import pytest
from openpyxl import load_workbook

from commitments.enums import Status
from commitments.rendering import round_report
from commitments.selectors.round_completion import round_report as report_of
from commitments.services.round_lifecycle import close_round
from tests.support.admin import make_user
from tests.support.pdf import pdf_text, squeeze
from tests.support.rounds import new_round, report_in_period, town

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_round():
    staff = make_user("agglomeration")
    one, (a, *_) = town("Première ville", slug="premiere")
    two, (d, *_) = town("Seconde ville", slug="seconde")
    report_in_period(a, Status.DONE, 100, comment="=1+1 fait", author=staff)
    report_in_period(d, Status.ABANDONED, 0, comment="Abandonné faute de moyens", author=staff)
    round_ = new_round(staff, [one, two], title="Bilan 2026")
    close_round(round_, staff)
    return round_, one, two


def test_exports_neutralise_formulas(closed_round):
    round_, one, two = closed_round
    report = report_of(round_, [one, two])
    text = round_report.csv_bytes(report).decode("utf-8-sig")
    assert "'=1+1 fait" in text and "\r\n" in text
    sheet = load_workbook(io.BytesIO(round_report.xlsx_bytes(report))).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'=1+1 fait" in values and "=1+1 fait" not in values
    assert len(list(sheet.iter_rows())) == 1 + 6


def test_the_pdf_for_all_and_for_one(closed_round):
    round_, one, two = closed_round
    everything = squeeze(pdf_text(round_report.render_round_pdf(round_)))
    for expected in (
        "Bilan de la campagne « Bilan 2026 » — tous les territoires",
        "2 engagements renseignés sur 6",
        "Première ville",
        "Seconde ville",
        "Abandonné faute de moyens",
        "Qui a répondu, et quand",
    ):
        assert squeeze(expected) in everything, expected
    single = squeeze(pdf_text(round_report.render_round_pdf(round_, one)))
    assert squeeze("— Première ville") in single
    assert squeeze("Abandonné faute de moyens") not in single


def test_rendered_once_then_cached(closed_round, monkeypatch):
    round_, one, _ = closed_round
    calls = []
    render = round_report._render
    monkeypatch.setattr(round_report, "_render", lambda *a: calls.append(1) or render(*a))
    first = round_report.render_round_pdf(round_, one)
    assert round_report.render_round_pdf(round_, one) == first
    assert len(calls) == 1
    round_report.render_round_pdf(round_)
    assert len(calls) == 2


def test_a_render_stored_by_another_process_is_served(closed_round, monkeypatch):
    from commitments.rendering import pdf_store

    round_, one, _ = closed_round
    document = round_report.RoundPdf(round_, one)
    assert pdf_store.store(document, b"%PDF rendu par un worker", 1)  # a worker's render
    monkeypatch.setattr(round_report, "_render", lambda *a: pytest.fail("rendered twice"))
    assert round_report.render_round_pdf(round_, one) == b"%PDF rendu par un worker"


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("rounds/pdf_completion_table.html", True),  # included by the document
        ("rounds/pdf_round.css", True),
        ("pdf/protocol.css", True),  # the protocols' layout (fonts, WeasyPrint) is part of it
        ("rounds/round_detail.html", False),  # a page, not the PDF
    ],
)
def test_the_pdf_key_follows_the_templates_it_loads(name, changes, settings, tmp_path):
    from commitments.rendering import pdf
    from tests.support.templates import copy_of_the_templates

    copy = copy_of_the_templates(settings, tmp_path)
    round_report.layout_version.cache_clear()
    pdf.layout_version.cache_clear()
    before = round_report.layout_version()
    (copy / name).write_text((copy / name).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    round_report.layout_version.cache_clear()
    pdf.layout_version.cache_clear()
    try:
        assert (round_report.layout_version() != before) is changes
    finally:
        round_report.layout_version.cache_clear()
        pdf.layout_version.cache_clear()
