"""An edition's PDF: rendered from its snapshot with the protocol PDF's templates, read back."""

import datetime

import pytest
from django.core.cache import cache

from commitments.models import RenderedPdf
from commitments.rendering.edition_pdf import EditionPdf
from commitments.services.editions import publish_edition
from commitments.services.elements import delete_element, save_element
from tests.support.pdf import missing_in_order, outline, pdf_text, squeeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition(tree):
    protocol = tree["protocol"]
    protocol.preamble = "Un préambule « adopté »."
    save_element(protocol)
    return publish_edition(
        protocol,
        title="Texte adopté",
        deliberation_reference="Del 2019 0128",
        deliberation_date=datetime.date(2019, 6, 1),
        by=None,
    )


def test_the_pdf_shows_the_edition_in_document_order(tree, edition):
    a1 = tree["a1"]
    old = a1.text
    a1.text = "Changé après l'édition"
    save_element(a1)
    pdf = EditionPdf(tree["protocol"].territory, edition)
    data = pdf.content()
    text = pdf_text(data)
    assert (
        missing_in_order(
            text,
            [
                "Édition 1 du 1er juin 2019 — Texte adopté (délibération « Del 2019 0128 »)",
                "Un préambule « adopté ».",
                tree["section_a"].heading,
                tree["so1"].text,
                tree["oo1a"].text,
                tree["oo1b"].text,
                old,
                tree["a2"].text,
                tree["section_b"].heading,
                tree["oo3"].text,
            ],
        )
        == []
    )
    assert squeeze("Changé après") not in squeeze(text)
    assert any("Préambule" in title for _, title in outline(data))
    assert pdf.filename == f"perer-{tree['protocol'].territory.slug}-edition-1.pdf"


def test_the_etag_depends_only_on_the_edition(tree, edition):
    pdf = EditionPdf(tree["protocol"].territory, edition)
    again = EditionPdf(tree["protocol"].territory, type(edition).objects.get(pk=edition.pk))
    assert pdf.etag == again.etag
    tree["a1"].text = "Autre"
    save_element(tree["a1"])
    assert EditionPdf(tree["protocol"].territory, edition).etag == pdf.etag


def test_rendered_once_then_kept_in_the_store(tree, edition, monkeypatch):
    pdf = EditionPdf(tree["protocol"].territory, edition)
    first = pdf.content()
    row = RenderedPdf.objects.get(key=f"edition:{edition.pk}")
    assert bytes(row.data) == first and row.version == pdf.cache_key and row.pages >= 1
    calls = []
    monkeypatch.setattr(
        "commitments.rendering.edition_pdf.render_edition_pdf", lambda p: calls.append(p)
    )
    cache.clear()  # the store is the database: the cache plays no part
    assert pdf.content() == first and calls == []


def test_a_new_layout_renders_the_same_text_again_with_the_same_etag(tree, edition, monkeypatch):
    pdf = EditionPdf(tree["protocol"].territory, edition)
    pdf.content()
    etag = pdf.etag
    monkeypatch.setattr("commitments.rendering.edition_pdf.layout_version", lambda: "nouvelle")
    again = EditionPdf(tree["protocol"].territory, edition)
    assert again.etag == etag
    again.content()
    assert RenderedPdf.objects.get(key=f"edition:{edition.pk}").version == again.cache_key
    assert "nouvelle" in again.cache_key


def test_the_current_pdf_names_the_edition_in_force_and_lists_unpublished_changes(tree, edition):
    from commitments.rendering.pdf import ProtocolPdf
    from tests import factories

    territory = tree["protocol"].territory
    clean = pdf_text(ProtocolPdf.for_territory(territory).content())
    assert "Texte en vigueur : édition 1 du 1er juin 2019 (Texte adopté)" in " ".join(clean.split())
    assert squeeze("non encore publiées") not in squeeze(clean)

    a1 = tree["a1"]
    old_text = a1.text
    a1.text = "Action réécrite après l'adoption"
    save_element(a1)
    oo1a = tree["oo1a"]
    oo1a.strategic_objective = tree["so3"]
    save_element(oo1a)
    removed = tree["a2"].text
    delete_element(tree["a2"])
    factories.ActionFactory(operational_objective=tree["oo1b"], text="Action ajoutée en 2026")

    text = pdf_text(ProtocolPdf.for_territory(territory).content())
    flat = " ".join(text.split())
    assert "Texte en vigueur : édition 1 du 1er juin 2019" in flat
    assert (
        "modifications non encore publiées en édition "
        "(1 ajout, 1 suppression, 1 déplacement, 1 modification)" in flat
    )
    assert (
        missing_in_order(
            text,
            [
                "Annexe — Modifications non encore publiées en édition",
                "Modifié — Action",
                f"Intitulé — avant : « {old_text} »",
                "Intitulé — après : « Action réécrite après l'adoption »",
            ],
        )
        == []
    )
    annex = squeeze(text[text.index("Annexe — Modifications") :])
    for expected in ("Supprimé—Action", removed, "Déplacé—Objectifopérationnel", "Ajouté—Action"):
        assert squeeze(expected) in annex, expected
    assert squeeze("Actionajoutéeen2026") in annex

    publish_edition(
        tree["protocol"],
        title="Avenant n° 1",
        deliberation_reference="Del 2026 0001",
        deliberation_date=datetime.date(2026, 1, 15),
        by=None,
    )
    published = " ".join(pdf_text(ProtocolPdf.for_territory(territory).content()).split())
    assert "Texte en vigueur : édition 2 du 15 janvier 2026 (Avenant n° 1)" in published
    assert "Annexe — Modifications" not in published and "non encore publiées" not in published
