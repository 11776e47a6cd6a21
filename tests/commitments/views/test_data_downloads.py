"""Downloading the flat exports (views/data_downloads.py): URLs per territory and format,
Last-Modified and conditional requests, queries that do not grow with the data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import http_date

from commitments.models import Action, OperationalObjective, Protocol, StrategicObjective
from territories.models import Territory
from tests import factories
from tests.support.exports import download, read_csv

pytestmark = pytest.mark.django_db


class TestPerTerritory:
    def test_only_that_territory(self, client):
        _, body = download(client, "/territoires/grigny/engagements.csv")
        rows = read_csv(body)
        assert rows and {row["territoire_slug"] for row in rows} == {"grigny"}
        grigny = Territory.objects.get(slug="grigny")
        expected = (
            StrategicObjective.objects.for_territory(grigny).count()
            + OperationalObjective.objects.for_territory(grigny).count()
            + Action.objects.for_territory(grigny).count()
        )
        assert len(rows) == expected

    def test_named_url_and_no_clash_with_the_portal(self, client):
        assert reverse("export_commitments", kwargs={"format": "json"}) == (
            "/donnees/engagements.json"
        )
        url = reverse("export_commitments", kwargs={"slug": "grigny", "format": "csv"})
        assert url == "/territoires/grigny/engagements.csv"
        page = client.get("/territoires/grigny/")
        assert page.status_code == 200
        assert page["Content-Type"].startswith("text/html")

    @pytest.mark.parametrize(
        "url",
        [
            "/territoires/atlantide/engagements.csv",
            "/territoires/atlantide/engagements.json",
            "/territoires/grigny/engagements.xml",
            "/donnees/engagements.xlsx",
        ],
    )
    def test_unknown_territory_or_format_is_404(self, client, url):
        assert client.get(url).status_code == 404


class TestHttp:
    def test_last_modified_and_conditional_get(self, client):
        response, _ = download(client, "/territoires/grigny/engagements.csv")
        last_modified = response["Last-Modified"]
        changed = Protocol.objects.get(territory__slug="grigny").last_changed_at
        assert last_modified == http_date(changed.timestamp())
        again = client.get(
            "/territoires/grigny/engagements.csv", headers={"if-modified-since": last_modified}
        )
        assert again.status_code == 304

    def test_post_is_refused(self, client):
        assert client.post("/donnees/engagements.csv").status_code == 405

    @pytest.mark.parametrize("fmt", ["csv", "json"])
    def test_queries_do_not_grow_with_data(self, client, fmt, django_assert_max_num_queries):
        url = f"/donnees/engagements.{fmt}"
        with CaptureQueriesContext(connection) as before:
            download(client, url)
        partners = factories.PartnerFactory.create_batch(2)
        for _ in range(3):
            section = factories.SectionFactory()
            for _ in range(5):
                oo = factories.OperationalObjectiveFactory(
                    strategic_objective__section=section, pilot=partners[0]
                )
                oo.partners.set(partners)
                factories.ActionFactory.create_batch(2, operational_objective=oo)
        with django_assert_max_num_queries(len(before)):
            _, body = download(client, url)
        assert body.count(b"Objectif op") >= 15
