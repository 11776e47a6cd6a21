"""The public side of editions: the list, an edition's text, the comparison page, the marks of
the protocol page, the edition's PDF (ETag forever, 304), the feeds; bad parameters; the
permission matrix; constant queries."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.models import Action, Edition
from commitments.services.editions import publish_edition
from commitments.services.elements import save_element
from tests import factories
from tests.support.campaigns import MATRIX_ROLES, matrix_user
from tests.support.html import assert_accessible_structure, html_of
from tests.support.pdf import pdf_text, squeeze

pytestmark = pytest.mark.django_db

ADOPTED = datetime.date(2019, 6, 27)


def publish(protocol, title="Texte adopté", reference="Del 2019 0128", day=ADOPTED):
    return publish_edition(
        protocol, title=title, deliberation_reference=reference, deliberation_date=day, by=None
    )


@pytest.fixture
def edited(tree):
    """`tree` published as edition 1, then the issue's four edits: an action's text, an
    operational objective moved to another strategic objective, an action deleted, one added."""
    protocol = tree["protocol"]
    publish(protocol)
    a1 = tree["a1"]
    tree["old_text"], a1.text = a1.text, "Texte nouveau de l'action, réécrit."
    a1.save()
    oo1a = tree["oo1a"]
    oo1a.strategic_objective = tree["so3"]
    oo1a.save()
    tree["removed_text"], tree["a2_pk"] = tree["a2"].text, tree["a2"].pk
    tree["a2"].delete()
    tree["a4"] = factories.ActionFactory(
        operational_objective=tree["oo1b"], text="Une action ajoutée après l'adoption."
    )
    tree["slug"] = protocol.territory.slug
    return tree


def url(name, slug, **kwargs):
    return reverse(name, kwargs={"slug": slug, **kwargs})


def changes_url(slug, query):
    return f"{url('edition_changes', slug)}?{query}"


def test_edition_list(client, edited):
    response = client.get(url("edition_list", edited["slug"]))
    html = html_of(response)
    assert response.status_code == 200
    assert "Édition 1 : Texte adopté" in html and "Del 2019 0128" in html
    assert "27 juin 2019" in html and "en vigueur" in html
    assert url("edition_pdf", edited["slug"], number=1) in html
    assert "?de=1&amp;a=courant" in html
    assert_accessible_structure(html)


def test_the_edition_page_keeps_the_old_text(client, edited):
    response = client.get(url("edition_detail", edited["slug"], number=1))
    html = html_of(response)
    assert response.status_code == 200
    assert edited["old_text"] in html and edited["removed_text"] in html
    assert "Texte nouveau de l'action" not in html and "ajoutée après" not in html
    assert "en vigueur" in html
    assert_accessible_structure(html)


def test_the_comparison_shows_exactly_the_four_changes(client, edited):
    response = client.get(changes_url(edited["slug"], "de=1&a=courant"))
    html = html_of(response)
    assert response.status_code == 200
    assert "4 changements" in html
    for count in (
        "<strong>1</strong> élément ajouté",
        "<strong>1</strong> élément supprimé",
        "<strong>1</strong> élément déplacé",
        "<strong>1</strong> élément modifié",
    ):
        assert count in html
    assert html.count('class="change change--') == 4
    assert f'id="ajoute-action-{edited["a4"].pk}"' in html
    assert f'id="supprime-action-{edited["a2_pk"]}"' in html
    assert f'id="deplace-operational_objective-{edited["oo1a"].pk}"' in html
    assert f'id="modifie-action-{edited["a1"].pk}"' in html
    # Grouped by thematic, with counts per group.
    assert edited["theme_a"].name in html and edited["theme_b"].name in html
    assert "1 ajout, 1 suppression, 1 modification" in html
    # Not colour only: the HTML says what is inserted and deleted (readable with CSS off).
    assert "[début d'insertion] " in html and " [fin d'insertion]</span></ins>" in html
    assert "[début de suppression] " in html
    # A form to choose two other texts, on the texts compared.
    assert '<option value="1" selected>Édition 1 : Texte adopté</option>' in html
    assert '<option value="courant" selected>Le texte courant</option>' in html
    assert_accessible_structure(html)


def test_publishing_edition_2_removes_the_marks(client, edited):
    slug = edited["slug"]
    page = unescape(html_of(client.get(url("territory_detail", slug))))
    assert "Texte en vigueur" in page and "édition 1 du 27 juin 2019" in page
    assert "non encore publiées" in page
    assert page.count('class="edition-mark"') == 3  # added, moved, changed (not the deleted)
    assert f"?de=1&a=courant#modifie-action-{edited['a1'].pk}" in page
    assert "Modifié depuis l'édition 1 du 27 juin 2019" in page
    assert "Ajouté depuis" in page and "Déplacé depuis" in page

    publish(edited["protocol"], "Avenant n° 1", "Del 2024 0001", datetime.date(2024, 3, 14))

    page = html_of(client.get(url("territory_detail", slug)))
    assert "édition 2 du 14 mars 2024" in page
    assert 'class="edition-mark"' not in page and "non encore publiées" not in page
    assert "Aucune différence" in html_of(client.get(changes_url(slug, "de=2&a=courant")))
    compared = html_of(client.get(changes_url(slug, "de=1&a=2")))
    assert "4 changements" in compared
    # Edition 1 is no longer in force; its text has not changed.
    first = html_of(client.get(url("edition_detail", slug, number=1)))
    assert "n'est plus en vigueur" in first and edited["old_text"] in first


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("de=abc&a=courant", 400, "Le paramètre « de » doit être un numéro d'édition"),
        ("de=1&a=xyz", 400, "un numéro d'édition ou « courant »"),
        ("de=courant&a=1", 400, "Le paramètre « de »"),
        ("de=1&a=1", 400, "Choisissez deux textes différents"),
        ("de=9&a=courant", 404, "pas d'édition n° 9"),
        ("de=1&a=99999999999999999999", 400, "Le paramètre « a »"),
        ("de=-1&a=courant", 400, "Le paramètre « de »"),
    ],
)
def test_bad_parameters_get_a_clear_french_message(client, edited, query, status, message):
    response = client.get(changes_url(edited["slug"], query))
    assert response.status_code == status
    assert message in unescape(html_of(response))


def test_defaults_compare_the_edition_in_force_with_the_current_text(client, edited):
    response = client.get(url("edition_changes", edited["slug"]))
    html = unescape(html_of(response))
    assert response.status_code == 200 and "4 changements" in html
    assert "Cette page montre les modifications non encore publiées" in squeeze_tags(html)
    assert "(édition 1, « Texte adopté »)" in html
    assert '<option value="1" selected>' in html
    assert '<option value="courant" selected>' in html


def squeeze_tags(html):
    """The text of `html` without its tags (what a reader reads)."""
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_defaults_show_the_last_published_change_when_the_text_is_the_edition(client, edited):
    """Right after publishing edition 2, the page without parameters shows 1 → 2 (the change
    the public wants), not « Aucune différence »; the next edit shows the unpublished ones."""
    slug = edited["slug"]
    publish(edited["protocol"], "Avenant n° 1", "Del 2024 0001", datetime.date(2024, 3, 14))
    response = client.get(url("edition_changes", slug))
    html = unescape(html_of(response))
    assert response.status_code == 200
    assert "4 changements" in html and "Aucune différence" not in html
    assert "Cette page montre la dernière modification publiée" in squeeze_tags(html)
    assert "(édition 2, « Avenant n° 1 ») comparée à la précédente" in html
    assert '<option value="1" selected>' in html and '<option value="2" selected>' in html
    assert 'value="courant" selected' not in html
    # The same as the explicit comparison of the two editions.
    explicit = unescape(html_of(client.get(changes_url(slug, "de=1&a=2"))))
    assert re.findall(r'id="(\w+-\w+-\d+)"', html) == re.findall(r'id="(\w+-\w+-\d+)"', explicit)

    # An edit after the publication (the cached page follows): the unpublished change.
    a3 = edited["a3"]
    a3.text = "Réécrite après l'avenant."
    save_element(a3)
    html = unescape(html_of(client.get(url("edition_changes", slug))))
    assert "1 changement" in html and "modifications non encore publiées" in squeeze_tags(html)
    assert "(édition 2, « Avenant n° 1 »)" in html


def test_defaults_with_one_edition_and_no_edit_say_so(client, tree):
    publish(tree["protocol"])
    response = client.get(url("edition_changes", tree["protocol"].territory.slug))
    html = unescape(html_of(response))
    assert response.status_code == 200
    assert "Aucune différence" in html
    assert "aucune modification n'a été publiée ni faite depuis" in html


@pytest.mark.parametrize("query", ["de=&a=", "de=1", "a=courant"])
def test_any_parameter_keeps_the_explicit_comparison(client, edited, query):
    publish(edited["protocol"], "Avenant n° 1", "Del 2024 0001", datetime.date(2024, 3, 14))
    html = unescape(html_of(client.get(changes_url(edited["slug"], query))))
    if query == "de=&a=":  # empty parameters: the defaults
        assert "dernière modification publiée" in squeeze_tags(html)
    else:
        assert "Cette page montre" not in html


def test_unknown_territory_edition_or_a_protocol_without_edition(client, edited):
    slug = edited["slug"]
    assert client.get(url("edition_list", "inconnu")).status_code == 404
    assert client.get(url("edition_detail", slug, number=7)).status_code == 404
    assert client.get(f"/territoires/{slug}/editions/99999999999/").status_code == 404
    assert client.get(url("edition_pdf", slug, number=7)).status_code == 404
    bare = factories.ProtocolFactory()
    response = client.get(url("edition_changes", bare.territory.slug))
    assert response.status_code == 404
    assert "aucune édition" in unescape(html_of(response))
    assert client.get(url("edition_list", bare.territory.slug)).status_code == 200


def test_the_edition_pdf_is_immutable(client, edited):
    pdf_url = url("edition_pdf", edited["slug"], number=1)
    first = client.get(pdf_url)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    text = squeeze(pdf_text(first.content))
    assert squeeze(edited["old_text"]) in text and squeeze(edited["removed_text"]) in text
    assert squeeze("Texte nouveau") not in text
    assert squeeze("Édition 1 du 27 juin 2019") in text
    assert "immutable" in first["Cache-Control"]
    listed = html_of(client.get(url("edition_list", edited["slug"])))
    assert "(PDF, " in listed and " ko, " in listed and " pages)" in listed  # RGAA 13.3
    # Another edit and a publication change nothing for edition 1.
    Action.objects.filter(pk=edited["a1"].pk).update(text="Encore autre chose")
    publish(edited["protocol"], "Avenant n° 1", "Del 2024 0001", datetime.date(2024, 3, 14))
    second = client.get(pdf_url)
    assert second["ETag"] == first["ETag"] and second.content == first.content
    cached = client.get(pdf_url, headers={"if-none-match": first["ETag"]})
    assert cached.status_code == 304


def test_feeds(client, edited):
    slug = edited["slug"]
    publish(edited["protocol"], "Avenant n° 1", "Del 2024 0001", datetime.date(2024, 3, 14))
    edited["a4"].text = "Une action encore modifiée."
    edited["a4"].save()
    territory_feed = client.get(reverse("territory_editions_feed", kwargs={"slug": slug}))
    body = territory_feed.content.decode()
    assert territory_feed.status_code == 200
    assert territory_feed["Content-Type"].startswith("application/atom+xml")
    assert body.count("<entry>") == 3  # pending changes, edition 2, edition 1
    assert "modifications du texte depuis l'édition 2" in body
    assert "1 modification" in body and "1 ajout, 1 suppression" in body
    global_feed = client.get(reverse("editions_feed"))
    body = global_feed.content.decode()
    assert global_feed.status_code == 200 and "Avenant n° 1" in body
    assert f"{edited['protocol'].territory.name} — modifications du texte depuis" in body
    # Constant queries whatever the number of protocols with changes.
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("editions_feed"))
    other = factories.ActionFactory(text="Ailleurs")
    other_protocol = other.operational_objective.strategic_objective.section.protocol
    publish(other_protocol)
    other.text = "Ailleurs, modifié"
    other.save()
    with CaptureQueriesContext(connection) as two:
        body = client.get(reverse("editions_feed")).content.decode()
    assert body.count("modifications du texte depuis") == 2
    assert len(two.captured_queries) <= len(one.captured_queries)
    assert client.get(reverse("territory_editions_feed", kwargs={"slug": "x"})).status_code == 404


@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_every_role_reads_the_public_pages(client, edited, role, fast_password_hasher):
    user = matrix_user(role, edited["protocol"].territory, factories.TerritoryFactory())
    if user is not None:
        client.force_login(user)
    slug = edited["slug"]
    for page in (
        url("edition_list", slug),
        url("edition_detail", slug, number=1),
        changes_url(slug, "de=1&a=courant"),
    ):
        assert client.get(page).status_code == 200, page
    # Read-only: no other method.
    assert client.post(url("edition_list", slug)).status_code == 405


def test_editions_are_never_written_by_the_pages(client, edited):
    before = list(Edition.objects.values_list("pk", "content_hash"))
    client.get(changes_url(edited["slug"], "de=1&a=courant"))
    client.get(url("edition_detail", edited["slug"], number=1))
    assert list(Edition.objects.values_list("pk", "content_hash")) == before


def _count(client, path):
    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context.captured_queries)


def _grow(protocol, thematic, n):
    section = factories.SectionFactory(protocol=protocol, thematic=thematic)
    for _ in range(n):
        so = factories.StrategicObjectiveFactory(section=section)
        oo = factories.OperationalObjectiveFactory(strategic_objective=so)
        action = factories.ActionFactory(operational_objective=oo)
        action.partners.add(factories.PartnerFactory())
        action.axes.add(factories.AxisFactory())


@pytest.mark.parametrize(
    "path",
    [
        "edition_list",
        "edition_detail",
        "changes_current",
        "changes_editions",
        "changes_default",
        "territory_detail",
    ],
)
def test_queries_are_constant_with_the_protocol_size(client, tree, path):
    protocol, slug = tree["protocol"], tree["protocol"].territory.slug
    publish(protocol)
    tree["a1"].text = "Modifiée."
    tree["a1"].save()
    publish(protocol, "Avenant", "Del 2", datetime.date(2020, 1, 1))
    pages = {
        "edition_list": url("edition_list", slug),
        "edition_detail": url("edition_detail", slug, number=2),
        "changes_current": changes_url(slug, "de=1&a=courant"),
        "changes_editions": changes_url(slug, "de=1&a=2"),
        "changes_default": url("edition_changes", slug),  # the last published change (1 → 2)
        "territory_detail": url("territory_detail", slug),
    }
    small = _count(client, pages[path])
    _grow(protocol, tree["theme_a"], 15)
    # Both texts grow: the editions compared must be as large as the current text.
    publish(protocol, "Avenant 2", "Del 3", datetime.date(2020, 2, 1))
    publish_marks = tree["a3"]
    publish_marks.text = "Encore."
    publish_marks.save()
    if path == "edition_detail":
        pages[path] = url("edition_detail", slug, number=3)
    if path == "changes_editions":
        pages[path] = changes_url(slug, "de=1&a=3")
    large = _count(client, pages[path])
    print(f"{path}: {small} → {large} queries")
    assert large <= small
    assert small <= 10  # every public page: at most 10 queries (issue #15), caches empty


def test_a_commitment_page_lists_the_editions_in_which_its_text_changed(client, edited):
    a1, a4 = edited["a1"], edited["a4"]
    page = unescape(html_of(client.get(a1.get_public_url())))
    assert "Historique du texte" in page
    assert "Édition 1 du 27 juin 2019</a> (Texte adopté) : texte adopté" in page
    assert "modifié depuis l'édition 1 du 27 juin 2019, non encore publié" in page

    publish(edited["protocol"], "Avenant n° 1", "Del 2024 0001", datetime.date(2024, 3, 14))

    page = unescape(html_of(client.get(a1.get_public_url())))
    assert "Édition 2 du 14 mars 2024</a> (Avenant n° 1) : modifié" in page
    assert f"?de=1&a=2#modifie-action-{a1.pk}" in page
    assert "non encore publié" not in page
    added = unescape(html_of(client.get(a4.get_public_url())))
    assert "(Avenant n° 1) : ajouté" in added and "texte adopté" not in added
    moved = unescape(html_of(client.get(edited["oo1a"].get_public_url())))
    assert "(Avenant n° 1) : déplacé" in moved
    untouched = unescape(html_of(client.get(edited["a3"].get_public_url())))
    assert "(Avenant n° 1)" not in untouched and "texte adopté" in untouched


def test_search_finds_the_current_text_not_an_editions(client, edited):
    """Editions are copies in JSON: the search reads the live rows only."""
    slug = edited["slug"]
    publish(edited["protocol"], "Avenant n° 1", "Del 2024 0001", datetime.date(2024, 3, 14))
    a1 = edited["a1"]
    a1.text = "Un guichet numérique accueille les habitants."
    a1.save()
    search = reverse("commitment_search")
    found = unescape(html_of(client.get(f"{search}?territoire={slug}&q=guichet")))
    assert "Un guichet numérique accueille les habitants." in found
    # The text of edition 2 (« réécrit ») is no longer the action's: not found.
    gone = unescape(html_of(client.get(f"{search}?territoire={slug}&q=réécrit")))
    assert "Texte nouveau de l'action" not in gone


def test_hostile_texts_are_escaped_everywhere(client, action):
    """`action`: texts and names with <script> and <b> (tests/conftest.py)."""
    protocol = action.operational_objective.strategic_objective.section.protocol
    publish(protocol)
    action.text = "Nouveau <script>alert('y')</script> texte"
    action.save()
    slug = protocol.territory.slug
    for path in (
        url("edition_list", slug),
        url("edition_detail", slug, number=1),
        changes_url(slug, "de=1&a=courant"),
        url("territory_detail", slug),
        action.get_public_url(),
        reverse("territory_editions_feed", kwargs={"slug": slug}),
        reverse("editions_feed"),
    ):
        body = client.get(path).content.decode()
        assert "<script>" not in body and "<Essonne>" not in body, path
    changes = html_of(client.get(changes_url(slug, "de=1&a=courant")))
    assert "&lt;script&gt;" in changes


def test_the_list_says_who_published_without_their_login(client, edited, agglo):
    slug = edited["slug"]
    assert "par le portail (chargement du texte adopté)" in unescape(
        html_of(client.get(url("edition_list", slug)))
    )
    publish_edition(
        edited["protocol"],
        title="Avenant n° 1",
        deliberation_reference="",
        deliberation_date=None,
        by=agglo,
    )
    page = unescape(html_of(client.get(url("edition_list", slug))))
    assert "par l'équipe de l'agglomération" in page and agglo.username not in page
    agglo.first_name, agglo.last_name = "Jeanne", "Martin"
    agglo.save()
    # The list is cached until the next publication or edit.
    edited["a4"].text = "Encore."
    save_element(edited["a4"])
    page = unescape(html_of(client.get(url("edition_list", slug))))
    assert "par Jeanne Martin (agglomération)" in page and "<dd>non précisée" in page
