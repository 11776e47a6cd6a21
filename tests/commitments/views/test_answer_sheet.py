"""A lead's answer sheet of a campaign (commitments/views/answer_sheet.py): the permission
matrix (GET and POST), what it shows and filters, a row answered without JavaScript (post,
redirect to the row with a message; an error next to the row's field, 400) and with it (JSON),
« rien de nouveau » (confirmed status; the status observed for a commitment never reported),
the bulk « rien de nouveau » and its confirmation, conflicts, constant query counts."""

import json

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, ProgressUpdate
from commitments.services.campaign_lifecycle import close_campaign
from tests.support.admin import client_for, make_user
from tests.support.campaigns import (
    MATRIX_ROLES,
    days_ago,
    lead_of,
    matrix_user,
    new_campaign,
    report_in_period,
    town,
)

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def staff(fast_password_hasher):
    return make_user("agglomeration")


@pytest.fixture
def setup(staff):
    """A campaign concerning "ours" (3 commitments: leaves[0] reported before the period,
    leaves[1] reported in it, leaves[2] never) and not "theirs"."""
    ours, leaves = town("Notre ville", slug="notre-ville")
    theirs, their_leaves = town("Autre ville", slug="autre-ville")
    from tests.support.progress import report

    report(leaves[0], days_ago(200), Status.IN_PROGRESS, 30, comment="Lancé <b>")
    report_in_period(leaves[1], Status.PLANNED, 0)
    campaign_ = new_campaign(staff, [ours], title="Campagne <2026>")
    other = new_campaign(staff, [theirs], title="Pas la nôtre")
    for leaf in (*leaves, *their_leaves):
        leaf.refresh_from_db()
    return {
        "ours": ours,
        "theirs": theirs,
        "leaves": leaves,
        "their_leaves": their_leaves,
        "campaign": campaign_,
        "other": other,
    }


def row_url(campaign_, leaf):
    return f"/suivi/campagnes/{campaign_.pk}/engagements/{leaf.kind}/{leaf.pk}/"


def bulk_url(campaign_):
    return f"/suivi/campagnes/{campaign_.pk}/rien-de-nouveau/"


def lead_client(setup):
    return client_for(lead_of(setup["ours"], "cheffe-ici"))


def answer(leaf, **fields):
    data = {"version": leaf.version, "status": "", "progress": leaf.progress, "comment": ""}
    data.update({"link": "", "action": "enregistrer"}, **fields)
    return data


# --- The permission matrix ------------------------------------------------------------------

# GET the sheet, POST a row, POST the bulk, per role in MATRIX_ROLES order (anonymous, lead,
# other lead, agglomeration, superuser): 302 = login for anonymous, back to the sheet for the
# lead; staff get the steering page on GET and 403 on the sheet's POSTs.
MATRIX = {
    "get": (302, 200, 404, 200, 200),
    "row": (302, 302, 404, 403, 403),
    "bulk": (302, 302, 404, 403, 403),
}


@pytest.mark.parametrize("role", MATRIX_ROLES)
@pytest.mark.parametrize("what", list(MATRIX))
def test_permission_matrix(setup, role, what):
    expected = MATRIX[what][MATRIX_ROLES.index(role)]
    user = matrix_user(role, setup["ours"], setup["theirs"])
    client = client_for(user)
    campaign_, leaf = setup["campaign"], setup["leaves"][2]
    before = ProgressUpdate.objects.count()
    if what == "get":
        response = client.get(campaign_.get_absolute_url())
    elif what == "row":
        response = client.post(row_url(campaign_, leaf), answer(leaf, status=Status.PLANNED))
    else:
        response = client.post(
            bulk_url(campaign_),
            {
                "engagements": f"{leaf.kind}-{leaf.pk}:{leaf.version}",
                "statut_constate": Status.PLANNED,
                "confirmer": "oui",
            },
        )
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    written = ProgressUpdate.objects.count() - before
    assert written == (1 if what != "get" and role == "lead" else 0)
    if what == "get" and expected == 200:
        page = response.content.decode()
        is_sheet = "vos réponses" in page
        assert is_sheet == (role == "lead")


def test_another_territorys_commitment_is_not_found(setup):
    # A lead of both towns, on a campaign of "ours" only: their other commitment is not on it.
    lead = lead_of(setup["ours"], "cheffe-deux")
    from tests import factories

    factories.MembershipFactory(user=lead, territory=setup["theirs"])
    leaf = setup["their_leaves"][0]
    response = client_for(lead).post(
        row_url(setup["campaign"], leaf), answer(leaf, status=Status.PLANNED)
    )
    assert response.status_code == 404
    assert not ProgressUpdate.objects.filter(operational_objective=leaf).exists()


def test_other_methods_are_refused(setup):
    client = lead_client(setup)
    leaf = setup["leaves"][0]
    assert client.get(row_url(setup["campaign"], leaf)).status_code == 405
    assert client.get(bulk_url(setup["campaign"])).status_code == 405
    assert client.put(setup["campaign"].get_absolute_url()).status_code == 405


# --- What the sheet shows -------------------------------------------------------------------


def test_the_sheet_lists_what_is_left_by_default_and_filters(setup):
    client = lead_client(setup)
    leaves = setup["leaves"]
    page = client.get(setup["campaign"].get_absolute_url()).content.decode()
    assert "2 engagements sur 3 restent à renseigner" in page
    assert f'id="engagement-{leaves[0].kind}-{leaves[0].pk}"' in page
    assert f'id="engagement-{leaves[1].kind}-{leaves[1].pk}"' not in page  # answered
    assert "Lancé &lt;b&gt;" in page  # the last comment, escaped
    assert "Engagements : 2 affichés sur 3" in page
    everything = client.get(setup["campaign"].get_absolute_url(), {"filtres": "1"})
    assert f'id="engagement-{leaves[1].kind}-{leaves[1].pk}"' in everything.content.decode()
    planned = client.get(
        setup["campaign"].get_absolute_url(), {"filtres": "1", "statut": Status.PLANNED}
    ).content.decode()
    assert "Engagements : 1 affiché sur 3" in planned
    thematic = leaves[0].section.thematic
    by_thematic = client.get(
        setup["campaign"].get_absolute_url(), {"filtres": "1", "thematique": thematic.slug}
    )
    assert "Engagements : 3 affichés sur 3" in by_thematic.content.decode()


def test_an_invalid_filter_is_a_400_with_a_french_message(setup):
    response = lead_client(setup).get(
        setup["campaign"].get_absolute_url(), {"filtres": "1", "statut": "nimporte"}
    )
    assert response.status_code == 400
    assert "Ce statut n&#x27;existe pas" in response.content.decode()


def test_a_closed_campaign_shows_the_lead_its_report(setup, staff):
    close_campaign(setup["campaign"], staff)
    client = lead_client(setup)
    page = client.get(setup["campaign"].get_absolute_url()).content.decode()
    assert "vos réponses" not in page and "bilan.pdf" in page
    leaf = setup["leaves"][2]
    response = client.post(row_url(setup["campaign"], leaf), answer(leaf, status=Status.PLANNED))
    assert response.status_code == 302
    assert not leaf.updates.exists()
    response = client.post(
        row_url(setup["campaign"], leaf), answer(leaf, status=Status.PLANNED), **JSON
    )
    assert response.status_code == 409 and "clôturée" in response.json()["message"]


# --- A row, without JavaScript --------------------------------------------------------------


def test_a_row_posts_and_returns_to_the_row_with_a_message(setup):
    client = lead_client(setup)
    campaign_, leaf = setup["campaign"], setup["leaves"][0]
    data = answer(
        leaf,
        status=Status.IN_PROGRESS,
        progress=60,
        comment="Deux ateliers",
        link="https://example.org/cr",
        retour="filtres=1&statut=en_cours",
    )
    response = client.post(row_url(campaign_, leaf), data)
    assert response.status_code == 302
    anchor = f"#engagement-{leaf.kind}-{leaf.pk}"
    assert response["Location"].endswith(anchor)
    assert "statut=en_cours" in response["Location"]
    update = leaf.updates.latest_first().first()
    assert (update.status, update.progress, update.comment, update.link) == (
        Status.IN_PROGRESS,
        60,
        "Deux ateliers",
        "https://example.org/cr",
    )
    # Dated in the campaign's period (its end, the period being past): it counts.
    assert update.date == campaign_.period_end
    page = client.get(response["Location"]).content.decode()
    assert "Réponse enregistrée au" in page and "« En cours », 60 %" in page
    assert "1 engagement sur 3 reste à renseigner" in page


def test_save_and_next_returns_to_the_next_row(setup):
    client = lead_client(setup)
    campaign_, leaves = setup["campaign"], setup["leaves"]
    response = client.post(
        row_url(campaign_, leaves[0]),
        answer(leaves[0], status=Status.DONE, action="enregistrer-suivant"),
    )
    # leaves[1] is answered already: the next row left to answer is leaves[2].
    assert response["Location"].endswith(f"#engagement-{leaves[2].kind}-{leaves[2].pk}")
    assert leaves[0].updates.latest_first().first().progress == 100  # « réalisé ⇒ 100 % »
    # The saved row stays on the page, though answered.
    page = client.get(response["Location"]).content.decode()
    assert f'id="engagement-{leaves[0].kind}-{leaves[0].pk}"' in page


def test_an_error_is_shown_next_to_the_rows_field_and_nothing_is_lost(setup):
    client = lead_client(setup)
    campaign_, leaf = setup["campaign"], setup["leaves"][2]
    data = answer(leaf, status=Status.IN_PROGRESS, progress=140, comment="Gardé <i>")
    response = client.post(row_url(campaign_, leaf), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "L&#x27;avancement ne peut pas dépasser 100 %" in page
    assert f'id="id_{leaf.kind}-{leaf.pk}_progress"' in page
    assert 'aria-invalid="true"' in page
    assert "Gardé &lt;i&gt;</textarea>" in page
    assert not leaf.updates.exists()


def test_a_status_is_required(setup):
    client = lead_client(setup)
    leaf = setup["leaves"][2]
    response = client.post(row_url(setup["campaign"], leaf), answer(leaf))
    assert response.status_code == 400
    assert "Choisissez le statut constaté" in response.content.decode()


# --- « Rien de nouveau » --------------------------------------------------------------------


def test_nothing_new_confirms_the_current_status(setup):
    client = lead_client(setup)
    campaign_, leaf = setup["campaign"], setup["leaves"][0]
    data = answer(leaf, status=leaf.status, action="rien-de-nouveau")
    response = client.post(row_url(campaign_, leaf), data)
    assert response.status_code == 302
    update = leaf.updates.latest_first().first()
    assert update.confirmation and (update.status, update.progress) == (Status.IN_PROGRESS, 30)
    assert update.date == campaign_.period_end


def test_nothing_new_refuses_a_changed_status(setup):
    client = lead_client(setup)
    leaf = setup["leaves"][0]
    data = answer(leaf, status=Status.DONE, action="rien-de-nouveau")
    response = client.post(row_url(setup["campaign"], leaf), data)
    assert response.status_code == 400
    assert "« Rien de nouveau » confirme la situation actuelle" in response.content.decode()
    assert leaf.updates.count() == 1


def test_nothing_new_on_a_commitment_never_reported_asks_the_status(setup):
    client = lead_client(setup)
    campaign_, leaf = setup["campaign"], setup["leaves"][2]
    response = client.post(row_url(campaign_, leaf), answer(leaf, action="rien-de-nouveau"))
    assert response.status_code == 400
    assert "Choisissez le statut constaté" in response.content.decode()
    response = client.post(
        row_url(campaign_, leaf), answer(leaf, status=Status.PLANNED, action="rien-de-nouveau")
    )
    assert response.status_code == 302
    update = leaf.updates.get()
    assert (update.status, update.progress, update.date) == (
        Status.PLANNED,
        0,
        campaign_.period_end,
    )
    leaf.refresh_from_db()
    assert leaf.status == Status.PLANNED  # a confirmation of « prévu » is a real answer


# --- A row, with JavaScript -----------------------------------------------------------------


def test_a_row_answers_json_with_its_html_and_the_counts(setup):
    client = lead_client(setup)
    campaign_, leaf = setup["campaign"], setup["leaves"][2]
    response = client.post(
        row_url(campaign_, leaf),
        answer(leaf, status=Status.PLANNED, action="rien-de-nouveau"),
        **JSON,
    )
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] and data["next"]
    assert (data["reported"], data["missing"], data["total"]) == (2, 1, 3)
    assert "1 engagement sur 3 reste à renseigner" in data["summary"]
    assert f'id="engagement-{leaf.kind}-{leaf.pk}"' in data["row"]
    assert "Renseigné pour la campagne" in data["row"]
    leaf.refresh_from_db()
    assert f'value="{leaf.version}"' in data["row"]  # the next answer passes the check
    error = client.post(row_url(campaign_, leaf), answer(leaf, status="x"), **JSON)
    assert error.status_code == 400 and not error.json()["ok"]
    assert "Choisissez le statut constaté dans la liste" in error.json()["row"]


def test_a_row_changed_meanwhile_is_refused_and_kept(setup, staff):
    client = lead_client(setup)
    campaign_, leaf = setup["campaign"], setup["leaves"][2]
    stale = answer(leaf, status=Status.IN_PROGRESS, progress=20, comment="Ma saisie")
    from commitments.services.progress_rule import record_update

    record_update(leaf, status=Status.DONE, progress=100, date=days_ago(1), author=staff)
    response = client.post(row_url(campaign_, leaf), stale)
    assert response.status_code == 400
    page = response.content.decode()
    assert "modifié entre-temps" in page and "Ma saisie</textarea>" in page
    assert leaf.updates.count() == 1
    response = client.post(row_url(campaign_, leaf), stale, **JSON)
    assert response.status_code == 400
    assert "modifié entre-temps" in response.json()["row"]


# --- « Rien de nouveau » for the ticked rows ------------------------------------------------


def ticked(*leaves):
    return [f"{leaf.kind}-{leaf.pk}:{leaf.version}" for leaf in leaves]


def test_bulk_asks_a_confirmation_naming_how_many_then_records(setup):
    client = lead_client(setup)
    campaign_, leaves = setup["campaign"], setup["leaves"]
    data = {"engagements": ticked(leaves[0], leaves[2]), "retour": "filtres=1"}
    response = client.post(bulk_url(campaign_), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Rien de nouveau pour 2 engagements ?" in page
    assert "Confirmer « rien de nouveau » pour 2 engagements" in page
    assert not ProgressUpdate.objects.filter(date=campaign_.period_end).exists()
    # One was never reported: its status is asked for.
    response = client.post(bulk_url(campaign_), {**data, "confirmer": "oui"})
    assert response.status_code == 400
    assert "Choisissez le statut constaté" in response.content.decode()
    response = client.post(
        bulk_url(campaign_), {**data, "confirmer": "oui", "statut_constate": Status.PLANNED}
    )
    assert response.status_code == 302 and response["Location"].endswith("?filtres=1#feuille")
    confirmed = leaves[0].updates.latest_first().first()
    assert confirmed.confirmation and confirmed.status == Status.IN_PROGRESS
    first = leaves[2].updates.get()
    assert (first.status, first.date) == (Status.PLANNED, campaign_.period_end)
    page = client.get(response["Location"]).content.decode()
    assert "« Rien de nouveau » est enregistré pour 2 engagements" in page
    assert "Tous les engagements (3) sont renseignés" in page


def test_bulk_without_any_row_or_with_a_stale_one_writes_nothing(setup, staff):
    client = lead_client(setup)
    campaign_, leaves = setup["campaign"], setup["leaves"]
    response = client.post(bulk_url(campaign_), {"confirmer": "oui"})
    assert response.status_code == 400
    assert "Cochez au moins un engagement" in response.content.decode()
    data = {"engagements": ticked(leaves[0], leaves[1]), "confirmer": "oui"}
    from tests.support.progress import report

    report(leaves[1], days_ago(20), Status.DONE, 100)  # changed meanwhile
    response = client.post(bulk_url(campaign_), data)
    assert response.status_code == 400
    assert "a été modifié entre-temps" in response.content.decode()
    assert leaves[0].updates.count() == 1  # all or nothing


# --- Query counts ---------------------------------------------------------------------------


def _grow(territory, count):
    from tests import factories

    section = territory.protocols.get().sections.get()
    for _ in range(count):
        factories.ActionFactory(operational_objective__strategic_objective__section=section)


def test_query_counts_are_constant_at_3_and_60_commitments(staff, django_assert_num_queries):
    territory, leaves = town("Ville suivie", slug="ville-suivie")
    lead = lead_of(territory, "chef-suivi")
    campaign_ = new_campaign(staff, [territory])
    client = client_for(lead)
    url = campaign_.get_absolute_url()
    client.get(url)  # the process's caches
    leaf = leaves[2]

    def measure():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        counts = []
        with CaptureQueriesContext(connection) as get:
            assert client.get(url, {"filtres": "1"}).status_code == 200
        counts.append(len(get))
        leaf.refresh_from_db()
        with CaptureQueriesContext(connection) as post:
            response = client.post(
                row_url(campaign_, leaf), answer(leaf, status=Status.PLANNED), **JSON
            )
            assert response.status_code == 200
        counts.append(len(post))
        return counts

    small = measure()
    _grow(territory, 57)
    assert Action.objects.count() + OperationalObjective.objects.count() >= 60
    assert measure() == small


def test_json_is_valid_for_every_outcome(setup):
    client = lead_client(setup)
    leaf = setup["leaves"][2]
    response = client.post(row_url(setup["campaign"], leaf), answer(leaf, status="prevu"), **JSON)
    json.loads(response.content)
