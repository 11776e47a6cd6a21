"""The portal's other pages: home, the list of territories, the glossary, the accessibility
statement."""

import re

import pytest
from django.urls import reverse

from commitments.enums import Status
from commitments.models import (
    Action,
    GlossaryTerm,
    OperationalObjective,
    StrategicObjective,
    Thematic,
)
from commitments.rendering.glossary_markup import Glossary
from territories.models import Territory
from tests.support.html import assert_accessible_structure, html_of
from tests.support.progress import report_today

pytestmark = pytest.mark.django_db


class TestHome:
    def test_cards_in_display_order_with_counts_and_progress(self, client):
        grigny = Territory.objects.get(slug="grigny")
        actions = Action.objects.for_territory(grigny)
        first = actions.in_document_order().first()
        report_today(first, Status.DONE, 100)

        response = client.get(reverse("home"))

        assert response.status_code == 200
        cards = response.context["cards"]
        assert [card.territory for card in cards] == list(Territory.objects.in_display_order())
        assert cards[0].territory.kind == "agglomeration"
        card = next(card for card in cards if card.territory == grigny)
        assert card.rollup.strategic == StrategicObjective.objects.for_territory(grigny).count()
        assert card.rollup.operational == (
            OperationalObjective.objects.for_territory(grigny).count()
        )
        assert card.rollup.actions == actions.count()
        leaf_objectives = OperationalObjective.objects.for_territory(grigny).filter(
            actions__isnull=True
        )
        leaves = list(actions) + list(leaf_objectives)
        assert card.rollup.total == len(leaves)
        assert round(card.rollup.avg_progress) == round(
            sum(leaf.progress for leaf in leaves) / len(leaves)
        )
        assert card.rollup.done == sum(leaf.status == Status.DONE for leaf in leaves)
        html = html_of(response)
        for territory in Territory.objects.all():
            assert territory.get_absolute_url() in html
        for thematic in Thematic.objects.all():
            assert thematic.get_absolute_url() in html
        assert 'action="/engagements/"' in html
        assert_accessible_structure(html)

    def test_footer_links(self, client):
        html = html_of(client.get(reverse("home")))
        assert "Déclaration d'accessibilité" in html
        assert 'href="/accessibilite/"' in html
        assert 'href="/glossaire/"' in html
        assert 'href="/api/docs/"' in html


def test_territory_list(client):
    response = client.get(reverse("territory_list"))
    assert response.status_code == 200
    html = html_of(response)
    for territory in Territory.objects.all():
        assert territory.get_absolute_url() in html
    assert_accessible_structure(html)


def test_glossary_lists_every_term(client):
    response = client.get(reverse("glossary"))
    assert response.status_code == 200
    html = html_of(response)
    for term in GlossaryTerm.objects.all():
        assert f'id="{term.slug}"' in html
        assert Glossary([]).abbreviate(term.term) in html
    assert_accessible_structure(html)


def test_accessibility_statement(client):
    response = client.get(reverse("accessibility"))
    assert response.status_code == 200
    html = html_of(response)
    assert "non conforme" in html
    assert "Défenseur des droits" in html
    assert_accessible_structure(html)


class TestThematicList:
    def test_lists_every_thematic_with_its_comparison(self, client):
        response = client.get(reverse("thematic_list"))
        assert response.status_code == 200
        html = html_of(response)
        for thematic in Thematic.objects.all():
            assert thematic.get_absolute_url() in html
            assert thematic.name in html
        assert_accessible_structure(html)

    def test_counts_the_commitments_of_each_thematic_per_territory(self, client):
        """A table: a row per territory, a column per thematic, the tracked commitments (the
        leaves) of each pair, each linking to that territory's column of the comparison."""
        grigny, emploi = Territory.objects.get(slug="grigny"), Thematic.objects.get(slug="emploi")
        actions = Action.objects.for_territory(grigny).for_thematic(emploi)
        objectives = (
            OperationalObjective.objects.for_territory(grigny).for_thematic(emploi).leaves()
        )
        expected = actions.count() + objectives.count()
        assert expected > 0

        html = html_of(client.get(reverse("thematic_list")))

        assert "<table" in html and "<caption" in html
        assert html.count('<th scope="row">') == Territory.objects.count() + 1  # and the total
        assert html.count('<th scope="col">') == Thematic.objects.count() + 2
        link = f'href="{emploi.get_absolute_url()}?territoire=grigny"'
        cell = html.split(link, 1)[1].split("</a>", 1)[0]
        assert cell.startswith(f">{expected}<"), cell
        assert (
            f"{expected} engagements suivis de Grigny, thématique {emploi.short_name}"
            in " ".join(re.sub(r"<[^>]+>", "", cell).split())
        )
        total = sum(model.objects.leaves().count() for model in (Action, OperationalObjective))
        assert f"<td>{total}</td>" in html

    def test_is_the_thematic_pages_breadcrumb_and_menu_entry(self, client):
        thematic = Thematic.objects.first()
        html = html_of(client.get(thematic.get_absolute_url()))
        assert f'href="{reverse("thematic_list")}"' in html
