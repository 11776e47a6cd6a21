"""templates/protocol/: one set of templates renders a protocol's tree for the protocol page,
an edition's page and the PDF, with flags for what differs (tracking, links, numbers, print)."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from commitments.models import Action, Edition
from commitments.rendering.pdf import DOCUMENT_TEMPLATE, ProtocolPdf, document_context
from territories.models import Territory
from tests.support.templates import read_templates_first_from

pytestmark = pytest.mark.django_db

SLUG = "evry-courcouronnes"
MARKER = "ACTION-PARTAGÉE"


def the_three(client):
    """The protocol page, its edition 1's page and the PDF's HTML of one seeded territory."""
    territory = Territory.objects.get(slug=SLUG)
    page = client.get(reverse("territory_detail", args=[SLUG]))
    edition = Edition.objects.filter(protocol__territory=territory).order_by("number").first()
    edition_page = client.get(reverse("edition_detail", args=[SLUG, edition.number]))
    assert page.status_code == edition_page.status_code == 200
    pdf_html = render_to_string(
        DOCUMENT_TEMPLATE, document_context(ProtocolPdf.for_territory(territory))
    )
    return {
        "page": page.content.decode(),
        "edition": edition_page.content.decode(),
        "pdf": pdf_html,
    }


def test_changing_the_action_template_changes_the_page_the_edition_and_the_pdf(
    client, settings, tmp_path
):
    """A maintainer changes how an action is shown in one template and sees it everywhere."""
    (tmp_path / "protocol").mkdir()
    (tmp_path / "protocol" / "_action.html").write_text(
        f'<li class="action" id="{{{{ action.anchor }}}}">{MARKER} {{{{ action.text }}}}</li>'
    )
    read_templates_first_from(settings, tmp_path)
    actions = Action.objects.filter(
        operational_objective__strategic_objective__section__protocol__territory__slug=SLUG
    )
    assert actions.count() > 3
    for name, html in the_three(client).items():
        assert html.count(MARKER) == actions.count(), name
        assert f"{MARKER} {actions.first().text}" in html, name


def test_each_shows_what_its_flags_say(client):
    html = the_three(client)
    # The page: tracking, permanent links and links to each commitment's page.
    assert 'class="badge' in html["page"]
    assert 'class="permalink"' in html["page"]
    assert 'class="detail-link"' in html["page"]
    assert '<span class="level-label">Objectif stratégique</span>' in html["page"]
    # An edition: its frozen text, numbered, without tracking nor links to the live pages.
    assert "Objectif stratégique 1.1</span>" in html["edition"]
    assert "Objectif opérationnel 1.1.1 : </span>" in html["edition"]
    for absent in ('class="badge', 'class="permalink"', 'class="detail-link"', "Pilote :"):
        assert absent not in html["edition"], absent
    # The PDF: headings without level names (they name its bookmarks), no link of the site.
    for absent in ('class="level-label"', 'class="permalink"', 'href="/', "Retour au sommaire"):
        assert absent not in html["pdf"], absent
    assert 'class="badge' not in html["pdf"]  # without ?suivi=1


def test_the_pdf_with_tracking_shows_each_commitment_s_status():
    territory = Territory.objects.get(slug=SLUG)
    html = render_to_string(
        DOCUMENT_TEMPLATE, document_context(ProtocolPdf.for_territory(territory, suivi=True))
    )
    tracked = Action.objects.filter(
        operational_objective__strategic_objective__section__protocol__territory=territory
    ).count()
    assert html.count('<span class="badge badge--') >= tracked
    assert 'class="permalink"' not in html
