"""A campaign's answers as files: CSV and XLSX exports (one row per commitment), and the
"bilan de la campagne" PDF of a closed campaign, for one territory or for all.

- Exports: the columns of EXPORT_COLUMNS; every text a spreadsheet could run as a formula is
  neutralised (`flat_export.spreadsheet_safe`) in both formats — openpyxl itself would write
  a text starting with "=" as a formula. CSV as flat_export writes it (UTF-8 with BOM, CRLF).
- PDF: the same service as the protocols (rendering/pdf.py: WeasyPrint, the shipped DejaVu
  fonts only, the local-fonts URL fetcher, tagged PDF/UA-1). `render_campaign_pdf(campaign,
  territory=None)` gives the bytes of the current version (stored, or rendered then stored);
  `CampaignPdf` is the same report as a pdf_store document (rendering/pdf_store.py): rendered by
  a job of the "pdf" queue when the campaign closes (commitments/tasks.py), stored in the
  database, served by the view from there. A closed campaign's figures never change, so its
  version is made of the campaign, its closing time, the territory, the territories' names and
  the layout digest (templates, this module, the protocols' PDF layout); its version date is
  the closing time. Reads the frozen rows: two or three queries. A render of every territory
  on the seed (354 commitments) takes about 8 seconds.
"""

import csv
import hashlib
import io
from dataclasses import dataclass
from functools import cache as memoize
from functools import cached_property
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from commitments.enums import Status
from commitments.models import Campaign
from commitments.rendering import charts, pdf, pdf_store
from commitments.rendering.flat_export import CSV_BOM, spreadsheet_safe
from commitments.rendering.template_sources import template_files
from commitments.selectors.campaign_completion import campaign_report
from territories.models import Territory

# Column order of both exports: (key, header).
EXPORT_COLUMNS = (
    ("territoire", "Territoire"),
    ("thematique", "Thématique"),
    ("niveau", "Niveau"),
    ("identifiant", "Identifiant"),
    ("intitule", "Intitulé"),
    ("renseigne", "Renseigné pour la campagne"),
    ("statut", "Statut"),
    ("avancement", "Avancement (%)"),
    ("date_dernier_point", "Date du dernier point"),
    ("auteur", "Auteur du dernier point"),
    ("commentaire", "Dernier commentaire"),
)
# The root template of a campaign's PDF.
DOCUMENT_TEMPLATE = "campaigns/pdf_document.html"


def export_rows(report):
    """One dict per commitment of `report` (a CampaignReport), typed values."""
    for row in report.rows:
        yield {
            "territoire": row.territory.name,
            "thematique": row.thematic.name,
            "niveau": row.kind_label,
            "identifiant": f"{row.kind}-{row.commitment_id}" if row.commitment_id else "",
            "intitule": row.text,
            "renseigne": "oui" if row.reported else "non",
            "statut": row.status_label,
            "avancement": row.progress,
            "date_dernier_point": row.last_update_date,
            "auteur": row.author_name,
            "commentaire": row.last_comment,
        }


def _cells(row):
    return [spreadsheet_safe("" if row[key] is None else row[key]) for key, _ in EXPORT_COLUMNS]


def csv_bytes(report):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _, header in EXPORT_COLUMNS])
    for row in export_rows(report):
        cells = _cells(row)
        writer.writerow([c.isoformat() if hasattr(c, "isoformat") else c for c in cells])
    return (CSV_BOM + buffer.getvalue()).encode()


def xlsx_bytes(report):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Réponses")
    sheet.append([header for _, header in EXPORT_COLUMNS])
    for row in export_rows(report):
        sheet.append(_cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- The PDF -------------------------------------------------------------------------------


@memoize
def layout_version():
    """The protocols' PDF layout digest (fonts, WeasyPrint) with the templates a campaign's PDF
    loads (rendering/template_sources.py) and this module."""
    own = pdf.files_digest([*template_files(DOCUMENT_TEMPLATE), Path(__file__)])
    return hashlib.sha256(f"{pdf.layout_version()}:{own}".encode()).hexdigest()[:12]


def _cache_key(campaign_, territories, territory):
    names = "|".join(t.name for t in territories)
    digest = hashlib.sha256(names.encode()).hexdigest()[:16]
    slug = territory.slug if territory else "tous"
    closed = campaign_.closed_at.isoformat() if campaign_.closed_at else "ouverte"
    return f"round-pdf:{layout_version()}:{campaign_.pk}:{closed}:{slug}:{digest}"


def _chart(completion, title, chart_id):
    svg = charts.status_chart_svg(completion.status_counts, title=title, chart_id=chart_id)
    return mark_safe(svg.replace(charts.FONT, f'font-family="{pdf.PDF_FONT}"'))  # noqa: S308


def pdf_context(campaign_, territories, territory=None):
    report = campaign_report(campaign_, territories)
    parts = []
    for shown, completion in report.by_territory:
        parts.append(
            {
                "territory": shown,
                "completion": completion,
                "chart": _chart(
                    completion,
                    f"Engagements par statut — {shown.name}",
                    f"graphique-statuts-{shown.slug}",
                ),
                "rows": report.rows_of(shown),
            }
        )
    overall = report.overall
    scope = territory.name if territory else "tous les territoires"
    return {
        "title": f"Bilan de la campagne « {campaign_.title} » — {scope}",
        "campaign": campaign_,
        "report": report,
        "overall": overall,
        "statuses": [(status, status.label) for status in Status.in_display_order()],
        "chart": _chart(overall, f"Engagements par statut — {scope}", "graphique-statuts"),
        "by_thematic": report.by_thematic,
        "answers": report.answers,
        "parts": parts,
        "single": territory,
        "closed_date": pdf.french_date(campaign_.closed_at),
        "generated": timezone.localtime(campaign_.closed_at) if campaign_.closed_at else None,
    }


def _render(context, identifier):
    """(bytes, pages) of the report rendered from `context`."""
    from weasyprint import HTML  # heavy: only when rendering

    with translation.override("fr"):
        html = render_to_string(DOCUMENT_TEMPLATE, context)
    pages = []
    data = HTML(
        string=html, base_url=pdf.FONT_DIR.as_uri() + "/", url_fetcher=pdf.LocalFonts()
    ).write_pdf(
        pdf_variant="pdf/ua-1",
        pdf_identifier=identifier.encode(),
        finisher=lambda document, output: pages.append(len(document.pages)),
    )
    return data, pages[0]


@dataclass(frozen=True)
class CampaignPdf:
    """The report of a closed campaign, for all its territories (`territory` None) or one: a
    pdf_store document. Its version date is the campaign's closing time (its figures are frozen);
    its version changes only with the layout or the territories' names."""

    campaign: Campaign
    territory: Territory | None

    @classmethod
    def of(cls, campaign_id, territory_id=None):
        """From ids, as a job receives them (one or two queries)."""
        campaign_ = Campaign.objects.get(pk=campaign_id)
        territory = Territory.objects.get(pk=territory_id) if territory_id else None
        return cls(campaign_, territory)

    @cached_property
    def territories(self):
        shown = list(self.campaign.territories.in_display_order())
        if self.territory is not None:
            shown = [t for t in shown if t.pk == self.territory.pk]
        return shown

    @property
    def store_key(self):
        return f"bilan:{self.campaign.pk}:{self.territory.slug if self.territory else 'tous'}"

    @property
    def cache_key(self):
        return _cache_key(self.campaign, self.territories, self.territory)

    @property
    def version_at(self):
        return self.campaign.closed_at

    @property
    def etag(self):
        return pdf_store.etag_of(self.cache_key)

    @property
    def filename(self):
        return pdf_filename(self.campaign, self.territory)

    def dated_filename(self, moment):
        return self.filename  # a closed campaign's report has one content: its name says it

    def current_version(self):
        fresh = CampaignPdf(Campaign.objects.get(pk=self.campaign.pk), self.territory)
        return fresh.cache_key

    def render(self):
        identifier = pdf_store.etag_of(self.cache_key)
        return _render(pdf_context(self.campaign, self.territories, self.territory), identifier)


def campaign_pdfs(campaign_):
    """The reports of a closed campaign: for all its territories, then each one (one query)."""
    yield CampaignPdf(campaign_, None)
    for territory in campaign_.territories.in_display_order():
        yield CampaignPdf(campaign_, territory)


def render_campaign_pdf(campaign_, territory=None):
    """The "bilan de la campagne" of a closed campaign as PDF bytes: the campaign's territories (or
    `territory` alone), from its frozen figures: its stored render when it is the current
    version, else rendered now and stored (see the module docstring)."""
    document = CampaignPdf(campaign_, territory)
    row = pdf_store.latest(document.store_key, with_data=True)
    if pdf_store.is_current(row, document):
        return pdf_store.data_of(row)
    data, pages = document.render()
    pdf_store.store(document, data, pages)
    return data


def pdf_filename(campaign_, territory=None):
    return (
        f"bilan-campagne-{campaign_.pk}-{territory.slug if territory else 'tous-territoires'}.pdf"
    )
