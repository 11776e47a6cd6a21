"""The admin's protocol list and change page say « modifications non publiées (N) » with a link
to publish (commitments/admin/protocol_admin.py, selectors/edition_text.py
`unpublished_change_counts`): the count is the number of changes since the last edition, the
link is for those who publish; the list costs the same number of queries whatever the number
of protocols and of changes, and a second visit diffs nothing (cached under each protocol's
version)."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import OperationalObjective, Protocol
from commitments.selectors import edition_text
from commitments.services.editions import publish_edition
from commitments.services.elements import save_element
from tests import factories
from tests.support.admin import client_for, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

LIST_URL = "/admin/commitments/protocol/"
PUBLISH_URL = "/admin/commitments/edition/publier/"


def reword(slug, count=1):
    """Reword `count` operational objectives of the territory's protocol (every protocol has
    some), through the write path the admin uses."""
    objectives = OperationalObjective.objects.filter(
        strategic_objective__section__protocol__territory__slug=slug
    ).order_by("pk")
    for objective in objectives[:count]:
        objective.text = f"{objective.text} (réécrit)"
        save_element(objective)


def row_of(page, protocol):
    """The list's row of `protocol` (its text, tags removed)."""
    html = unescape(page.content.decode())
    for row in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S):
        if f"/admin/commitments/protocol/{protocol.pk}/change/" in row:
            return row
    raise AssertionError(f"no row for {protocol}")


def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def agent():
    return client_for(make_user("agglomeration"))


def test_the_list_counts_the_changes_and_links_to_publish(agent):
    reword("grigny", 3)
    reword("ris-orangis", 1)
    page = agent.get(LIST_URL)
    assert page.status_code == 200
    grigny = Protocol.objects.get(territory__slug="grigny")
    row = row_of(page, grigny)
    assert "modifications non publiées (3)" in text_of(row)
    assert f'href="{PUBLISH_URL}?protocole={grigny.pk}"' in row
    ris = Protocol.objects.get(territory__slug="ris-orangis")
    assert "modifications non publiées (1)" in text_of(row_of(page, ris))
    corbeil = Protocol.objects.get(territory__slug="corbeil-essonnes")
    corbeil_row = row_of(page, corbeil)
    assert "aucune" in text_of(corbeil_row) and PUBLISH_URL not in corbeil_row
    # The link opens the publication form with the protocol chosen.
    form = agent.get(f"{PUBLISH_URL}?protocole={grigny.pk}")
    assert re.search(rf'<option value="{grigny.pk}" selected>', form.content.decode())


def test_after_publishing_the_count_is_gone(agent):
    reword("grigny", 2)
    grigny = Protocol.objects.get(territory__slug="grigny")
    assert "non publiées (2)" in text_of(row_of(agent.get(LIST_URL), grigny))
    publish_edition(
        grigny,
        title="Avenant n° 1",
        deliberation_reference="Del 2024 0042",
        deliberation_date=datetime.date(2024, 3, 14),
        by=None,
    )
    row = row_of(agent.get(LIST_URL), grigny)
    assert "non publiées" not in row and "aucune" in text_of(row)
    reword("grigny", 1)  # the next edit counts again, from edition 2
    assert "non publiées (1)" in text_of(row_of(agent.get(LIST_URL), grigny))


def test_a_protocol_without_edition_says_so():
    territory = factories.TerritoryFactory()
    protocol = factories.ProtocolFactory(territory=territory)
    page = client_for(make_user("agglomeration")).get(LIST_URL)
    row = row_of(page, protocol)
    assert "aucune édition publiée" in text_of(row)
    assert f"?protocole={protocol.pk}" in row


def test_the_change_page_says_it_too(agent):
    reword("grigny", 2)
    grigny = Protocol.objects.get(territory__slug="grigny")
    page = agent.get(f"/admin/commitments/protocol/{grigny.pk}/change/")
    html = unescape(page.content.decode())
    (notice,) = re.findall(r'<p class="unpublished-notice">.*?</p>', html, re.S)
    assert "modifications non publiées (2)" in text_of(notice)
    assert f'href="{PUBLISH_URL}?protocole={grigny.pk}"' in notice
    assert 'href="/territoires/grigny/modifications/"' in notice
    corbeil = Protocol.objects.get(territory__slug="corbeil-essonnes")
    page = agent.get(f"/admin/commitments/protocol/{corbeil.pk}/change/")
    (notice,) = re.findall(r'<p class="unpublished-notice">.*?</p>', page.content.decode(), re.S)
    assert "aucune" in notice and PUBLISH_URL not in notice


def test_leads_see_the_count_without_the_link():
    reword("grigny", 2)
    lead = client_for(make_user("grigny_lead"))
    grigny = Protocol.objects.get(territory__slug="grigny")
    page = lead.get(LIST_URL)
    assert page.status_code == 200
    row = row_of(page, grigny)
    assert "modifications non publiées (2)" in text_of(row) and PUBLISH_URL not in row
    change = lead.get(f"/admin/commitments/protocol/{grigny.pk}/change/")
    assert "modifications non publiées (2)" in change.content.decode()
    assert PUBLISH_URL not in change.content.decode()


def list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST_URL).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_whatever_the_protocols_and_changes(agent, monkeypatch):
    agent.get(LIST_URL)  # the process's caches (content types, permissions…)
    cold_one = list_queries(agent)  # cached counts: no diff
    for slug in ("grigny", "corbeil-essonnes", "evry-courcouronnes", "ris-orangis"):
        reword(slug, 4)
    for _ in range(3):  # more protocols, with editions, each changed since
        protocol = factories.ProtocolFactory(territory=factories.TerritoryFactory())
        publish_edition(
            protocol,
            title="Texte adopté",
            deliberation_reference="Del 1",
            deliberation_date=None,
            by=None,
        )
        section = factories.SectionFactory(protocol=protocol)
        save_element(factories.StrategicObjectiveFactory(section=section))
    compared = []
    real = edition_text.editions_in_force
    monkeypatch.setattr(
        edition_text,
        "editions_in_force",
        lambda trees: compared.append(len(trees)) or real(trees),
    )
    cold_many = list_queries(agent)  # seven protocols recounted at once
    warm = list_queries(agent)
    print(f"protocol list: {cold_one} queries (counts cached), {cold_many} (7 recounted), {warm}")
    assert compared == [7]  # one pass for the seven changed protocols, none on the second visit
    assert cold_many <= cold_one + 12  # the trees' load: a constant
    assert warm <= cold_one
