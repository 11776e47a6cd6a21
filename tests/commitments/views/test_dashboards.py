"""The dashboards, of the agglomeration and of each territory (the `action` fixture:
tests/conftest.py)."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from commitments.enums import Status
from commitments.models import EARLIEST_DATE, Action, OperationalObjective
from territories.models import Territory
from tests import factories
from tests.support.progress import insert_unvalidated_updates, report_days_ago

pytestmark = pytest.mark.django_db

# Including the page cache's content-version query (commitments/views/page_cache.py), and two
# for the last closed campaign (tests/commitments/views/test_campaign_pages.py).
DASHBOARD_QUERIES = 20
TERRITORY_DASHBOARD_QUERIES = 22


def grow(protocol, branches=5):
    """Add branches of every shape to a protocol: objectives without actions, with actions,
    strategic objectives without anything, leads, partners, axes and updates."""
    partners = factories.PartnerFactory.create_batch(3)
    axes = factories.AxisFactory.create_batch(2)
    for _ in range(branches):
        section = factories.SectionFactory(protocol=protocol)
        factories.StrategicObjectiveFactory(section=section)
        strategic = factories.StrategicObjectiveFactory(section=section)
        leaf = factories.OperationalObjectiveFactory(
            strategic_objective=strategic, lead=partners[0]
        )
        leaf.partners.set(partners)
        report_days_ago(leaf, 10, Status.DONE, 100)
        parent = factories.OperationalObjectiveFactory(strategic_objective=strategic)
        for i in range(4):
            action = factories.ActionFactory(
                operational_objective=parent, lead=partners[i % 2] if i else None
            )
            action.partners.set(partners)
            action.axes.set(axes)
            report_days_ago(action, 400 + i)
            report_days_ago(action, 30 * i, Status.PLANNED, 10)


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
        empty_branch = factories.StrategicObjectiveFactory(
            section=so.section, text="Objectif sans suite"
        )
        without_lead = factories.OperationalObjectiveFactory(
            strategic_objective=so, text="Sans pilote ici"
        )
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

    def test_long_lists_are_folded_with_their_counts(self, client):
        """The seeded agglomeration lists 100 objectives and 59 actions without lead, and as
        many without news: each level folded in a <details> whose summary says how many."""
        response = client.get(reverse("dashboard"))
        html = response.content.decode()
        dashboard = response.context["dashboard"]
        actions, objectives = dashboard.without_lead
        assert len(objectives) == dashboard.list_limit  # cut: the count comes from the roll-up
        missing = dashboard.overall.without_lead - len(actions)
        assert (
            "<summary>Objectifs opérationnels sans pilote : "
            f"<strong>{missing}</strong> (les 100 premiers listés)</summary>"
        ) in html
        assert f"<summary>Actions sans pilote : <strong>{len(actions)}</strong></summary>" in html
        assert "<summary>Actions sans point depuis 12 mois : <strong>" in html
        # Every listed link is inside a closed <details>, four of them.
        assert html.count('<details class="commitment-details">') == 4
        folded = html.split('<section aria-labelledby="sans-pilote">')[1]
        folded = folded.split('<section aria-labelledby="derniers-points">')[0]
        outside = re.sub(r"<details.*?</details>", "", folded, flags=re.S)
        assert "<a " not in outside

    def test_every_seeded_territory_has_a_dashboard(self, client):
        for slug in Territory.objects.values_list("slug", flat=True):
            url = reverse("territory_dashboard", kwargs={"slug": slug})
            assert client.get(url).status_code == 200

    def test_unknown_territory(self, client):
        assert client.get("/tableau-de-bord/nulle-part/").status_code == 404

    def test_constant_queries(self, client, django_assert_max_num_queries):
        protocol = factories.ProtocolFactory()
        url = reverse("territory_dashboard", kwargs={"slug": protocol.territory.slug})
        with django_assert_max_num_queries(DASHBOARD_QUERIES):
            assert client.get(reverse("dashboard")).status_code == 200
        with django_assert_max_num_queries(TERRITORY_DASHBOARD_QUERIES):
            assert client.get(url).status_code == 200
        grow(protocol)
        grow(factories.ProtocolFactory())
        with django_assert_max_num_queries(DASHBOARD_QUERIES):
            response = client.get(reverse("dashboard"))
        assert response.status_code == 200
        with django_assert_max_num_queries(TERRITORY_DASHBOARD_QUERIES):
            response = client.get(url)
        assert response.context["dashboard"].overall.total == 25


class TestDatesAlreadyInTheDatabase:
    """Updates dated 31/12/9999 or 01/01/0001 (recorded before dates were validated) never
    break a dashboard: they are left out of the progress over time and of the latest updates."""

    @pytest.fixture
    def out_of_range(self):
        grigny = Territory.objects.get(slug="grigny")
        action = Action.objects.for_territory(grigny).in_document_order().first()
        objective = OperationalObjective.objects.for_territory(grigny).leaves().first()
        report_days_ago(action, 20, Status.IN_PROGRESS, 30, comment="Point plausible")
        for target in (action, objective):
            insert_unvalidated_updates(target)
        return grigny, action, objective

    def test_the_dashboards_answer(self, client, out_of_range):
        grigny, action, objective = out_of_range
        for url in (
            reverse("dashboard"),
            reverse("territory_dashboard", kwargs={"slug": grigny.slug}),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            dashboard = response.context["dashboard"]
            # The progress over time stops this month and starts at most 36 months before.
            months = [point.month for point in dashboard.points]
            assert months[-1] == timezone.localdate().replace(day=1)
            assert len(months) <= 36
            # The latest updates keep plausible dates only.
            dates = [update.date for update in dashboard.recent_updates]
            assert all(EARLIEST_DATE <= when <= timezone.localdate() for when in dates), dates
            html = response.content.decode()
            assert "9999" not in html and "0001" not in html

    def test_every_page_that_shows_updates_answers(self, client, out_of_range):
        grigny, action, objective = out_of_range
        for url in (
            reverse("territory_detail", kwargs={"slug": grigny.slug}),
            action.get_public_url(),
            objective.get_public_url(),
            f"/engagements/?territoire={grigny.slug}&statut=realise",
            "/api/v1/actions/",
            "/donnees/engagements.csv",
        ):
            assert client.get(url).status_code == 200, url
