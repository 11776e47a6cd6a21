"""Every write path leaves the commitments' status and progress those of their latest update,
moves `last_changed_at` of the protocols concerned (and of those only), and queues the PDFs'
refresh once for its transaction — each path calling the services itself
(services/progress_rule.py, services/elements.py, services/content_changes.py; no signal on
saves). The paths: the tracking space, the admin's add, change, delete, bulk action and bulk
deletion of updates, the deletion from a commitment's timeline, the spreadsheet import, the
restore of deleted elements with their updates, simple-history's revert of a deleted update,
moving an update to another commitment, deleting a commitment, editing a reference list or a
territory.

How "once for its transaction" is seen: each test runs in one transaction (pytest-django),
which stands for the request's; what the setup queued is dropped first, then the callbacks
waiting for the commit are counted and run, and the jobs counted.
"""

import contextlib
import datetime

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from commitments.enums import Status
from commitments.models import (
    Action,
    OperationalObjective,
    Partner,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
    ThematicSection,
)
from commitments.services.spreadsheet import ActionTrackingResource
from territories.models import Territory
from tests import factories
from tests.support.admin import (
    admin_url,
    build_tree,
    changeform_data,
    client_for,
    corbeil,
    grigny,
    make_user,
)
from tests.support.progress import assert_follows_latest_update, report
from tests.support.spreadsheet import export, fill

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

LONG_AGO = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
TODAY = timezone.localdate


def days_ago(days):
    return TODAY() - datetime.timedelta(days=days)


@contextlib.contextmanager
def recorded_once(*changed, untouched=()):
    """The block moves `last_changed_at` of the `changed` protocols and of their thematic
    sections (at least the section of what was written: one per protocol in these trees), not
    of the `untouched`, and queues one PDF refresh for when its transaction commits."""
    connection.run_on_commit.clear()  # the setup's, as if committed already
    # Jobs left by earlier tests that committed (the transactional ones) are not this block's.
    DBTaskResult.objects.filter(task_path="commitments.tasks.refresh_pdfs").delete()
    every = [*changed, *untouched]
    Protocol.objects.filter(pk__in=[p.pk for p in every]).update(last_changed_at=LONG_AGO)
    sections = ThematicSection.objects.filter(protocol__in=[p.pk for p in every])
    sections.update(last_changed_at=LONG_AGO)
    yield
    waiting = list(connection.run_on_commit)
    assert len(waiting) == 1, waiting
    connection.run_on_commit.clear()
    waiting[0][1]()  # as at the commit
    jobs = DBTaskResult.objects.filter(task_path="commitments.tasks.refresh_pdfs")
    assert jobs.count() == 1
    stamps = dict(Protocol.objects.values_list("pk", "last_changed_at"))
    assert all(stamps[p.pk] > LONG_AGO for p in changed), stamps
    assert all(stamps[p.pk] == LONG_AGO for p in untouched), stamps
    of_sections = {}
    for protocol_id, stamp in sections.values_list("protocol", "last_changed_at"):
        of_sections.setdefault(protocol_id, set()).add(stamp > LONG_AGO)
    assert all(True in of_sections[p.pk] for p in changed), of_sections
    assert all(of_sections[p.pk] == {False} for p in untouched), of_sections


def state(commitment):
    commitment.refresh_from_db()
    return commitment.status, commitment.progress


@pytest.fixture
def here():
    return build_tree(grigny())


@pytest.fixture
def elsewhere():
    return build_tree(corbeil())


# --- Progress updates -------------------------------------------------------------------------


def test_the_tracking_space(here, elsewhere):
    action = here["action"]
    client = client_for(make_user("grigny_lead"))
    data = {
        "action": "point",
        "status": "en_cours",
        "progress": "35",
        "date": TODAY().isoformat(),
        "comment": "Lancé",
        "link": "",
        "version": str(action.version),
    }
    with recorded_once(here["protocol"], untouched=[elsewhere["protocol"]]):
        assert client.post(action.get_tracking_url(), data).status_code == 302
    assert state(action) == (Status.IN_PROGRESS, 35)


def test_the_admin_adds_changes_and_deletes_an_update(here, elsewhere, agglo_client):
    oo = here["oo"]
    older = report(oo, days_ago(30), Status.PLANNED, 10)
    fields = {"operational_objective": str(oo.pk), "comment": "", "link": ""}
    with recorded_once(here["protocol"], untouched=[elsewhere["protocol"]]):
        added = {**fields, "status": "en_cours", "progress": "40", "date": str(days_ago(5))}
        assert agglo_client.post(admin_url(ProgressUpdate, "add"), added).status_code == 302
    assert state(oo) == (Status.IN_PROGRESS, 40)

    with recorded_once(here["protocol"]):
        changed = {**fields, "status": "realise", "progress": "100", "date": str(TODAY())}
        url = admin_url(ProgressUpdate, "change", older.pk)
        assert agglo_client.post(url, changed).status_code == 302
    assert state(oo) == (Status.DONE, 100)  # the corrected one is now the latest

    with recorded_once(here["protocol"]):
        url = admin_url(ProgressUpdate, "delete", older.pk)
        assert agglo_client.post(url, {"post": "yes"}).status_code == 302
    assert state(oo) == (Status.IN_PROGRESS, 40)


def test_the_admin_bulk_action(here, elsewhere, agglo_client):
    other = factories.ActionFactory(operational_objective=here["oo"], position=2)
    report(other, days_ago(10), Status.IN_PROGRESS, 60)
    data = {
        "action": "record_update",
        "_selected_action": [str(here["action"].pk), str(other.pk)],
        "status": "realise",
        "date": "",
        "comment": "",
        "index": "0",
    }
    with recorded_once(here["protocol"], untouched=[elsewhere["protocol"]]):
        assert agglo_client.post(admin_url(Action, "changelist"), data).status_code == 302
    assert state(here["action"]) == state(other) == (Status.DONE, 100)


def test_the_admin_bulk_deletion_of_updates(here, elsewhere, agglo_client):
    kept = report(here["action"], days_ago(20), Status.PLANNED, 0)
    latest = report(here["action"], days_ago(1), Status.ABANDONED, 0)
    theirs = report(elsewhere["oo"], days_ago(1), Status.DONE, 100)
    data = {"action": "delete_selected", "post": "yes", "_selected_action": [latest.pk, theirs.pk]}
    with recorded_once(here["protocol"], elsewhere["protocol"]):
        response = agglo_client.post(admin_url(ProgressUpdate, "changelist"), data)
        assert response.status_code == 302
    assert assert_follows_latest_update(here["action"]) == kept
    assert state(elsewhere["oo"]) == (Status.NOT_REPORTED, 0)


def test_deleting_an_update_from_the_commitment_s_timeline(here, agglo_client):
    action = here["action"]
    kept = report(action, days_ago(20), Status.PLANNED, 0)
    latest = report(action, days_ago(1), Status.DONE, 100)
    url = admin_url(Action, "change", action.pk)
    data = changeform_data(agglo_client.get(url))
    rows = sorted(key for key, value in data.items() if key.endswith("-id") and value)
    row = next(key for key in rows if data[key] == str(latest.pk))
    data[row.removesuffix("-id") + "-DELETE"] = "on"
    with recorded_once(here["protocol"]):
        response = agglo_client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
    assert not ProgressUpdate.objects.filter(pk=latest.pk).exists()
    assert assert_follows_latest_update(action) == kept


def test_the_spreadsheet_import(territory, agglo):
    exported = export(ActionTrackingResource, territory)
    pk = exported[0][0]
    filled = fill(exported, {pk: {"statut": "En cours", "avancement": "45", "annee_fin": "2027"}})
    protocol = Protocol.objects.get(territory=territory)
    with recorded_once(protocol):
        result = ActionTrackingResource().import_data(filled, dry_run=False, user=agglo)
        assert not result.has_errors() and not result.has_validation_errors()
    action = Action.objects.get(pk=pk)
    assert (action.status, action.progress, action.end_year) == (Status.IN_PROGRESS, 45, 2027)
    # Only the action's section: the protocol page renders the others from their cache.
    moved = ThematicSection.objects.filter(protocol=protocol, last_changed_at__gt=LONG_AGO)
    assert list(moved) == [action.operational_objective.strategic_objective.section]


def test_the_restore_of_deleted_elements_with_their_updates(here, agglo, agglo_client):
    so, action = here["so"], here["action"]
    report(action, days_ago(9), Status.PLANNED, 0)
    report(action, days_ago(3), Status.IN_PROGRESS, 70)
    deleted = admin_url(StrategicObjective, "delete", so.pk)
    assert agglo_client.post(deleted, {"post": "yes"}).status_code == 302
    assert not ProgressUpdate.objects.filter(action_id=action.pk).exists()
    with recorded_once(here["protocol"]):
        url = admin_url(StrategicObjective, "deleted")
        assert agglo_client.post(url, {"object_id": str(so.pk)}).status_code == 302
    assert state(action) == (Status.IN_PROGRESS, 70)
    assert action.updates.count() == 2


def test_the_revert_of_a_deleted_update(here, agglo_client):
    """simple-history's admin brings a deleted update back from its history: through
    save_model, the rule's own path, like any save (no signal)."""
    action = here["action"]
    report(action, days_ago(9), Status.PLANNED, 0)
    gone = report(action, days_ago(3), Status.IN_PROGRESS, 70)
    gone_pk = gone.pk
    assert agglo_client.post(admin_url(ProgressUpdate, "delete", gone_pk), {"post": "yes"})
    assert state(action) == (Status.PLANNED, 0)
    record = ProgressUpdate.history.filter(id=gone_pk).exclude(history_type="-").first()
    url = admin_url(ProgressUpdate, "simple_history", gone_pk, record.history_id)
    with recorded_once(here["protocol"]):
        response = agglo_client.post(url, changeform_data(agglo_client.get(url)))
        assert response.status_code == 302, response.content.decode()[:2000]
    assert ProgressUpdate.objects.filter(pk=gone_pk).exists()
    assert state(action) == (Status.IN_PROGRESS, 70)


def test_moving_an_update_to_another_commitment(here, elsewhere, agglo_client):
    """The commitment it leaves follows its own updates again (the case simple-history's
    post_init used to remember)."""
    first, second = here["action"], elsewhere["oo"]
    update = report(first, days_ago(2), Status.DONE, 100)
    data = {
        "operational_objective": str(second.pk),
        "date": str(update.date),
        "status": "realise",
        "progress": "100",
        "comment": "",
        "link": "",
    }
    with recorded_once(here["protocol"], elsewhere["protocol"]):
        url = admin_url(ProgressUpdate, "change", update.pk)
        assert agglo_client.post(url, data).status_code == 302
    assert state(first) == (Status.NOT_REPORTED, 0)
    assert state(second) == (Status.DONE, 100)


def test_deleting_a_commitment(here, elsewhere, agglo_client):
    oo, action = here["oo"], here["action"]
    report(action, days_ago(1), Status.DONE, 100)
    report(oo, days_ago(1), Status.IN_PROGRESS, 20)
    with recorded_once(here["protocol"], untouched=[elsewhere["protocol"]]):
        url = admin_url(Action, "delete", action.pk)
        assert agglo_client.post(url, {"post": "yes"}).status_code == 302
    assert not ProgressUpdate.objects.filter(action_id=action.pk).exists()
    assert state(oo) == (Status.IN_PROGRESS, 20)  # its own updates, untouched


# --- The text, the reference lists, the territories -------------------------------------------


def test_editing_a_commitment_s_text_and_moving_it_to_another_protocol(
    here, elsewhere, agglo_client
):
    action = here["action"]
    url = admin_url(Action, "change", action.pk)
    data = changeform_data(agglo_client.get(url))
    data["text"] = "Intitulé revu"
    with recorded_once(here["protocol"], untouched=[elsewhere["protocol"]]):
        assert agglo_client.post(url, data).status_code == 302
    data = changeform_data(agglo_client.get(url))
    data["operational_objective"] = str(elsewhere["oo"].pk)
    with recorded_once(here["protocol"], elsewhere["protocol"]):
        assert agglo_client.post(url, data).status_code == 302
    assert OperationalObjective.objects.get(actions=action) == elsewhere["oo"]
    assert Action.objects.get(pk=action.pk).position == 2  # after its new sibling


def test_a_reference_list_changes_every_protocol(here, elsewhere, agglo_client):
    partner = factories.PartnerFactory()
    url = admin_url(Partner, "change", partner.pk)
    data = changeform_data(agglo_client.get(url))
    data["name"] = "Partenaire renommé"
    with recorded_once(here["protocol"], elsewhere["protocol"]):
        assert agglo_client.post(url, data).status_code == 302
    assert Partner.objects.get(pk=partner.pk).name == "Partenaire renommé"


def test_a_territory_changes_every_protocol(here, elsewhere, agglo_client):
    """territories/admin.py announces its writes (territories/changes.py): the one signal."""
    territory = here["protocol"].territory
    url = admin_url(Territory, "change", territory.pk)
    data = changeform_data(agglo_client.get(url))
    data["subtitle"] = "Ville renommée"
    with recorded_once(here["protocol"], elsewhere["protocol"]):
        assert agglo_client.post(url, data).status_code == 302
    with recorded_once(here["protocol"], elsewhere["protocol"]):
        reorder = admin_url(Territory, "reorder")
        assert agglo_client.post(reorder, {"deplacer": f"{territory.pk}:monter"}).status_code == 302
