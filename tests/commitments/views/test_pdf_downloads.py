"""Downloading the PDFs: headers, stored renders, conditional requests, escaping, empty
protocols; after an edit, the previous render served (its own version date) while a job renders
the new one (the jobs themselves: tests/commitments/rendering/test_pdf_jobs.py).

Most tests use a small protocol built with factories: rendering it takes a fraction of a second.
"""

import io
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import http_date
from pypdf import PdfReader

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, Protocol
from commitments.rendering import pdf as pdf_service
from commitments.rendering import pdf_store
from commitments.services.content_changes import record_change
from commitments.services.elements import save_element
from commitments.views import pdf_downloads
from territories.models import Territory
from tests.factories import (
    ActionFactory,
    GlossaryTermFactory,
    OperationalObjectiveFactory,
    ProtocolFactory,
    SectionFactory,
    StrategicObjectiveFactory,
    TerritoryFactory,
)
from tests.support.jobs import run_jobs
from tests.support.pdf import font_problems, missing_in_order, outline, pdf_text, squeeze
from tests.support.progress import report_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_protocol():
    """A two-level protocol with an action that has details."""
    action = ActionFactory(
        text="Ouvrir une permanence emploi",
        details="Ex : au centre social, deux fois par semaine",
        operational_objective__text="Rapprocher l'emploi des habitants",
        operational_objective__strategic_objective__text="Favoriser l'accès à l'emploi",
        operational_objective__strategic_objective__section__heading="Thématique emploi",
        operational_objective__strategic_objective__section__protocol__territory__name="Lisses",
    )
    return Protocol.objects.get(
        sections__strategic_objectives__operational_objectives__actions=action
    )


def pdf_url(territory, **params):
    url = reverse("territory_pdf", kwargs={"slug": territory.slug})
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def rendering_spy():
    return mock.patch.object(pdf_service, "render_pdf_pages", wraps=pdf_service.render_pdf_pages)


def test_pdf_download_headers(client, small_protocol):
    response = client.get(pdf_url(small_protocol.territory))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    slug = small_protocol.territory.slug
    assert response["Content-Disposition"] == f'inline; filename="perer-{slug}.pdf"'
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"] == http_date(int(small_protocol.last_changed_at.timestamp()))
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert (
        missing_in_order(
            text,
            [
                "Lisses",
                "Thématique emploi",
                "Favoriser l'accès à l'emploi",
                "Rapprocher l'emploi des habitants",
                "Ouvrir une permanence emploi",
                "Ex : au centre social, deux fois par semaine",
            ],
        )
        == []
    )


def test_attachment_variant(client, small_protocol):
    response = client.get(pdf_url(small_protocol.territory, telecharger=1))
    slug = small_protocol.territory.slug
    assert response["Content-Disposition"] == f'attachment; filename="perer-{slug}.pdf"'


def test_unknown_territory_is_404(client):
    response = client.get(reverse("territory_pdf", kwargs={"slug": "atlantide"}))
    assert response.status_code == 404


def test_post_is_not_allowed(client, small_protocol):
    assert client.post(pdf_url(small_protocol.territory)).status_code == 405


def test_second_download_is_served_from_the_cache(client, small_protocol):
    url = pdf_url(small_protocol.territory)
    with rendering_spy() as render:
        first = client.get(url)
        second = client.get(url)
    assert render.call_count == 1
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


def test_concurrent_first_request_waits_for_the_render_in_progress(small_protocol):
    """Another app server is making the first render of this PDF: wait for it, do not render
    too."""
    pdf = pdf_service.ProtocolPdf.for_territory(small_protocol.territory)
    cache.add(f"{pdf.store_key}:premier-rendu", 1)

    def other_server_finishes(seconds):
        pdf_store.store(pdf, b"%PDF-rendu-ailleurs", 1)

    with (
        rendering_spy() as render,
        mock.patch.object(pdf_store.time, "sleep", other_server_finishes),
    ):
        assert bytes(pdf_store.first_render(pdf).data) == b"%PDF-rendu-ailleurs"
    render.assert_not_called()


def test_suivi_is_cached_apart(client, small_protocol):
    url = pdf_url(small_protocol.territory)
    with rendering_spy() as render:
        plain = client.get(url)
        suivi = client.get(pdf_url(small_protocol.territory, suivi=1))
        client.get(pdf_url(small_protocol.territory, suivi=1))
    assert render.call_count == 2
    assert plain["ETag"] != suivi["ETag"]


def test_stored_download_costs_three_queries(client, small_protocol, django_assert_num_queries):
    url = pdf_url(small_protocol.territory)
    client.get(url)
    # The territory, the protocol's change date, the stored render (versions and bytes).
    with django_assert_num_queries(3):
        client.get(url)


@pytest.mark.parametrize("header", ["HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE"])
def test_conditional_request_gets_304_without_rendering(client, small_protocol, header):
    url = pdf_url(small_protocol.territory)
    first = client.get(url)
    validator = first["ETag"] if header == "HTTP_IF_NONE_MATCH" else first["Last-Modified"]
    cache.clear()
    with rendering_spy() as render, mock.patch.object(pdf_store, "data_of") as data_of:
        response = client.get(url, **{header: validator})
    data_of.assert_not_called()  # a 304 never reads the bytes
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == first["ETag"]
    render.assert_not_called()


def test_an_edit_changes_the_download_once_rendered(client, small_protocol):
    url = pdf_url(small_protocol.territory)
    first = client.get(url)
    action = Action.objects.get(text="Ouvrir une permanence emploi")
    action.text = "Ouvrir deux permanences emploi"
    save_element(action)

    # Until the job has rendered it, the client keeps the version it holds…
    with rendering_spy() as render:
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    render.assert_not_called()
    # … then the old validator no longer matches: the client gets the new version.
    assert run_jobs() == 1
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    text = pdf_text(second.content)
    assert "Ouvrir deux permanences emploi" in text
    assert "Ouvrir une permanence emploi" not in text


def test_an_edit_of_the_protocol_itself_changes_the_next_download(client, small_protocol):
    url = pdf_url(small_protocol.territory)
    first = client.get(url)
    small_protocol.preamble = "Un préambule ajouté dans l'administration."
    save_element(small_protocol)
    assert client.get(url)["ETag"] == first["ETag"]  # the previous render, its job queued
    run_jobs()
    second = client.get(url)
    assert second["ETag"] != first["ETag"]
    assert "Un préambule ajouté dans l'administration." in pdf_text(second.content)


def test_an_edit_of_a_seeded_protocol_changes_the_next_download(client):
    territory = Territory.objects.get(slug="corbeil-essonnes")
    url = pdf_url(territory)
    before = client.get(url)
    objective = OperationalObjective.objects.for_territory(territory).in_document_order().last()
    old_text = objective.text
    objective.text = "Texte corrigé dans l'administration"
    save_element(objective)
    assert client.get(url).content == before.content  # until the job has run
    run_jobs()
    after = client.get(url)
    assert after.content != before.content
    assert "Texte corrigé dans l'administration" in pdf_text(after.content)
    # The old text survives only in the annex of changes not yet published in an edition.
    body = pdf_text(after.content).split("Annexe — Modifications non encore publiées")[0]
    assert squeeze(old_text) not in squeeze(body)


def test_html_typed_in_the_admin_is_printed_literally(client):
    payload = "<b>gras</b> & <script>alert('x')</script> <img src=x>"
    action = ActionFactory(
        text=f"Action {payload}",
        details=f"Détail <i>italique</i> &amp; {payload}",
        operational_objective__strategic_objective__section__protocol__preamble=f"<h1>{payload}",
    )
    territory = action.territory
    text = pdf_text(client.get(pdf_url(territory)).content)
    assert f"Action {payload}" in " ".join(text.split())
    assert "Détail <i>italique</i> &amp; <b>gras</b>" in " ".join(text.split())
    assert f"<h1>{payload}" in " ".join(text.split())


@pytest.mark.parametrize("with_protocol", [True, False], ids=["protocole-vide", "sans-protocole"])
def test_empty_protocol_gives_a_valid_pdf(client, with_protocol):
    territory = TerritoryFactory(name="Tigery")
    if with_protocol:
        ProtocolFactory(territory=territory, title="Protocole vide de Tigery")
    response = client.get(pdf_url(territory))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 1
    assert reader.metadata.title
    text = pdf_text(response.content)
    assert "Tigery" in text
    if with_protocol:
        assert "Ce protocole ne comporte encore aucun engagement." in text
    else:
        assert "Aucun protocole n'est encore publié pour ce territoire." in text
    assert font_problems(response.content) == []
    # Conditional requests work without a protocol (no Last-Modified: the ETag alone).
    again = client.get(pdf_url(territory), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_suivi_shows_status_progress_and_summary(client, small_protocol):
    action = Action.objects.get(text="Ouvrir une permanence emploi")
    action.start_year, action.end_year = 2020, 2022
    save_element(action)
    report_today(action, Status.IN_PROGRESS, 40)
    plain = pdf_text(client.get(pdf_url(small_protocol.territory)).content)
    data = client.get(pdf_url(small_protocol.territory, suivi=1)).content
    suivi = pdf_text(data)
    assert "Suivi des engagements" not in plain
    assert "avancement" not in plain
    assert "Suivi des engagements" in suivi
    # Each commitment's status and progress (the page's badge), its years with its pilot.
    assert "Statut : En cours · 40 %" in suivi
    assert "Calendrier : 2020–2022" in suivi
    assert "Statut :" not in plain
    assert "Calendrier" not in plain
    assert "Édition avec le suivi des engagements" in suivi
    # The summary counts the tracked commitment (the action; its objective has one), done
    # first as on the site, next to the site's SVG chart drawn with the shipped font.
    summary = " ".join(suivi.split("\f")[2].split())
    assert "Réalisé En cours Prévu Abandonné Non renseigné" in summary
    assert "Ensemble du protocole 0 1 0 0 0 40 %" in summary
    assert "En cours 1 (100 %)" in summary
    figures = [title for level, title in outline(data)]
    assert "Suivi des engagements" in figures
    assert font_problems(data) == []


def test_subheadings_are_printed_once_and_nest_the_bookmarks(client):
    section = SectionFactory(heading="Thématique emploi et insertion")
    for text in ("Premier objectif", "Deuxième objectif"):
        StrategicObjectiveFactory(section=section, text=text, subheading="Emploi :")
    StrategicObjectiveFactory(section=section, text="Troisième objectif", subheading="Insertion :")
    last = StrategicObjectiveFactory(section=section, text="Quatrième objectif, sans sous-titre")
    OperationalObjectiveFactory(strategic_objective=last, text="Objectif final")
    data = client.get(pdf_url(section.protocol.territory)).content
    body = pdf_text(data).split("\f", 2)[2]
    assert body.count("Emploi :") == 1
    marks = outline(data)
    assert marks[marks.index((2, "Thématique emploi et insertion")) + 1 :] == [
        (3, "Emploi :"),
        (4, "Premier objectif"),
        (4, "Deuxième objectif"),
        (3, "Insertion :"),
        (4, "Troisième objectif"),
        (3, "Quatrième objectif, sans sous-titre"),
    ]


def test_glossary_lists_only_the_terms_used(client, small_protocol):
    GlossaryTermFactory(term="PMEQ", expansion="Permanence mobile emploi des quartiers")
    GlossaryTermFactory(term="ZZTOP", expansion="Terme que le protocole n'emploie pas")
    action = Action.objects.get(text="Ouvrir une permanence emploi")
    action.text = "Ouvrir une PMEQ dans chaque quartier"
    save_element(action)
    text = pdf_text(client.get(pdf_url(small_protocol.territory)).content)
    glossary = text[text.rindex("Glossaire des sigles") :]
    assert "PMEQ" in glossary
    assert "Permanence mobile emploi des quartiers" in " ".join(glossary.split())
    assert "ZZTOP" not in text


def test_all_protocols_agglomeration_first(client, django_assert_max_num_queries):
    url = reverse("all_protocols_pdf")
    assert url == "/territoires/protocoles.pdf"
    # The first render's, and its storing (versions read, savepoint, insert, read back).
    with django_assert_max_num_queries(26):
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="perer-protocoles.pdf"'
    names = list(
        Territory.objects.in_display_order()
        .filter(protocols__isnull=False)
        .distinct()
        .values_list("name", flat=True)
    )
    assert names[0] == "Grand Paris Sud"
    reader = PdfReader(io.BytesIO(response.content))
    level_one = [title for level, title in outline(response.content) if level == 1]
    assert level_one[1 : len(names) + 1] == names
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    text = pdf_text(response.content)
    assert missing_in_order(text, [f"\n{name}\n" for name in names]) == []
    # Stored the first time; a conditional request gets 304 (territories, protocols' versions,
    # the stored render's version).
    with rendering_spy() as render, django_assert_max_num_queries(3):
        again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    render.assert_not_called()


def test_render_query_count_does_not_grow_with_the_tree(client, django_assert_max_num_queries):
    """Rendering loads the tree in a constant number of queries, whatever its size."""
    small = ActionFactory()
    big_section = SectionFactory()
    for _ in range(4):
        oo = OperationalObjectiveFactory(strategic_objective__section=big_section)
        ActionFactory.create_batch(3, operational_objective=oo)
    counts = []
    for territory in (small.territory, big_section.protocol.territory):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(pdf_url(territory)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # The render's, and six for the first storing (the stored render looked up by the view and
    # by the store, savepoint, insert, release, read back).
    with django_assert_max_num_queries(21):
        client.get(pdf_url(small.territory, suivi=1))


# --- The links to the PDFs: format and size in their text (RGAA 13.3), never a render -----


def pdf_link_texts(client, url):
    """{href: text} of the PDF links of a page (text with the tags removed)."""
    html = client.get(url).content.decode()
    links = re.findall(r'<a class="button[^"]*" href="([^"]*\.pdf[^"]*)">(.*?)</a>', html)
    return {href: re.sub(r"<[^>]+>", "", text) for href, text in links}


def test_the_protocol_page_links_both_pdfs_without_rendering(client, small_protocol):
    territory = small_protocol.territory
    with rendering_spy() as render:
        links = pdf_link_texts(client, territory.get_absolute_url())
    render.assert_not_called()
    # Never rendered yet: the format only.
    assert links == {
        pdf_url(territory): "Télécharger le protocole (PDF)",
        pdf_url(territory, suivi=1): (
            "Télécharger le protocole avec le suivi des engagements (PDF)"
        ),
    }


def test_once_rendered_the_links_say_size_and_pages(client, small_protocol):
    territory = small_protocol.territory
    client.get(territory.get_absolute_url())  # cached as it was: the render must update it
    data = client.get(pdf_url(territory)).content
    pages = len(PdfReader(io.BytesIO(data)).pages)
    with rendering_spy() as render:
        links = pdf_link_texts(client, territory.get_absolute_url())
    render.assert_not_called()
    size = pdf_downloads.file_size(len(data))
    label = f"Télécharger le protocole (PDF, {size}, {pages} page{'s' if pages > 1 else ''})"
    assert links[pdf_url(territory)] == label
    # The version with tracking was never rendered.
    assert links[pdf_url(territory, suivi=1)].endswith("(PDF)")


def test_after_an_edit_the_link_gives_the_size_and_date_of_the_previous_version(
    client, small_protocol
):
    territory = small_protocol.territory
    data = client.get(pdf_url(territory)).content
    version_date = pdf_service.french_date(small_protocol.last_changed_at)
    record_change(small_protocol)
    with rendering_spy() as render:
        links = pdf_link_texts(client, territory.get_absolute_url())
    render.assert_not_called()
    size = pdf_downloads.file_size(len(data))
    assert links[pdf_url(territory)] == (
        f"Télécharger le protocole (PDF, environ {size}, version du {version_date})"
    )


def test_the_territory_list_links_the_combined_pdfs(client):
    url = reverse("all_protocols_pdf")
    with rendering_spy() as render:
        links = pdf_link_texts(client, reverse("territory_list"))
    render.assert_not_called()
    label = "Télécharger les protocoles de tous les territoires"
    assert links == {
        url: f"{label} (PDF)",
        f"{url}?suivi=1": f"{label} avec le suivi des engagements (PDF)",
    }
    # Facts of a render of the current version (as the combined PDF's render keeps them).
    pdf = pdf_service.ProtocolPdf.for_all()
    cache.set(pdf.facts_key, (pdf.cache_key, 1_234_567, 180))
    links = pdf_link_texts(client, reverse("territory_list"))
    assert links[url] == f"{label} (PDF, 1,2 Mo, 180 pages)"


def test_facts_written_by_an_older_deployment_are_ignored(small_protocol):
    pdf = pdf_service.ProtocolPdf.for_territory(small_protocol.territory)
    cache.set(pdf.facts_key, {"size": 3})
    assert pdf_downloads.file_details(pdf) == "PDF"


def test_loaded_pdfs_are_the_downloaded_ones(small_protocol):
    """The links compare versions built from loaded protocols with the downloads' own."""
    territory = small_protocol.territory
    for suivi in (False, True):
        loaded = pdf_service.ProtocolPdf.for_loaded(territory, small_protocol, suivi=suivi)
        assert (
            loaded.cache_key
            == pdf_service.ProtocolPdf.for_territory(territory, suivi=suivi).cache_key
        )
    territories = list(Territory.objects.in_display_order())
    protocols = {p.territory_id: p for p in Protocol.objects.in_force()}
    combined = pdf_service.ProtocolPdf.for_all_loaded(territories, protocols)
    assert combined.cache_key == pdf_service.ProtocolPdf.for_all().cache_key


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (850, "850 octets"),
        (72_493, "72 ko"),
        (999_499, "999 ko"),
        (1_000_000, "1 Mo"),
        (1_234_567, "1,2 Mo"),
        (12_960_000, "13 Mo"),
    ],
)
def test_file_size_in_french(size, text):
    assert pdf_downloads.file_size(size) == text
