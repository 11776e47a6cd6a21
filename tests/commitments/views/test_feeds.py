"""The Atom feeds of the latest progress updates (views/feeds.py)."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from commitments.enums import Status
from tests.factories import (
    ActionFactory,
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
        with django_assert_max_num_queries(2):
            client.get(url)
        for _ in range(10):
            ProgressUpdateFactory(
                action=ActionFactory(
                    operational_objective__strategic_objective__section__protocol=territory.protocols.get()
                )
            )
        with django_assert_max_num_queries(2):
            atom(client.get(url))
        with django_assert_max_num_queries(1):
            atom(client.get(reverse("updates_feed")))


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
