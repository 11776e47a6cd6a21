"""The campaign's files (commitments/rendering/campaign_report.py): exports neutralise formulas in
both formats; the closed campaign's PDF, for all territories and for one, read back; rendered
once then served from its stored render (rendering/pdf_store.py); the frozen figures only."""

import io

import pytest
from openpyxl import load_workbook

from commitments.enums import Status
from commitments.rendering import campaign_report
from commitments.selectors.campaign_completion import campaign_report as report_of
from commitments.services.campaign_lifecycle import close_campaign
from tests.support.admin import make_user
from tests.support.campaigns import new_campaign, report_in_period, town
from tests.support.pdf import pdf_text, squeeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_campaign():
    staff = make_user("agglomeration")
    one, (a, *_) = town("Première ville", slug="premiere")
    two, (d, *_) = town("Seconde ville", slug="seconde")
    report_in_period(a, Status.DONE, 100, comment="=1+1 fait", author=staff)
    report_in_period(d, Status.ABANDONED, 0, comment="Abandonné faute de moyens", author=staff)
    campaign_ = new_campaign(staff, [one, two], title="Bilan 2026")
    close_campaign(campaign_, staff)
    return campaign_, one, two


def test_exports_neutralise_formulas(closed_campaign):
    campaign_, one, two = closed_campaign
    report = report_of(campaign_, [one, two])
    text = campaign_report.csv_bytes(report).decode("utf-8-sig")
    assert "'=1+1 fait" in text and "\r\n" in text
    sheet = load_workbook(io.BytesIO(campaign_report.xlsx_bytes(report))).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'=1+1 fait" in values and "=1+1 fait" not in values
    assert len(list(sheet.iter_rows())) == 1 + 6


def test_the_pdf_for_all_and_for_one(closed_campaign):
    campaign_, one, two = closed_campaign
    everything = squeeze(pdf_text(campaign_report.render_campaign_pdf(campaign_)))
    for expected in (
        "Bilan de la campagne « Bilan 2026 » — tous les territoires",
        "2 engagements renseignés sur 6",
        "Première ville",
        "Seconde ville",
        "Abandonné faute de moyens",
        "Qui a répondu, et quand",
    ):
        assert squeeze(expected) in everything, expected
    single = squeeze(pdf_text(campaign_report.render_campaign_pdf(campaign_, one)))
    assert squeeze("— Première ville") in single
    assert squeeze("Abandonné faute de moyens") not in single


def test_rendered_once_then_cached(closed_campaign, monkeypatch):
    campaign_, one, _ = closed_campaign
    calls = []
    render = campaign_report._render
    monkeypatch.setattr(campaign_report, "_render", lambda *a: calls.append(1) or render(*a))
    first = campaign_report.render_campaign_pdf(campaign_, one)
    assert campaign_report.render_campaign_pdf(campaign_, one) == first
    assert len(calls) == 1
    campaign_report.render_campaign_pdf(campaign_)
    assert len(calls) == 2


def test_a_render_stored_by_another_process_is_served(closed_campaign, monkeypatch):
    from commitments.rendering import pdf_store

    campaign_, one, _ = closed_campaign
    document = campaign_report.CampaignPdf(campaign_, one)
    assert pdf_store.store(document, b"%PDF rendu par un worker", 1)  # a worker's render
    monkeypatch.setattr(campaign_report, "_render", lambda *a: pytest.fail("rendered twice"))
    assert campaign_report.render_campaign_pdf(campaign_, one) == b"%PDF rendu par un worker"


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("campaigns/pdf_completion_table.html", True),  # included by the document
        ("campaigns/pdf_campaign.css", True),
        ("pdf/protocol.css", True),  # the protocols' layout (fonts, WeasyPrint) is part of it
        ("campaigns/campaign_detail.html", False),  # a page, not the PDF
    ],
)
def test_the_pdf_key_follows_the_templates_it_loads(name, changes, settings, tmp_path):
    from commitments.rendering import pdf
    from tests.support.templates import copy_of_the_templates

    copy = copy_of_the_templates(settings, tmp_path)
    campaign_report.layout_version.cache_clear()
    pdf.layout_version.cache_clear()
    before = campaign_report.layout_version()
    (copy / name).write_text((copy / name).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    campaign_report.layout_version.cache_clear()
    pdf.layout_version.cache_clear()
    try:
        assert (campaign_report.layout_version() != before) is changes
    finally:
        campaign_report.layout_version.cache_clear()
        pdf.layout_version.cache_clear()
