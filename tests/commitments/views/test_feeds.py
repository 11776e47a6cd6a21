"""The Atom feeds of the latest progress updates and indicators' values (views/feeds.py)."""

import datetime
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from commitments.enums import Status
from commitments.services.indicator_writes import record_indicator_value
from tests.factories import (
    ActionFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    OperationalObjectiveFactory,
    ProgressUpdateFactory,
    ProtocolFactory,
)
from tests.support.progress import insert_unvalidated_updates

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def atom(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == ATOM + "feed"
    # What RFC 4287 requires of a feed and of each entry.
    for name in ("id", "title", "updated", "author"):
        assert root.find(ATOM + name) is not None, name
    for entry in root.findall(ATOM + "entry"):
        for name in ("id", "title", "updated", "link"):
            assert entry.find(ATOM + name) is not None, name
    ids = [entry.find(ATOM + "id").text for entry in root.findall(ATOM + "entry")]
    assert len(ids) == len(set(ids))
    return root


@pytest.fixture
def territory_updates():
    protocol = ProtocolFactory()
    tree = {"operational_objective__strategic_objective__section__protocol": protocol}
    action = ActionFactory(**{f"{k}": v for k, v in tree.items()})
    objective = OperationalObjectiveFactory(strategic_objective__section__protocol=protocol)
    today = datetime.date.today()
    updates = [
        ProgressUpdateFactory(action=action, date=today - datetime.timedelta(days=20)),
        ProgressUpdateFactory(
            action=None,
            operational_objective=objective,
            date=today - datetime.timedelta(days=2),
            status=Status.DONE,
            progress=100,
            comment="<script>alert('x')</script>\nLivré & inauguré",
        ),
        # Recorded last but back-dated: it comes after the others.
        ProgressUpdateFactory(action=action, date=today - datetime.timedelta(days=40)),
    ]
    return protocol.territory, updates


def entry_links(root):
    return [e.find(ATOM + "link").get("href") for e in root.findall(ATOM + "entry")]


class TestUpdatesFeed:
    def test_latest_first(self, client, territory_updates):
        territory, (middle, latest, oldest) = territory_updates
        root = atom(client.get(reverse("updates_feed")))
        links = entry_links(root)
        positions = [
            links.index(f"http://testserver{u.target.get_public_url()}#point-{u.pk}")
            for u in (latest, middle, oldest)
        ]
        assert positions == sorted(positions)

    def test_territory_feed_lists_only_its_updates(self, client, territory_updates):
        territory, updates = territory_updates
        other = ProgressUpdateFactory()
        url = reverse("territory_updates_feed", kwargs={"slug": territory.slug})
        root = atom(client.get(url))
        links = entry_links(root)
        expected = sorted(updates, key=lambda u: (u.date, u.created_at), reverse=True)
        assert links == [
            f"http://testserver{u.target.get_public_url()}#point-{u.pk}" for u in expected
        ]
        assert not any(f"#point-{other.pk}" in link for link in links)
        assert territory.name in root.find(ATOM + "title").text

    def test_comments_are_escaped_html(self, client, territory_updates):
        territory, (_, latest, _) = territory_updates
        url = reverse("territory_updates_feed", kwargs={"slug": territory.slug})
        root = atom(client.get(url))
        entry = root.find(ATOM + "entry")
        summary = entry.find(ATOM + "summary")
        assert summary.get("type") == "html"
        # Once the XML is parsed, the HTML still shows the markup as text, never as a tag.
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<br>Livré &amp; inauguré" in (
            summary.text
        )
        assert "<script" not in summary.text

    def test_unknown_territory(self, client):
        url = reverse("territory_updates_feed", kwargs={"slug": "nulle-part"})
        assert client.get(url).status_code == 404

    def test_constant_queries(self, client, territory_updates, django_assert_max_num_queries):
        territory, _ = territory_updates
        url = reverse("territory_updates_feed", kwargs={"slug": territory.slug})
        # The territory, its updates, its indicators' values.
        with django_assert_max_num_queries(3):
            client.get(url)
        for _ in range(10):
            action = ActionFactory(
                operational_objective__strategic_objective__section__protocol=territory.protocols.get()
            )
            ProgressUpdateFactory(action=action)
            IndicatorValueFactory(indicator=IndicatorFactory(action=action), year=2020)
        with django_assert_max_num_queries(3):
            root = atom(client.get(url))
        assert len(root.findall(ATOM + "entry")) == 23
        with django_assert_max_num_queries(2):
            atom(client.get(reverse("updates_feed")))


class TestIndicatorValues:
    """New indicators' values are entries of the same feeds, among the progress updates."""

    @pytest.fixture
    def value(self, territory_updates):
        territory, updates = territory_updates
        indicator = IndicatorFactory(
            action=updates[0].target,
            definition__name="Taux de réussite",
            scope="Grande Borne",
            baseline_value=Decimal("20"),
            baseline_year=2016,
            target_value=Decimal("50"),
        )
        return IndicatorValueFactory(
            indicator=indicator,
            year=2021,
            value=Decimal("35"),
            source="Éducation nationale",
            comment="<b>gras</b> & co\nDeuxième ligne",
        )

    def entries(self, client, url):
        root = atom(client.get(url))
        return root.findall(ATOM + "entry")

    def test_value_entry_in_both_feeds_first(self, client, territory_updates, value):
        territory, _ = territory_updates
        action = value.indicator.action
        for url in (
            reverse("updates_feed"),
            reverse("territory_updates_feed", kwargs={"slug": territory.slug}),
        ):
            # Recorded now: before the updates dated days ago.
            entry = self.entries(client, url)[0]
            assert entry.find(ATOM + "title").text == (
                f"{territory.name} — Taux de réussite (Grande Borne) : 35\u00a0% en 2021"
            )
            link = entry.find(ATOM + "link").get("href")
            assert link == f"http://testserver/territoires/{territory.slug}/#action-{action.pk}"
            assert entry.find(ATOM + "id").text.startswith(
                f"{link}-indicateur-{value.indicator_id}-2021-"
            )
            terms = [c.get("term") for c in entry.findall(ATOM + "category")]
            assert terms[0] == territory.name and terms[-1] == "Indicateur"
            summary = entry.find(ATOM + "summary").text
            assert "Valeur 2021 : 35\u00a0% ; référence : 20\u00a0% (2016) ; cible : 50\u00a0%" in (
                summary
            )
            assert "Source : Éducation nationale" in summary
            assert "&lt;b&gt;gras&lt;/b&gt; &amp; co<br>Deuxième ligne" in summary
            assert "<b>" not in summary

    def test_other_territories_values_stay_out(self, client, territory_updates, value):
        territory, _ = territory_updates
        other = IndicatorValueFactory(year=2020)
        url = reverse("territory_updates_feed", kwargs={"slug": territory.slug})
        ids = [e.find(ATOM + "id").text for e in self.entries(client, url)]
        assert not any(f"-indicateur-{other.indicator_id}-" in i for i in ids)
        assert any(f"-indicateur-{value.indicator_id}-" in i for i in ids)

    def test_a_replaced_value_is_a_new_entry(self, client, territory_updates, value):
        territory, _ = territory_updates
        url = reverse("territory_updates_feed", kwargs={"slug": territory.slug})
        before = self.entries(client, url)[0].find(ATOM + "id").text
        with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5), tick=False):
            record_indicator_value(value.indicator, year=2021, value=Decimal("38"))
            entries = self.entries(client, url)
        assert entries[0].find(ATOM + "id").text != before
        assert entries[0].find(ATOM + "title").text.endswith(": 38\u00a0% en 2021")
        assert sum("Taux de réussite" in e.find(ATOM + "title").text for e in entries) == 1


RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


class TestDatesAlreadyInTheDatabase:
    """Updates dated 31/12/9999 or 01/01/0001 (recorded before dates were validated): both
    feeds still answer valid Atom, with real dates, and leave those updates out."""

    @pytest.mark.parametrize("feed", ["updates_feed", "territory_updates_feed"])
    def test_the_feeds_stay_valid_atom(self, client, territory_updates, feed):
        territory, updates = territory_updates
        action = updates[0].target
        objective = updates[1].target
        absurd = [*insert_unvalidated_updates(action), *insert_unvalidated_updates(objective)]
        kwargs = {"slug": territory.slug} if feed == "territory_updates_feed" else {}

        root = atom(client.get(reverse(feed, kwargs=kwargs)))

        today = datetime.date.today()
        stamps = [root.find(ATOM + "updated").text] + [
            entry.find(ATOM + name).text
            for entry in root.findall(ATOM + "entry")
            for name in ("updated", "published")
            if entry.find(ATOM + name) is not None
        ]
        for stamp in stamps:
            assert RFC3339.fullmatch(stamp), stamp
            parsed = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            assert 2000 <= parsed.year <= today.year, stamp
        links = entry_links(root)
        assert not any(link.endswith(f"#point-{update.pk}") for update in absurd for link in links)
        # The plausible updates are all there, latest first.
        for update in updates:
            assert f"http://testserver{update.target.get_public_url()}#point-{update.pk}" in links
