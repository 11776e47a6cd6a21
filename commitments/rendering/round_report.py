"""A reporting round's answers as files: CSV and XLSX exports (one row per commitment), and the
"bilan de la campagne" PDF of a closed round, for one territory or for all.

- Exports: the columns of EXPORT_COLUMNS; every text a spreadsheet could run as a formula is
  neutralised (`flat_export.spreadsheet_safe`) in both formats — openpyxl itself would write
  a text starting with "=" as a formula. CSV as flat_export writes it (UTF-8 with BOM, CRLF).
- PDF: the same service as the protocols (rendering/pdf.py: WeasyPrint, the shipped DejaVu
  fonts only, the local-fonts URL fetcher, tagged PDF/UA-1). `render_round_pdf(round,
  territory=None)` is the one entry point (a background job may call it). A closed round's
  figures never change, so its PDF is cached under a key made of the round, its closing time,
  the territory, the territories' names and the layout digest (templates, this module, the
  protocols' PDF layout); concurrent requests wait for one render. Reads the frozen rows: two
  or three queries. A render of every territory on the seed (354 commitments) takes about
  8 seconds.
"""

import csv
import hashlib
import io
from functools import cache as memoize
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from commitments.enums import Status
from commitments.rendering import charts, pdf
from commitments.rendering.flat_export import CSV_BOM, spreadsheet_safe
from commitments.reporting.round_completion import round_report

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
TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "rounds"


def export_rows(report):
    """One dict per commitment of `report` (a RoundReport), typed values."""
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
    digest = hashlib.sha256(pdf.layout_version().encode())
    for path in [*sorted(TEMPLATE_DIR.glob("pdf_*")), Path(__file__)]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _cache_key(round_, territories, territory):
    names = "|".join(t.name for t in territories)
    digest = hashlib.sha256(names.encode()).hexdigest()[:16]
    slug = territory.slug if territory else "tous"
    closed = round_.closed_at.isoformat() if round_.closed_at else "ouverte"
    return f"round-pdf:{layout_version()}:{round_.pk}:{closed}:{slug}:{digest}"


def _chart(completion, title, chart_id):
    svg = charts.status_chart_svg(completion.status_counts, title=title, chart_id=chart_id)
    return mark_safe(svg.replace(charts.FONT, f'font-family="{pdf.PDF_FONT}"'))  # noqa: S308


def pdf_context(round_, territories, territory=None):
    report = round_report(round_, territories)
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
        "title": f"Bilan de la campagne « {round_.title} » — {scope}",
        "round": round_,
        "report": report,
        "overall": overall,
        "statuses": [(status, status.label) for status in Status.in_display_order()],
        "chart": _chart(overall, f"Engagements par statut — {scope}", "graphique-statuts"),
        "by_thematic": report.by_thematic,
        "answers": report.answers,
        "parts": parts,
        "single": territory,
        "closed_date": pdf.french_date(round_.closed_at),
        "generated": timezone.localtime(round_.closed_at) if round_.closed_at else None,
    }


def _render(context, identifier):
    from weasyprint import HTML  # heavy: only when rendering

    with translation.override("fr"):
        html = render_to_string("rounds/pdf_document.html", context)
    return HTML(
        string=html, base_url=pdf.FONT_DIR.as_uri() + "/", url_fetcher=pdf.LocalFonts()
    ).write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=identifier.encode())


def render_round_pdf(round_, territory=None):
    """The "bilan de la campagne" of a closed round as PDF bytes: the round's territories (or
    `territory` alone), from its frozen figures; cached (see the module docstring)."""
    territories = list(round_.territories.in_display_order())
    if territory is not None:
        territories = [t for t in territories if t.pk == territory.pk]
    key = _cache_key(round_, territories, territory)
    data = cache.get(key)
    if data is not None:
        return data
    # As the protocols' PDFs: concurrent requests for the same report wait for one render.
    lock = f"{key}:rendu-en-cours"
    if not cache.add(lock, 1, pdf.RENDER_WAIT_SECONDS):
        data = pdf._wait_for(key)
        if data is not None:
            return data
    try:
        identifier = hashlib.sha256(key.encode()).hexdigest()[:32]
        data = _render(pdf_context(round_, territories, territory), identifier)
        cache.set(key, data, pdf.CACHE_TIMEOUT)
    finally:
        cache.delete(lock)
    return data


def pdf_filename(round_, territory=None):
    return f"bilan-campagne-{round_.pk}-{territory.slug if territory else 'tous-territoires'}.pdf"
