import datetime

import pytest
from django.urls import reverse

from commitments.enums import Status
from commitments.models import Action, OperationalObjective
from territories.models import Territory
from tests.factories import (
    ActionFactory,
    AxisFactory,
    OperationalObjectiveFactory,
    PartnerFactory,
    ProgressUpdateFactory,
    ProtocolFactory,
    SectionFactory,
    StrategicObjectiveFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
DETAIL_QUERIES = 6  # commitment with its tree, partners, axes, updates, (actions), glossary
# Including the page cache's content-version query (commitments/page_cache.py).
DASHBOARD_QUERIES = 18
TERRITORY_DASHBOARD_QUERIES = 20


def report(target, days_ago, status=Status.IN_PROGRESS, progress=50, **kwargs):
    if isinstance(target, Action):
        kwargs.update(action=target, operational_objective=None)
    else:
        kwargs.update(action=None, operational_objective=target)
    return ProgressUpdateFactory(
        date=TODAY - datetime.timedelta(days=days_ago), status=status, progress=progress, **kwargs
    )


def grow(protocol, branches=5):
    """Add branches of every shape to a protocol: objectives without actions, with actions,
    strategic objectives without anything, leads, partners, axes and updates."""
    partners = PartnerFactory.create_batch(3)
    axes = AxisFactory.create_batch(2)
    for _ in range(branches):
        section = SectionFactory(protocol=protocol)
        StrategicObjectiveFactory(section=section)
        strategic = StrategicObjectiveFactory(section=section)
        leaf = OperationalObjectiveFactory(strategic_objective=strategic, lead=partners[0])
        leaf.partners.set(partners)
        report(leaf, 10, Status.DONE, 100)
        parent = OperationalObjectiveFactory(strategic_objective=strategic)
        for i in range(4):
            action = ActionFactory(
                operational_objective=parent, lead=partners[i % 2] if i else None
            )
            action.partners.set(partners)
            action.axes.set(axes)
            report(action, 400 + i)
            report(action, 30 * i, Status.PLANNED, 10)


@pytest.fixture
def action():
    protocol = ProtocolFactory(territory__name="Ville <test>")
    action = ActionFactory(
        operational_objective__strategic_objective__section__protocol=protocol,
        text="Créer un « lieu » <script>alert('x')</script>",
        details="Ex : un café des parents.\n\nDeuxième paragraphe.",
        lead=PartnerFactory(name="Mission locale <test>"),
        start_year=2020,
        end_year=2022,
    )
    action.partners.set([PartnerFactory(name="CAF <Essonne>"), PartnerFactory(name="État test")])
    action.axes.set([AxisFactory(name="Jeunesse")])
    report(action, 100, Status.PLANNED, 0, comment="Premier comité")
    report(
        action,
        5,
        Status.IN_PROGRESS,
        40,
        comment="<b>Lancé</b> & financé",
        link="https://example.org/compte-rendu?a=1&b=2",
    )
    report(
        action, 50, Status.PLANNED, 20, comment="Étape intermédiaire", link="javascript:alert(1)"
    )
    return action


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
            report(action, days, comment=f"Point {days}")
            ActionFactory(operational_objective=objective, lead=more_partners[0])
        for url in (action.get_public_url(), objective.get_public_url()):
            with django_assert_max_num_queries(DETAIL_QUERIES):
                assert client.get(url).status_code == 200


class TestDashboards:
    def test_agglomeration_dashboard(self, client, action):
        response = client.get(reverse("dashboard"))
        assert response.status_code == 200
        html = response.content.decode()
        for territory in Territory.objects.all():
            assert reverse("territory_dashboard", kwargs={"slug": territory.slug}) in html
        assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
        assert reverse("updates_feed") in html
        # The reported action appears among the latest updates, escaped.
        assert action.get_public_url() in html
        assert "<script>alert" not in html

    def test_territory_dashboard(self, client, action):
        territory = action.territory
        so = action.operational_objective.strategic_objective
        empty_branch = StrategicObjectiveFactory(section=so.section, text="Objectif sans suite")
        without_lead = OperationalObjectiveFactory(strategic_objective=so, text="Sans pilote ici")
        url = reverse("territory_dashboard", kwargs={"slug": territory.slug})
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Ville &lt;test&gt;" in html
        assert f'href="{empty_branch.get_absolute_url()}"' in html
        assert "Aucun engagement suivi" in html
        # Lists with links: the new objective has no lead and was never reported.
        assert html.count(f'href="{without_lead.get_public_url()}"') == 2
        # Reported 5 days ago, with a lead: in the latest updates, in neither list.
        assert f'href="{action.get_public_url()}"' not in html
        assert f'href="{action.get_public_url()}#point-' in html
        assert reverse("territory_updates_feed", kwargs={"slug": territory.slug}) in html
        dashboard = response.context["dashboard"]
        assert dashboard.overall.total == 2
        assert dashboard.overall.in_progress == 1
        assert dashboard.overall.not_reported == 1
        assert dashboard.overall.without_lead == 1
        assert dashboard.overall.stale == 1

    def test_every_seeded_territory_has_a_dashboard(self, client):
        for slug in Territory.objects.values_list("slug", flat=True):
            url = reverse("territory_dashboard", kwargs={"slug": slug})
            assert client.get(url).status_code == 200

    def test_unknown_territory(self, client):
        assert client.get("/tableau-de-bord/nulle-part/").status_code == 404

    def test_constant_queries(self, client, django_assert_max_num_queries):
        protocol = ProtocolFactory()
        url = reverse("territory_dashboard", kwargs={"slug": protocol.territory.slug})
        with django_assert_max_num_queries(DASHBOARD_QUERIES):
            assert client.get(reverse("dashboard")).status_code == 200
        with django_assert_max_num_queries(TERRITORY_DASHBOARD_QUERIES):
            assert client.get(url).status_code == 200
        grow(protocol)
        grow(ProtocolFactory())
        with django_assert_max_num_queries(DASHBOARD_QUERIES):
            response = client.get(reverse("dashboard"))
        assert response.status_code == 200
        with django_assert_max_num_queries(TERRITORY_DASHBOARD_QUERIES):
            response = client.get(url)
        assert response.context["dashboard"].overall.total == 25
