"""The tracking space (/suivi/): "Mes engagements", the page of one commitment with its update
form, the yearly review of a strategic objective, and who may open and post what.

The seeded Grigny protocol is the lead's; Évry-Courcouronnes is another city. Forms are posted
as a browser would send them: the data is read from the rendered page (`form_data`), then
changed, so a hidden field the page adds is posted like a browser would.
"""

import datetime
import re
from urllib.parse import urlencode

import pytest
import tinyhtml5
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commitments.enums import Status
from commitments.models import (
    Action,
    OperationalObjective,
    Partner,
    ProgressUpdate,
    StrategicObjective,
)
from commitments.services.progress_rule import record_update
from territories.models import Territory
from territories.roles import CITY_LEAD_GROUP
from tests import factories
from tests.support.admin import client_for, ensure_groups, make_user
from tests.support.progress import report_days_ago
from tests.support.seed import UNUSED_POSITION

pytestmark = pytest.mark.django_db

SPACE = "/suivi/"
LOGIN = "/compte/connexion/"


# --- Reading pages -------------------------------------------------------------------------


def parse(response):
    return tinyhtml5.parse(response.content.decode(), namespace_html_elements=False)


def text(element):
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def by_id(tree, element_id):
    return tree.find(f".//*[@id='{element_id}']")


def tracking_links(tree):
    """(kind, pk) of every commitment linked from the list, in page order."""
    found = []
    for link in tree.iterfind(".//li[@class='space-item']//a"):
        match = re.match(r"^/suivi/engagements/(objectif|action)/(\d+)/", link.get("href"))
        if match:
            found.append((match[1], int(match[2])))
    return found


def item_of(tree, node):
    """The <li> of `node` in the list."""
    for li in tree.iterfind(".//li[@class='space-item']"):
        link = li.find(".//a")
        if link is not None and link.get("href").startswith(node.get_tracking_url()):
            return li
    return None


def form_data(response, action=None):
    """What the browser would post from the page's POST form (the one whose hidden `action`
    is `action`, when given)."""
    for form in parse(response).iter("form"):
        if form.get("method", "get").lower() != "post":
            continue
        if form.get("action") == "/compte/deconnexion/":  # the header's « Se déconnecter »
            continue
        data = {}
        for element in form.iter():
            name = element.get("name")
            if not name:
                continue
            if element.tag == "input":
                kind = element.get("type", "text")
                if kind in ("checkbox", "radio"):
                    if element.get("checked") is not None:
                        data[name] = element.get("value", "on")
                elif kind not in ("submit", "button", "reset"):
                    data[name] = element.get("value", "")
            elif element.tag == "textarea":
                data[name] = element.text or ""
            elif element.tag == "select":
                options = list(element.iter("option"))
                chosen = [o for o in options if o.get("selected") is not None] or options[:1]
                data[name] = chosen[0].get("value", text(chosen[0])) if chosen else ""
        if action is None or data.get("action") == action:
            return data
    raise AssertionError(f"no POST form with action={action!r}")


def field_value(tree, field_id):
    element = by_id(tree, field_id)
    assert element is not None, field_id
    if element.tag == "textarea":
        return element.text or ""
    if element.tag == "select":
        selected = [o.get("value") for o in element.iter("option") if o.get("selected") is not None]
        return selected[0] if selected else None
    return element.get("value", "")


def summary(tree):
    return tree.find(".//*[@id='erreurs']")


# --- Data ----------------------------------------------------------------------------------


def today():
    return timezone.localdate()


def grigny():
    return Territory.objects.get(slug="grigny")


def evry():
    return Territory.objects.get(slug="evry-courcouronnes")


def actions_of(territory):
    return Action.objects.for_territory(territory).with_tree()


def leaf_objectives_of(territory):
    return OperationalObjective.objects.for_territory(territory).filter(actions__isnull=True)


def tracked_of(territory):
    """Every tracked commitment of `territory`: the actions, the objectives without actions."""
    return [*actions_of(territory), *leaf_objectives_of(territory).with_tree()]


def key(node):
    return (node.kind.value, node.pk)


def document_key(node):
    objective = node if isinstance(node, OperationalObjective) else node.operational_objective
    return (
        node.section.position,
        objective.strategic_objective.position,
        objective.position,
        node.position if node is not objective else -1,
    )


def first_action(territory):
    return actions_of(territory).in_document_order().first()


def first_leaf_objective(territory):
    return leaf_objectives_of(territory).with_tree().in_document_order().first()


def review_objective(territory, rows=5):
    """A strategic objective of `territory` with at least `rows` tracked commitments."""
    objectives = StrategicObjective.objects.for_territory(territory).in_document_order()
    for so in objectives.prefetch_related("operational_objectives__actions"):
        count = sum(len(oo.leaves()) for oo in so.operational_objectives.all())
        if count >= rows:
            return so
    raise AssertionError(f"{territory} has no strategic objective with {rows} commitments")


def review_rows(so):
    return [leaf for oo in so.operational_objectives.order_by("position") for leaf in oo.leaves()]


def review_url(so):
    return f"/suivi/objectifs-strategiques/{so.pk}/"


def update_count():
    return ProgressUpdate.objects.count()


def snapshot(node):
    """What a write could change on a commitment (and the updates of the whole database)."""
    node = type(node).objects.get(pk=node.pk)
    return (
        update_count(),
        node.version,
        node.status,
        node.progress,
        node.pilot_id,
        node.start_year,
        node.end_year,
        node.text,
        sorted(node.partners.values_list("pk", flat=True)),
    )


def lead_user(username="chef-grigny", territories=("grigny",)):
    ensure_groups()
    user = factories.UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=CITY_LEAD_GROUP))
    for slug in territories:
        factories.MembershipFactory(user=user, territory=Territory.objects.get(slug=slug))
    return user


@pytest.fixture
def lead(fast_password_hasher):
    return lead_user()


@pytest.fixture
def lead_client(lead):
    return client_for(lead)


@pytest.fixture
def reported():
    """Three Grigny actions: reported recently with a pilot, reported long ago, never."""
    recent, old, never = actions_of(grigny()).in_document_order()[:3]
    pilot = Partner.objects.order_by("name").first()
    recent.pilot = pilot
    recent.save()
    report_days_ago(recent, 10, Status.IN_PROGRESS, 40, comment="Comité tenu")
    report_days_ago(old, 400, Status.PLANNED, 10)
    return {
        "recent": Action.objects.with_tree().get(pk=recent.pk),
        "old": Action.objects.with_tree().get(pk=old.pk),
        "never": Action.objects.with_tree().get(pk=never.pk),
        "pilot": pilot,
    }


# --- "Mes engagements" ---------------------------------------------------------------------


class TestSpace:
    def test_a_grigny_lead_sees_exactly_the_tracked_commitments_of_grigny(self, lead_client):
        response = lead_client.get(SPACE)
        assert response.status_code == 200
        tree = parse(response)
        expected = sorted(tracked_of(grigny()), key=document_key)
        assert tracking_links(tree) == [key(node) for node in expected]
        # Both kinds are there: actions, and operational objectives without actions.
        assert {kind for kind, _ in tracking_links(tree)} == {"action", "objectif"}
        evry_keys = {key(node) for node in tracked_of(evry())}
        assert not evry_keys & set(tracking_links(tree))
        assert text(tree.find(".//h1")) == "Mes engagements"
        assert "Grigny" in text(tree.find(".//p[@class='lead']"))
        assert f"{len(expected)} engagements affichés" in text(tree.find(".//main"))

    def test_grouped_by_thematic_then_strategic_objective(self, lead_client):
        tree = parse(lead_client.get(SPACE))
        by_key = {key(node): node for node in tracked_of(grigny())}
        sections = tree.findall(".//section[@class='space-section']")
        seen_sections = []
        for section in sections:
            heading = text(section.find("h3"))
            for group in section.findall(".//div[@class='space-group']"):
                so_text = text(group.find("h4"))
                links = tracking_links(group)
                assert links
                for link in links:
                    node = by_key[link]
                    assert heading == f"Grigny — {node.section.thematic.name}"
                    objective = (
                        node
                        if isinstance(node, OperationalObjective)
                        else node.operational_objective
                    )
                    assert so_text == " ".join(objective.strategic_objective.text.split())
                review = group.find(".//a[@href]")
                assert review.get("href").startswith("/suivi/objectifs-strategiques/")
            seen_sections.append(heading)
        # One block per thematic of the protocol that has tracked commitments, in order.
        expected = []
        for node in sorted(by_key.values(), key=document_key):
            name = f"Grigny — {node.section.thematic.name}"
            if name not in expected:
                expected.append(name)
        assert seen_sections == expected

    def test_each_commitment_shows_status_progress_pilot_last_update_and_staleness(
        self, lead_client, reported
    ):
        tree = parse(lead_client.get(SPACE))
        recent = text(item_of(tree, reported["recent"]))
        assert "En cours · 40 %" in recent
        assert f"Pilote : {reported['pilot'].name}" in recent
        assert "sans nouvelles depuis 12 mois" not in recent
        when = item_of(tree, reported["recent"]).find(".//time")
        assert when.get("datetime") == (today() - datetime.timedelta(days=10)).isoformat()

        old = text(item_of(tree, reported["old"]))
        assert "Prévu · 10 %" in old
        assert "Pilote : aucun" in old
        assert "sans nouvelles depuis 12 mois" in old
        when = item_of(tree, reported["old"]).find(".//time")
        assert when.get("datetime") == (today() - datetime.timedelta(days=400)).isoformat()

        never = text(item_of(tree, reported["never"]))
        assert "Non renseigné" in never
        assert "Dernier point : jamais" in never
        assert "sans nouvelles depuis 12 mois" in never

    def test_the_count_of_what_is_left_to_update(self, lead_client, reported):
        tree = parse(lead_client.get(SPACE))
        stale = len(tracked_of(grigny())) - 1  # all but the recent one
        line = tree.find(".//p[@class='space-summary']")
        assert text(line).startswith(f"{stale} engagements à mettre à jour, sans nouvelles depuis")
        assert line.find(".//a").get("href") == "?sans_nouvelles=on"
        # The count is the lead's whole worklist, whatever the list shows.
        tree = parse(lead_client.get(SPACE, {"statut": "en_cours"}))
        assert text(tree.find(".//p[@class='space-summary']")).startswith(f"{stale} engagements à")

    def test_nothing_left_to_update(self, lead_client):
        for node in tracked_of(grigny()):
            report_days_ago(node, 3, Status.IN_PROGRESS, 20)
        tree = parse(lead_client.get(SPACE))
        assert "tout est à jour" in text(tree.find(".//p[@class='space-summary']"))
        assert tree.find(".//p[@class='space-summary']").find(".//a") is None

    @pytest.mark.parametrize(
        "query, wanted",
        [
            ({"statut": "en_cours"}, lambda n, r: n.pk == r["recent"].pk),
            ({"statut": "prevu"}, lambda n, r: n.pk == r["old"].pk),
            (
                {"statut": "non_renseigne"},
                lambda n, r: (
                    n.pk not in {r["recent"].pk, r["old"].pk} or isinstance(n, OperationalObjective)
                ),
            ),
            ({"sans_nouvelles": "on"}, lambda n, r: key(n) != key(r["recent"])),
            ({"sans_pilote": "on"}, lambda n, r: n.pilot_id is None),
            ({"statut": "prevu", "sans_nouvelles": "on"}, lambda n, r: n.pk == r["old"].pk),
            ({"statut": "en_cours", "sans_nouvelles": "on"}, lambda n, r: False),
            ({"thematique": "education"}, lambda n, r: n.section.thematic.slug == "education"),
            (
                {"thematique": "emploi", "sans_pilote": "on"},
                lambda n, r: n.section.thematic.slug == "emploi" and n.pilot_id is None,
            ),
            ({"statut": "", "thematique": "", "page": "3"}, lambda n, r: True),
        ],
    )
    def test_filters(self, lead_client, reported, query, wanted):
        response = lead_client.get(SPACE, query)
        assert response.status_code == 200
        tree = parse(response)
        nodes = [type(n).objects.with_tree().get(pk=n.pk) for n in tracked_of(grigny())]
        expected = [key(n) for n in sorted(nodes, key=document_key) if wanted(n, reported)]
        assert tracking_links(tree) == expected
        if not expected:
            assert "Aucun engagement ne correspond à ces filtres." in text(tree.find(".//main"))
        # The filters stay chosen.
        for name, value in query.items():
            if name in ("statut", "thematique") and value:
                assert field_value(tree, f"id_{name}") == value
            elif name in ("sans_nouvelles", "sans_pilote"):
                assert by_id(tree, f"id_{name}").get("checked") is not None
        # Each link brings the lead back to this filtered list.
        for link in tree.iterfind(".//li[@class='space-item']//a"):
            assert "next=/suivi/" in link.get("href").replace("%2F", "/")

    @pytest.mark.parametrize(
        "query, field",
        [
            ({"statut": "inconnu"}, "statut"),
            ({"statut": "<script>alert(1)</script>"}, "statut"),
            ({"thematique": "n-existe-pas"}, "thematique"),
            ({"thematique": "emploi\x00"}, "thematique"),
            ({"territoire": "evry-courcouronnes"}, "territoire"),
            ({"territoire": "n-existe-pas"}, "territoire"),
        ],
    )
    def test_an_invalid_filter_is_a_clear_400(self, lead_client, query, field):
        response = lead_client.get(SPACE, query)
        assert response.status_code == 400
        tree = parse(response)
        box = summary(tree)
        assert box is not None and "filtre" in text(box).lower()
        link = box.find(f".//a[@href='#id_{field}']")
        assert link is not None
        assert by_id(tree, f"id_{field}") is not None, "the summary links to a missing field"
        assert text(by_id(tree, f"id_{field}_error"))
        assert "<script>alert(1)</script>" not in response.content.decode()

    def test_staff_see_every_territory_and_filter_by_territory(self, agglo_client):
        tree = parse(agglo_client.get(SPACE))
        every = {
            key(n)
            for slug in ("grigny", "evry-courcouronnes")
            for n in tracked_of(Territory.objects.get(slug=slug))
        }
        assert every <= set(tracking_links(tree))
        total = sum(len(tracked_of(t)) for t in Territory.objects.all())
        assert len(tracking_links(tree)) == total
        options = [o.get("value") for o in by_id(tree, "id_territoire").iter("option")]
        assert options == ["", *Territory.objects.in_display_order().values_list("slug", flat=True)]

        response = agglo_client.get(SPACE, {"territoire": "evry-courcouronnes"})
        assert response.status_code == 200
        tree = parse(response)
        assert set(tracking_links(tree)) == {key(n) for n in tracked_of(evry())}
        # The count and its link stay within the chosen territory.
        line = tree.find(".//p[@class='space-summary']")
        assert text(line).startswith(f"{len(tracked_of(evry()))} engagements à mettre à jour")
        assert "territoire=evry-courcouronnes" in line.find(".//a").get("href")

    def test_a_lead_of_two_cities_sees_both_and_can_filter(self, fast_password_hasher):
        client = client_for(lead_user("chef-deux-villes", ("grigny", "evry-courcouronnes")))
        tree = parse(client.get(SPACE))
        both = {key(n) for n in [*tracked_of(grigny()), *tracked_of(evry())]}
        assert set(tracking_links(tree)) == both
        options = [o.get("value") for o in by_id(tree, "id_territoire").iter("option")]
        assert options == ["", "grigny", "evry-courcouronnes"]
        tree = parse(client.get(SPACE, {"territoire": "grigny"}))
        assert set(tracking_links(tree)) == {key(n) for n in tracked_of(grigny())}
        assert client.get(SPACE, {"territoire": "corbeil-essonnes"}).status_code == 400

    def test_a_lead_of_one_city_has_no_territory_filter(self, lead_client):
        tree = parse(lead_client.get(SPACE))
        assert by_id(tree, "id_territoire") is None


# --- The page of a commitment --------------------------------------------------------------


class TestCommitmentPage:
    def test_the_commitment_in_context(self, lead_client, fast_password_hasher):
        action = first_action(grigny())
        author = factories.UserFactory(username="awa", first_name="Awa", last_name="Traoré")
        report_days_ago(action, 30, Status.IN_PROGRESS, 30, comment="Premier comité", author=author)
        report_days_ago(action, 100, Status.PLANNED, 0, comment="Lancement prévu", author=None)
        response = lead_client.get(action.get_tracking_url())
        assert response.status_code == 200
        tree = parse(response)
        page = text(tree.find(".//main"))
        oo = action.operational_objective
        assert text(tree.find(".//h1")) == " ".join(action.text.split())
        assert " ".join(oo.text.split()) in page
        assert " ".join(oo.strategic_objective.text.split()) in page
        assert action.section.heading in page
        for partner in action.partners.all():
            assert partner.name in page
        assert action.partners.exists()
        timeline = [text(li) for li in tree.iterfind(".//ol[@class='timeline']/li")]
        assert len(timeline) == 2
        assert "Premier comité" in timeline[0] and "Awa Traoré" in timeline[0]
        assert "Lancement prévu" in timeline[1] and "auteur inconnu" in timeline[1]
        assert tree.find(f".//a[@href='{action.get_public_url()}']") is not None
        assert tree.find(".//nav//a[@href='/suivi/']") is not None  # breadcrumbs

    def test_an_objective_without_actions(self, lead_client):
        objective = first_leaf_objective(grigny())
        response = lead_client.get(objective.get_tracking_url())
        assert response.status_code == 200
        page = text(parse(response).find(".//main"))
        assert " ".join(objective.strategic_objective.text.split()) in page
        assert "Objectif opérationnel" in page
        assert form_data(response, "point")["status"] == ""

    def test_an_objective_with_actions_sends_the_lead_to_its_actions(self, lead_client):
        objective = first_action(grigny()).operational_objective
        response = lead_client.get(objective.get_tracking_url())
        assert response.status_code == 200
        tree = parse(response)
        for action in objective.actions.all():
            assert tree.find(f".//a[@href='{action.get_tracking_url()}']") is not None
        assert tree.find(".//select[@name='status']") is None
        before = update_count()
        data = {"action": "point", "status": "en_cours", "progress": "10"}
        data["date"] = today().isoformat()
        response = lead_client.post(objective.get_tracking_url(), data)
        assert response.status_code == 400
        assert "action par action" in text(summary(parse(response)))
        assert update_count() == before

    def test_the_form_starts_from_the_last_update(self, lead_client, reported):
        response = lead_client.get(reported["recent"].get_tracking_url())
        html = response.content.decode()
        tree = parse(response)
        assert html.count('name="status"') == 1
        assert html.count('name="progress"') == 1
        assert field_value(tree, "id_status") == "en_cours"
        assert field_value(tree, "id_progress") == "40"
        assert field_value(tree, "id_date") == today().isoformat()
        assert by_id(tree, "id_date").get("type") == "date"
        assert field_value(tree, "id_comment") == ""
        # Every field has a label, no id is used twice (two forms share field names).
        labels = {label.get("for") for label in tree.iter("label")}
        for element in tree.iter():
            if element.tag in ("input", "select", "textarea") and element.get("type") != "hidden":
                assert element.get("id") in labels, element.attrib
        ids = [element.get("id") for element in tree.iter() if element.get("id")]
        assert len(ids) == len(set(ids))

    def test_never_reported_the_lead_chooses_a_status(self, lead_client, reported):
        response = lead_client.get(reported["never"].get_tracking_url())
        tree = parse(response)
        assert field_value(tree, "id_status") in (None, "")
        assert field_value(tree, "id_progress") in (None, "")
        assert "non_renseigne" not in [o.get("value") for o in by_id(tree, "id_status")]
        assert tree.find(".//input[@value='rien-de-nouveau']") is None

    def test_recording_an_update(self, lead_client, lead, reported):
        action = reported["recent"]
        page = lead_client.get(action.get_tracking_url(), {"next": "/suivi/?statut=en_cours"})
        data = form_data(page, "point")
        assert data["next"] == "/suivi/?statut=en_cours"
        data.update(
            status="en_cours",
            progress="55",
            comment="Deuxième comité, 12 inscrits",
            link="https://grigny91.fr/cr.pdf",
        )
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 302
        assert response["Location"] == "/suivi/?statut=en_cours"
        update = action.updates.latest_first().first()
        assert (update.status, update.progress, update.date) == ("en_cours", 55, today())
        assert update.author == lead and update.comment == "Deuxième comité, 12 inscrits"
        assert update.link == "https://grigny91.fr/cr.pdf" and not update.confirmation
        action.refresh_from_db()
        assert (action.status, action.progress) == ("en_cours", 55)
        followed = lead_client.get(response["Location"])
        assert "Le point d'avancement est enregistré" in text(parse(followed).find(".//body"))

    def test_done_means_100(self, lead_client, reported):
        action = reported["recent"]
        data = form_data(lead_client.get(action.get_tracking_url()), "point")
        data["status"] = "realise"  # progress left at 40
        assert lead_client.post(action.get_tracking_url(), data).status_code == 302
        action.refresh_from_db()
        assert (action.status, action.progress) == ("realise", 100)

    @pytest.mark.parametrize(
        "next_url",
        [
            "https://evil.example/",
            "//evil.example/suivi/",
            "javascript:alert(1)",
            "http://testserver.evil.example/",
            "",
        ],
    )
    def test_an_external_next_goes_back_to_the_space(self, lead_client, reported, next_url):
        action = reported["recent"]
        data = form_data(lead_client.get(action.get_tracking_url()), "point")
        data["next"] = next_url
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 302
        assert response["Location"] == SPACE

    def test_an_external_next_is_not_offered_on_the_page(self, lead_client, reported):
        url = reported["recent"].get_tracking_url()
        response = lead_client.get(url, {"next": "https://evil.example/"})
        assert "evil.example" not in response.content.decode()

    def test_the_public_pages_show_the_update_at_once(self, client, lead_client, reported):
        action = reported["never"]
        public = ["/territoires/grigny/", "/tableau-de-bord/grigny/", "/tableau-de-bord/"]
        before = {url: client.get(url) for url in public}
        assert all(response.status_code == 200 for response in before.values())
        badge = parse(before[public[0]]).find(f".//*[@id='{action.anchor}']//*[@class]")
        assert "Non renseigné" in text(by_id(parse(before[public[0]]), action.anchor))
        assert badge is not None
        # Cached for anonymous visitors: a second visit is served from the cache.
        with CaptureQueriesContext(connection) as queries:
            client.get(public[0])
        assert len(queries) <= 2

        data = form_data(lead_client.get(action.get_tracking_url()), "point")
        data.update(status="en_cours", progress="25")
        assert lead_client.post(action.get_tracking_url(), data).status_code == 302
        update = action.updates.get()

        protocol_page = parse(client.get(public[0]))
        assert "En cours · 25 %" in text(by_id(protocol_page, action.anchor))
        for url in public[1:]:
            recent = parse(client.get(url)).iterfind(".//ol[@class='recent-updates']/li")
            anchor = f"#point-{update.pk}"
            shown = [
                text(li)
                for li in recent
                if any(a.get("href", "").endswith(anchor) for a in li.iter("a"))
            ]
            assert len(shown) == 1 and "En cours · 25 %" in shown[0], url

    def test_nothing_new(self, lead_client, lead, reported):
        action = reported["recent"]
        page = lead_client.get(action.get_tracking_url())
        data = form_data(page, "rien-de-nouveau")
        assert set(data) >= {"date", "comment", "action"}
        assert "status" not in data and "progress" not in data
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 302
        update = action.updates.latest_first().first()
        assert update.confirmation and update.author == lead and update.date == today()
        assert (update.status, update.progress) == ("en_cours", 40)
        assert action.updates.count() == 2
        followed = text(parse(lead_client.get(response["Location"])).find(".//body"))
        assert "Rien de nouveau" in followed

    def test_nothing_new_needs_a_status_to_confirm(self, lead_client, reported):
        action = reported["never"]
        data = {"action": "rien-de-nouveau", "date": today().isoformat(), "last_update": ""}
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 400
        assert "Aucun statut à confirmer" in text(summary(parse(response)))
        assert not action.updates.exists()

    def test_the_lead_sets_the_pilot_and_the_years(self, client, lead_client, reported):
        action = reported["never"]
        public = client.get("/territoires/grigny/")  # cached for anonymous visitors
        pilot = Partner.objects.order_by("-name").first()
        assert f"Pilote : {pilot.name}" not in text(by_id(parse(public), action.anchor))
        data = form_data(lead_client.get(action.get_tracking_url()), "details")
        data.update(pilot=str(pilot.pk), start_year="2020", end_year="2023")
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 302
        action.refresh_from_db()
        assert (action.pilot, action.start_year, action.end_year) == (pilot, 2020, 2023)
        assert not action.updates.exists()
        shown = text(by_id(parse(client.get("/territoires/grigny/")), action.anchor))
        assert f"Pilote : {pilot.name}" in shown and "2020–2023" in shown

    @pytest.mark.parametrize(
        "years, message",
        [
            (("2023", "2020"), "fin"),
            (("1850", ""), "2000"),
            (("", "32768"), "2100"),
            (("deux-mille", ""), "année"),
        ],
    )
    def test_years_are_checked(self, lead_client, reported, years, message):
        action = reported["never"]
        before = snapshot(action)
        data = form_data(lead_client.get(action.get_tracking_url()), "details")
        data.update(start_year=years[0], end_year=years[1])
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 400
        box = text(summary(parse(response)))
        assert message in box
        assert "contrainte" not in box.lower()
        assert snapshot(action) == before

    @pytest.mark.parametrize("form", ["point", "rien-de-nouveau", "details"])
    def test_any_other_posted_field_is_ignored(self, lead_client, lead, reported, form):
        action = reported["recent"]
        other = factories.UserFactory(username="quelquun")
        partner = Partner.objects.exclude(pk__in=action.partners.all()).first()
        text_before = action.text
        partners_before = sorted(action.partners.values_list("pk", flat=True))
        data = form_data(lead_client.get(action.get_tracking_url()), form)
        data.update(
            text="Texte réécrit",
            details="Précisions réécrites",
            partners=[str(partner.pk)],
            axes=["1"],
            position="1",
            operational_objective=str(first_action(evry()).operational_objective_id),
            author=str(other.pk),
            confirmation="on",
            created_at="2020-01-01 00:00",
            version=data.get("version", "1"),
        )
        if form != "point":
            data.update(status="realise", progress="100")
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 302
        action = Action.objects.get(pk=action.pk)
        assert action.text == text_before and action.details != "Précisions réécrites"
        assert sorted(action.partners.values_list("pk", flat=True)) == partners_before
        assert action.operational_objective.strategic_objective.section.protocol.territory == (
            grigny()
        )
        assert not action.updates.filter(author=other).exists()
        assert not action.updates.filter(created_at__year=2020).exists()
        latest = action.updates.latest_first().first()
        if form == "point":
            assert not latest.confirmation and latest.author == lead
        if form == "details":
            assert action.updates.count() == 1
            assert (action.status, action.progress) == ("en_cours", 40)
        if form == "rien-de-nouveau":
            assert (latest.status, latest.progress) == ("en_cours", 40)

    @pytest.mark.parametrize(
        "field, value, message",
        [
            ("date", "+1", "futur"),
            ("date", "2018-12-31", "01/01/2019"),
            ("date", "9999-12-31", "futur"),
            ("date", "0001-01-01", "01/01/2019"),
            ("date", "", "date"),
            ("date", "31/02/2024", "date"),
            ("date", "hier", "date"),
            ("progress", "140", "100"),
            ("progress", "-5", "0"),
            ("progress", "quarante", "nombre"),
            ("progress", "", "avancement"),
            ("status", "non_renseigne", "statut"),
            ("status", "", "statut"),
            ("status", "termine", "statut"),
            ("link", "javascript:alert(1)", "http"),
            ("link", "ftp://exemple.org/cr.pdf", "http"),
            ("link", "data:text/html,<b>x</b>", "http"),
            ("comment", "x" * 2001, "2 000"),
        ],
    )
    def test_bad_input(self, lead_client, reported, field, value, message):
        action = reported["recent"]
        if value == "+1":
            value = (today() + datetime.timedelta(days=1)).isoformat()
        before = snapshot(action)
        page = lead_client.get(action.get_tracking_url())
        data = form_data(page, "point")
        data.update(progress="60", comment="Ma saisie", link="https://exemple.org/cr")
        data[field] = value
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 400
        tree = parse(response)
        # Next to the field…
        error = by_id(tree, f"id_{field}_error")
        assert error is not None and message.lower() in text(error).lower()
        assert f"id_{field}_error" in by_id(tree, f"id_{field}").get("aria-describedby")
        assert by_id(tree, f"id_{field}").get("aria-invalid") == "true"
        # …and in the summary at the top, linking to the field.
        box = summary(tree)
        assert box is not None and box.get("tabindex") == "-1"
        assert box.find(f".//a[@href='#id_{field}']") is not None
        assert text(error) in text(box)
        assert text(tree.find(".//title")).startswith("Erreur")
        # The input is kept, nothing is saved.
        for name in ("progress", "comment", "link", "date"):
            assert field_value(tree, f"id_{name}") == data[name], name
        assert snapshot(action) == before

    def test_every_error_at_once(self, lead_client, reported):
        """Form errors and the update rules' errors are shown together, not one after the
        other."""
        action = reported["recent"]
        data = form_data(lead_client.get(action.get_tracking_url()), "point")
        data.update(progress="140", date="9999-12-31", link="javascript:alert(1)")
        tree = parse(lead_client.post(action.get_tracking_url(), data))
        box = summary(tree)
        for field in ("progress", "date", "link"):
            assert box.find(f".//a[@href='#id_{field}']") is not None, field

    def test_done_with_another_progress_is_refused(self, lead_client, reported):
        action = reported["recent"]
        data = form_data(lead_client.get(action.get_tracking_url()), "point")
        data.update(status="realise", progress="70")
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 400
        assert "100 %" in text(by_id(parse(response), "id_progress_error"))
        assert action.updates.count() == 1

    @pytest.mark.parametrize("form", ["point", "rien-de-nouveau"])
    def test_a_form_loaded_before_another_update_is_refused(
        self, lead_client, reported, fast_password_hasher, form
    ):
        action = reported["recent"]
        page = lead_client.get(action.get_tracking_url())
        data = form_data(page, form)
        data["comment"] = "Ma saisie à garder"
        # Meanwhile, a colleague records an update.
        colleague = factories.UserFactory(username="marie", first_name="Marie", last_name="Curie")
        record_update(action, status="prevu", progress=20, date=today(), author=colleague)
        count = update_count()
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 400
        tree = parse(response)
        box = text(summary(tree))
        assert "Marie Curie" in box and "Prévu" in box and "20 %" in box
        comment_id = "id_comment" if form == "point" else "id_rien_comment"
        assert field_value(tree, comment_id) == "Ma saisie à garder"
        assert update_count() == count
        # The page now knows of the colleague's update: posting again is a deliberate choice.
        again = form_data(response, form)
        assert again["comment"] == "Ma saisie à garder"
        response = lead_client.post(action.get_tracking_url(), again)
        assert response.status_code == 302
        assert update_count() == count + 1
        assert action.updates.latest_first().first().comment == "Ma saisie à garder"

    def test_a_first_update_recorded_meanwhile_is_a_conflict_too(self, lead_client, reported):
        action = reported["never"]
        data = form_data(lead_client.get(action.get_tracking_url()), "point")
        data.update(status="en_cours", progress="10")
        record_update(action, status="prevu", progress=0, date=today(), author=None)
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 400
        assert "Quelqu'un a enregistré" in text(summary(parse(response)))
        assert action.updates.count() == 1

    def test_pilot_changed_meanwhile_is_a_conflict(self, lead_client, reported, agglo):
        action = reported["never"]
        data = form_data(lead_client.get(action.get_tracking_url()), "details")
        action.pilot = Partner.objects.order_by("name").last()
        action._history_user = agglo
        action.save()
        data.update(start_year="2020")
        response = lead_client.post(action.get_tracking_url(), data)
        assert response.status_code == 400
        assert "modifié" in text(summary(parse(response)))
        action.refresh_from_db()
        assert action.start_year is None
        response = lead_client.post(action.get_tracking_url(), form_data(response, "details"))
        assert response.status_code == 302


# --- The review of a strategic objective ---------------------------------------------------


def review_post(client, so, changes, date=None, page=None):
    """Post the review page of `so` with `changes` {row index: {field: value}}."""
    page = page or client.get(review_url(so))
    data = form_data(page)
    for index, fields in changes.items():
        for name, value in fields.items():
            data[f"engagements-{index}-{name}"] = value
    if date is not None:
        data["date"] = date
    return client.post(review_url(so), data)


class TestObjectiveReview:
    def test_the_page_lists_every_tracked_commitment_of_the_objective(self, lead_client):
        so = review_objective(grigny())
        response = lead_client.get(review_url(so))
        assert response.status_code == 200
        tree = parse(response)
        rows = review_rows(so)
        legends = [text(legend) for legend in tree.iter("legend")]
        assert legends == [" ".join(row.text.split()) for row in rows]
        assert field_value(tree, "id_date") == today().isoformat()
        for index in range(len(rows)):
            assert field_value(tree, f"id_engagements-{index}-status") in (None, "")
        for row in rows:
            assert tree.find(f".//a[@href='{row.get_tracking_url()}']") is not None

    def test_three_commitments_at_once(self, lead_client, lead):
        so = review_objective(grigny())
        rows = review_rows(so)
        report_days_ago(rows[1], 20, Status.IN_PROGRESS, 40)
        before = update_count()
        when = (today() - datetime.timedelta(days=2)).isoformat()
        response = review_post(
            lead_client,
            so,
            {
                0: {"status": "en_cours", "progress": "30", "comment": "Lancé"},
                2: {"status": "realise"},
                3: {"status": "prevu", "progress": "0"},
            },
            date=when,
        )
        assert response.status_code == 302, text(summary(parse(response)))
        assert response["Location"] == SPACE
        assert update_count() == before + 3
        created = ProgressUpdate.objects.order_by("-pk")[:3]
        assert {u.date.isoformat() for u in created} == {when}
        assert {u.author for u in created} == {lead}
        states = [
            (type(r).objects.get(pk=r.pk).status, type(r).objects.get(pk=r.pk).progress)
            for r in rows
        ]
        assert states[0] == ("en_cours", 30)
        assert states[1] == ("en_cours", 40)  # unchanged: nothing recorded
        assert states[2] == ("realise", 100)
        assert states[3] == ("prevu", 0)
        assert rows[1].updates.count() == 1
        assert all(row.updates.count() == 0 for row in rows[4:])
        followed = text(parse(lead_client.get(SPACE)).find(".//body"))
        assert "3 points d'avancement enregistrés" in followed

    def test_back_to_the_list_the_lead_came_from(self, lead_client):
        so = review_objective(grigny())
        page = lead_client.get(review_url(so), {"next": "/suivi/?thematique=emploi"})
        response = review_post(lead_client, so, {0: {"status": "prevu"}}, page=page)
        assert response["Location"] == "/suivi/?thematique=emploi"

    def test_no_row_changed_records_nothing(self, lead_client):
        so = review_objective(grigny())
        before = update_count()
        response = review_post(lead_client, so, {})
        assert update_count() == before
        assert response.status_code in (200, 302)
        followed = lead_client.get(SPACE) if response.status_code == 302 else response
        assert "Aucun" in text(parse(followed).find(".//body"))

    @pytest.mark.parametrize(
        "changes, row, message",
        [
            ({0: {"status": "en_cours"}, 2: {"status": "realise", "progress": "50"}}, 2, "100"),
            ({0: {"status": "en_cours"}, 3: {"progress": "140"}}, 3, "100"),
            ({0: {"status": "en_cours"}, 1: {"status": "termine"}}, 1, "statut"),
            ({0: {"status": "en_cours"}, 4: {"comment": "x" * 2001}}, 4, "2 000"),
            # A commitment never reported needs a status, not only a comment.
            ({0: {"status": "en_cours"}, 2: {"comment": "Rien à signaler"}}, 2, "statut"),
        ],
    )
    def test_an_invalid_row_stops_everything(self, lead_client, changes, row, message):
        so = review_objective(grigny())
        before = update_count()
        response = review_post(lead_client, so, changes)
        assert response.status_code == 400
        assert update_count() == before
        tree = parse(response)
        rows = tree.findall(".//li[@class='review-row']")
        assert message in text(rows[row])
        assert "errorlist" in "".join(element.get("class", "") for element in rows[row].iter())
        assert rows[0].find(".//*[@class='errorlist']") is None
        box = summary(tree)
        assert message in text(box)
        assert any(a.get("href").startswith(f"#id_engagements-{row}-") for a in box.iter("a"))
        # Input kept.
        assert field_value(tree, "id_engagements-0-status") == "en_cours"

    @pytest.mark.parametrize(
        "date, message", [("+1", "futur"), ("2018-06-01", "2019"), ("", "date")]
    )
    def test_a_bad_date_stops_everything(self, lead_client, date, message):
        so = review_objective(grigny())
        if date == "+1":
            date = (today() + datetime.timedelta(days=1)).isoformat()
        before = update_count()
        response = review_post(lead_client, so, {0: {"status": "prevu"}}, date=date)
        assert response.status_code == 400
        assert update_count() == before
        tree = parse(response)
        assert message in text(by_id(tree, "id_date_error"))
        assert summary(tree).find(".//a[@href='#id_date']") is not None
        # Said once, next to the date, not on every row.
        assert text(tree.find(".//ol[@class='review-list']")).count(message) == 0

    def test_a_row_updated_meanwhile_is_refused(self, lead_client, fast_password_hasher):
        so = review_objective(grigny())
        rows = review_rows(so)
        page = lead_client.get(review_url(so))
        colleague = factories.UserFactory(username="marie", first_name="Marie", last_name="Curie")
        record_update(rows[1], status="abandonne", progress=0, date=today(), author=colleague)
        before = update_count()
        response = review_post(
            lead_client, so, {0: {"status": "prevu"}, 1: {"status": "en_cours"}}, page=page
        )
        assert response.status_code == 400
        assert update_count() == before
        tree = parse(response)
        row = text(tree.findall(".//li[@class='review-row']")[1])
        assert "Marie Curie" in row and "Abandonné" in row
        # Sent again, the page goes through.
        again = lead_client.post(review_url(so), form_data(response))
        assert again.status_code == 302
        assert update_count() == before + 2

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda data: data.pop("engagements-TOTAL_FORMS"),
            lambda data: data.update({"engagements-TOTAL_FORMS": "2"}),
            lambda data: data.update({"engagements-TOTAL_FORMS": "50"}),
            lambda data: data.update({"engagements-TOTAL_FORMS": "abc"}),
            lambda data: data.update({"engagements-0-key": "action-1"}),
            lambda data: data.clear(),
        ],
    )
    def test_a_tampered_or_outdated_form_is_refused_never_a_500(self, lead_client, tamper):
        so = review_objective(grigny())
        data = form_data(lead_client.get(review_url(so)))
        data["engagements-0-status"] = "prevu"
        tamper(data)
        before = update_count()
        response = lead_client.post(review_url(so), data)
        assert response.status_code == 400
        assert update_count() == before
        assert summary(parse(response)) is not None

    def test_an_objective_without_tracked_commitments(self, lead_client):
        so = factories.StrategicObjectiveFactory(
            section=first_action(grigny()).section, position=UNUSED_POSITION
        )
        response = lead_client.get(review_url(so))
        assert response.status_code == 200
        assert "aucun engagement suivi" in text(parse(response).find(".//main"))


# --- Permissions, as a matrix --------------------------------------------------------------

ROLES = [
    "anonymous",
    "grigny_lead",
    "lead_without_territory",
    "staff_without_role",
    "user_without_role",
    "inactive_lead",
    "agglomeration",
    "superuser",
]
METHODS = ["get", "post", "put", "patch", "delete"]
# Every view of the space; the three forms of the commitment page are three POSTs.
VIEWS = [
    "space",
    "grigny_action",
    "grigny_objective",
    "grigny_review",
    "evry_action",
    "evry_review",
]
POSTED_FORMS = ["grigny_action_details", "grigny_action_nothing_new", "evry_action_details"]
MATRIX = [(view, method) for view in VIEWS for method in METHODS] + [
    (form, "post") for form in POSTED_FORMS
]


def role_user(role):
    if role in ("anonymous", "grigny_lead", "agglomeration", "superuser"):
        return make_user(role)
    if role == "lead_without_territory":
        return lead_user("chef-sans-ville", territories=())
    if role == "inactive_lead":
        user = lead_user("chef-inactif")
        user.is_active = False
        user.save()
        return user
    return factories.UserFactory(username=f"test-{role}", is_staff=(role == "staff_without_role"))


def allowed(role, target):
    if role in ("agglomeration", "superuser"):
        return True
    return role == "grigny_lead" and not target.startswith("evry")


def target_of(target, method):
    """(url, the commitment a write would change, the data sent): for a POST, what a browser
    would send from the page; for other methods, a plausible update."""
    territory = evry() if target.startswith("evry") else grigny()
    if target == "space":
        return SPACE, first_action(grigny()), {"statut": "en_cours"}
    if target.endswith("review"):
        so = review_objective(territory, rows=1)
        url, node = review_url(so), review_rows(so)[0]
    else:
        node = first_leaf_objective(territory) if target.endswith("objective") else None
        node = node or first_action(territory)
        url = node.get_tracking_url()
    if target.endswith("nothing_new"):
        record_update(node, status="en_cours", progress=20, date=today(), author=None)
    if method != "post":
        data = {"status": "realise", "progress": "100", "date": today().isoformat()}
        return url, node, {**data, "action": "point", "engagements-0-status": "realise"}
    page = client_for(make_user("superuser", username="matrix-admin")).get(url)
    if target.endswith("review"):
        data = form_data(page)
        data["engagements-0-status"] = "prevu"
    elif target.endswith("details"):
        data = form_data(page, "details")
        data.update(start_year="2020", pilot=str(Partner.objects.first().pk))
    elif target.endswith("nothing_new"):
        data = form_data(page, "rien-de-nouveau")
    else:
        data = form_data(page, "point")
        data.update(status="en_cours", progress="30")
    return url, node, data


@pytest.mark.parametrize("target, method", MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, target, method, fast_password_hasher):
    url, node, data = target_of(target, method)
    client = client_for(role_user(role))
    before = snapshot(node)
    if method in ("get", "post"):
        response = getattr(client, method)(url, data if method == "post" else None)
    else:
        body = urlencode(data)
        response = getattr(client, method)(url, body, "application/x-www-form-urlencoded")
    writes = method == "post" and target != "space"
    if method in ("put", "patch", "delete") or (target == "space" and method == "post"):
        assert response.status_code == 405  # whoever asks: the page does not serve it
    elif role in ("anonymous", "inactive_lead"):
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")
        assert url in response["Location"].replace("%2F", "/")
    elif not allowed(role, target):
        assert response.status_code == 403
        page = text(parse(response).find(".//main"))
        assert "Rien n'a été enregistré" in page
        if role == "grigny_lead":
            assert "Évry-Courcouronnes" in page and "Grigny" in page
        else:
            assert "rattaché" in page
    elif writes:
        assert response.status_code == 302, text(summary(parse(response)))
        assert snapshot(node) != before
        return
    else:
        assert response.status_code == 200
    assert snapshot(node) == before


@pytest.mark.parametrize(
    "url",
    [
        "/suivi/engagements/strategique/1/",
        "/suivi/engagements/actions/1/",
        "/suivi/engagements/action/0/",
        "/suivi/engagements/action/999999999999999999/",
        "/suivi/engagements/objectif/999999999999999999/",
        "/suivi/engagements/action/9999999999999999999999999/",
        "/suivi/engagements/action/abc/",
        "/suivi/engagements/action/-1/",
        "/suivi/engagements/action/1.5/",
        "/suivi/objectifs-strategiques/0/",
        "/suivi/objectifs-strategiques/999999999999999999/",
        "/suivi/objectifs-strategiques/99999999999999999999999/",
        "/suivi/objectifs-strategiques/abc/",
    ],
)
@pytest.mark.parametrize("role", ["grigny_lead", "agglomeration"])
def test_unknown_kinds_and_ids_are_404(role, url, fast_password_hasher):
    client = client_for(make_user(role))
    assert client.get(url).status_code == 404
    before = update_count()
    assert client.post(url, {"status": "en_cours", "progress": "1"}).status_code == 404
    assert update_count() == before


# --- Queries: constant whatever the number of commitments ----------------------------------

MAX_QUERIES = {"space": 9, "filtered space": 12, "commitment": 9, "review": 9}


def grow(so, action):
    """Many more commitments, pilots, partners and updates in Grigny."""
    partners = [factories.PartnerFactory() for _ in range(5)]
    author = factories.UserFactory(username="auteur-volume", first_name="Aïcha")
    for index in range(3):
        oo = factories.OperationalObjectiveFactory(
            strategic_objective=so, position=UNUSED_POSITION + index, pilot=partners[index]
        )
        oo.partners.set(partners)
        for position in range(8):
            new = factories.ActionFactory(
                operational_objective=oo, position=position + 1, pilot=partners[position % 5]
            )
            new.partners.set(partners[:3])
            for days in (10, 200, 500):
                report_days_ago(new, days, Status.IN_PROGRESS, 30, author=author)
        report_days_ago(oo, 5, Status.PLANNED, 0)
        factories.OperationalObjectiveFactory(
            strategic_objective=so, position=UNUSED_POSITION + 10 + index
        )
    action.partners.add(*partners)
    for days in range(1, 30):
        report_days_ago(action, days, Status.IN_PROGRESS, days, author=author)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_commitments(lead_client, django_assert_max_num_queries):
    action = first_action(grigny())
    so = action.operational_objective.strategic_objective
    report_days_ago(action, 3, Status.IN_PROGRESS, 5)
    pages = {
        "space": SPACE,
        "filtered space": f"{SPACE}?thematique=emploi&sans_pilote=on",
        "commitment": action.get_tracking_url(),
        "review": review_url(so),
    }
    lead_client.get(SPACE)  # the session is warm
    seed = {name: count_queries(lead_client, url) for name, url in pages.items()}
    grow(so, action)
    for name, url in pages.items():
        assert seed[name] <= MAX_QUERIES[name], (name, seed[name])
        with django_assert_max_num_queries(seed[name]):
            assert lead_client.get(url).status_code == 200


def test_staff_list_query_count(agglo_client, django_assert_max_num_queries):
    count = count_queries(agglo_client, SPACE)
    grow(review_objective(evry(), rows=1), first_action(evry()))
    with django_assert_max_num_queries(count):
        agglo_client.get(SPACE)


# --- The admin offers the space to leads ---------------------------------------------------


def test_a_lead_landing_on_the_admin_is_offered_the_space(lead_client):
    tree = parse(lead_client.get("/admin/"))
    offer = tree.find(".//*[@class='module lead-space-offer']")
    assert offer is not None
    assert offer.find(".//a[@href='/suivi/']") is not None


@pytest.mark.parametrize("role", ["agglomeration", "superuser"])
def test_staff_are_not_offered_the_space(role, fast_password_hasher):
    response = client_for(make_user(role)).get("/admin/")
    assert response.status_code == 200
    assert "lead-space-offer" not in response.content.decode()


@pytest.mark.parametrize("role", ["agglomeration", "superuser"])
def test_staff_are_offered_invitations_and_campaigns(role, fast_password_hasher):
    tree = parse(client_for(make_user(role)).get("/admin/"))
    shortcuts = tree.find(".//*[@class='module staff-shortcuts']")
    assert shortcuts is not None
    assert shortcuts.find(".//a[@href='/compte/invitations/']") is not None
    assert shortcuts.find(".//a[@href='/suivi/campagnes/']") is not None


def test_leads_are_not_offered_invitations(lead_client):
    assert "staff-shortcuts" not in lead_client.get("/admin/").content.decode()


def test_the_space_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(SPACE)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/suivi/"
