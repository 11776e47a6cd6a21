"""The page of an action or an operational objective: its place in the protocol, its tracking
and the timeline of its progress updates (the `action` fixture: tests/conftest.py)."""

import pytest

from commitments.models import Action, OperationalObjective
from tests.factories import ActionFactory, OperationalObjectiveFactory, PartnerFactory
from tests.support.progress import report_days_ago

pytestmark = pytest.mark.django_db

# The commitment with its tree, partners, axes, updates, (actions), glossary, editions, its
# indicators and their values.
DETAIL_QUERIES = 9


class TestCommitmentDetail:
    def test_action_page(self, client, action):
        response = client.get(action.get_public_url())
        assert response.status_code == 200
        html = response.content.decode()
        objective = action.operational_objective
        territory = objective.strategic_objective.section.protocol.territory
        # Place in the hierarchy: breadcrumbs, and a link to the anchor in the protocol page.
        for url in (
            territory.get_absolute_url(),
            objective.strategic_objective.section.get_absolute_url(),
            objective.strategic_objective.get_absolute_url(),
            objective.get_public_url(),
            action.get_absolute_url(),
        ):
            assert f'href="{url}"' in html
        assert "#action-" in action.get_absolute_url()
        for text in (
            "Mission locale &lt;test&gt;",
            "CAF &lt;Essonne&gt;",
            "État test",
            "Jeunesse",
            "2020–2022",
        ):
            assert text in html
        assert "Ville &lt;test&gt;" in html
        assert "Deuxième paragraphe" in html
        # Status and progress are those of the latest update (5 days ago), timeline latest first.
        assert "En cours" in html and "40 %" in html
        positions = [
            html.index(comment)
            for comment in (
                "&lt;b&gt;Lancé&lt;/b&gt; &amp; financé",
                "Étape intermédiaire",
                "Premier comité",
            )
        ]
        assert positions == sorted(positions)

    def test_everything_typed_is_escaped(self, client, action):
        html = client.get(action.get_public_url()).content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
        assert "<b>Lancé</b>" not in html
        assert 'href="https://example.org/compte-rendu?a=1&amp;b=2"' in html
        assert "javascript:" not in html

    def test_objective_page_lists_its_actions(self, client, action):
        objective = action.operational_objective
        sibling = ActionFactory(operational_objective=objective, text="Action sœur")
        response = client.get(objective.get_public_url())
        assert response.status_code == 200
        html = response.content.decode()
        assert f'href="{action.get_public_url()}"' in html
        assert f'href="{sibling.get_public_url()}"' in html
        assert "Aucun point d'avancement n'a encore été enregistré" in html
        assert "Avancement moyen des actions" in html

    def test_a_commitment_never_reported(self, client):
        objective = OperationalObjectiveFactory()
        html = client.get(objective.get_public_url()).content.decode()
        assert "Non renseigné" in html and "Jamais renseigné" in html
        assert "Aucun pilote désigné" in html

    @pytest.mark.parametrize(
        "path",
        [
            "/engagements/action/{missing}/",
            "/engagements/objectif/{missing}/",
            "/engagements/strategique/{pk}/",
            "/engagements/action/99999999999999999999999/",
            "/engagements/action/-1/",
            "/engagements/action/abc/",
        ],
    )
    def test_404(self, client, path):
        missing = (Action.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + (
            OperationalObjective.objects.count() + 1000
        )
        pk = Action.objects.values_list("pk", flat=True).first()
        url = path.format(missing=missing, pk=pk)
        assert client.get(url).status_code == 404

    def test_constant_queries(self, client, action, django_assert_max_num_queries):
        objective = action.operational_objective
        for url in (action.get_public_url(), objective.get_public_url()):
            with django_assert_max_num_queries(DETAIL_QUERIES):
                assert client.get(url).status_code == 200
        more_partners = PartnerFactory.create_batch(8)
        action.partners.add(*more_partners)
        for days in range(20):
            report_days_ago(action, days, comment=f"Point {days}")
            ActionFactory(operational_objective=objective, pilot=more_partners[0])
        for url in (action.get_public_url(), objective.get_public_url()):
            with django_assert_max_num_queries(DETAIL_QUERIES):
                assert client.get(url).status_code == 200
