"""Progress updates in the admin (admin/update_admin.py): the bulk action of the lists records
one dated update per selected commitment (services/progress_rule.record_updates), the
progress-update admin validates every update; whatever the path, status and progress are those
of the latest update."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, ProgressUpdate, Protocol
from commitments.services.progress_rule import record_updates
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
from tests.support.progress import (
    VALID_UPDATE,
    assert_follows_latest_update,
    bad_update_params,
    report,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

TODAY = timezone.localdate


def bulk_record(client, model, pks, follow=True, **fields):
    """The list's bulk action, as the admin page posts it."""
    data = {
        "action": "record_update",
        "_selected_action": [str(pk) for pk in pks],
        "status": "",
        "date": "",
        "comment": "",
        "index": "0",
        **fields,
    }
    return client.post(admin_url(model, "changelist"), data, follow=follow)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)] or [
        str(message) for message in response.context["messages"]
    ]


class TestBulkRecordUpdate:
    def test_one_dated_update_per_selected_commitment(self):
        tree = build_tree(grigny())
        other = factories.ActionFactory(operational_objective=tree["oo"], position=2)
        partner = factories.PartnerFactory()
        other.partners.add(partner)
        report(other, TODAY() - datetime.timedelta(days=30), Status.PLANNED, 20)
        protocol = tree["protocol"]
        Protocol.objects.filter(pk=protocol.pk).update(last_changed_at="2000-01-01T00:00Z")
        user = make_user("agglomeration")
        versions = {action.pk: action.version for action in (tree["action"], other)}

        response = bulk_record(
            client_for(user),
            Action,
            [tree["action"].pk, other.pk],
            follow=False,
            status="en_cours",
            date=(TODAY() - datetime.timedelta(days=2)).isoformat(),
            comment="Revue annuelle",
        )
        assert response.status_code == 302
        assert any(
            "« En cours » enregistré pour 2 engagement(s)" in m for m in messages_of(response)
        )
        for action in (tree["action"], other):
            latest = assert_follows_latest_update(action)
            assert action.status == Status.IN_PROGRESS
            assert (latest.date, latest.author, latest.comment) == (
                TODAY() - datetime.timedelta(days=2),
                user,
                "Revue annuelle",
            )
            assert action.version == versions[action.pk] + 1  # an open form is now stale
            # Who recorded it is in the update's history.
            assert latest.history.get().history_user == user
        assert other.progress == 20  # the progress it had: only the status was chosen
        # The commitment keeps its partners (the rule writes status and progress only).
        assert list(other.partners.all()) == [partner]
        protocol.refresh_from_db()
        assert protocol.last_changed_at.year > 2000

    def test_done_means_100_and_an_empty_date_means_today(self):
        oo = build_tree(grigny())["oo"]
        response = bulk_record(
            client_for(make_user("agglomeration")), OperationalObjective, [oo.pk], status="realise"
        )
        assert response.status_code == 200
        latest = assert_follows_latest_update(oo)
        assert (oo.status, oo.progress, latest.date) == (Status.DONE, 100, TODAY())

    def test_lead_records_only_on_own_territory(self):
        mine, theirs = build_tree(grigny())["action"], build_tree(corbeil())["action"]
        lead = make_user("grigny_lead")
        response = bulk_record(client_for(lead), Action, [mine.pk, theirs.pk], status="prevu")
        assert "1 engagement(s) d&#x27;un autre territoire" in response.content.decode()
        assert assert_follows_latest_update(mine).author == lead
        assert mine.status == "prevu"
        assert assert_follows_latest_update(theirs) is None
        assert theirs.status == "non_renseigne"

    def test_missing_status_records_nothing(self):
        action = build_tree(grigny())["action"]
        response = bulk_record(client_for(make_user("agglomeration")), Action, [action.pk])
        assert "Choisissez le statut constaté" in response.content.decode()
        assert not action.updates.exists()
        assert assert_follows_latest_update(action) is None

    @pytest.mark.parametrize(
        ("changes", "field", "message"), bad_update_params(only=("date", "status", "comment"))
    )
    def test_an_invalid_update_is_refused_with_a_clear_message(self, changes, field, message):
        tree = build_tree(grigny())
        actions = [tree["action"], factories.ActionFactory(operational_objective=tree["oo"])]
        fields = {"status": "en_cours", **changes}
        fields.pop("progress", None)  # the bulk action has no progress field
        if "date" in fields:
            fields["date"] = fields["date"].isoformat()
        response = bulk_record(
            client_for(make_user("agglomeration")), Action, [a.pk for a in actions], **fields
        )
        assert response.status_code == 200
        messages = messages_of(response)
        assert any(message in text for text in messages), messages
        assert not ProgressUpdate.objects.filter(action__in=actions).exists()
        for action in actions:
            assert assert_follows_latest_update(action) is None

    def test_an_unreadable_date_is_named(self):
        action = build_tree(grigny())["action"]
        response = bulk_record(
            client_for(make_user("agglomeration")),
            Action,
            [action.pk],
            status="en_cours",
            date="31/02/2024",
        )
        messages = messages_of(response)
        assert any("Date du point" in text and "date valide" in text for text in messages)
        assert not action.updates.exists()

    def test_service_runs_in_constant_queries(self, django_assert_max_num_queries):
        tree = build_tree(grigny())
        for position in range(2, 30):
            factories.ActionFactory(operational_objective=tree["oo"], position=position)
        user = make_user("agglomeration")
        queryset = Action.objects.filter(operational_objective=tree["oo"])
        with django_assert_max_num_queries(15):
            recorded, refused = record_updates(
                queryset, status="realise", date=TODAY(), author=user
            )
        assert (recorded, refused) == (29, 0)
        assert queryset.filter(status="realise", progress=100).count() == 29
        # Recorded again: 29 more dated updates; every version moves (a form loaded before
        # them is stale), in the same single UPDATE.
        versions = set(queryset.values_list("version", flat=True))
        with django_assert_max_num_queries(15):
            assert record_updates(queryset, status="realise", date=TODAY(), author=user) == (29, 0)
        assert ProgressUpdate.objects.filter(action__in=queryset).count() == 58
        assert set(queryset.values_list("version", flat=True)) == {v + 1 for v in versions}


def update_form_data(target, **fields):
    field = "action" if isinstance(target, Action) else "operational_objective"
    values = {**VALID_UPDATE, "date": TODAY(), **fields}
    return {
        field: str(target.pk),
        **{name: str(value) if value is not None else "" for name, value in values.items()},
    }


class TestProgressUpdateAdmin:
    """The list of every update; staff add, correct and delete them there."""

    def test_adding_an_update_applies_the_rule_and_signs_it(self, agglo, agglo_client):
        action = build_tree(grigny())["action"]
        report(action, TODAY() - datetime.timedelta(days=10), Status.PLANNED, 10)
        response = agglo_client.post(
            admin_url(ProgressUpdate, "add"),
            update_form_data(action, status="en_cours", progress=35, comment="Lancé"),
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        latest = assert_follows_latest_update(action)
        assert (action.status, action.progress) == (Status.IN_PROGRESS, 35)
        assert (latest.author, latest.comment) == (agglo, "Lancé")

    def test_correcting_and_deleting_updates_resync_the_commitment(self, agglo_client):
        oo = build_tree(grigny())["oo"]
        older = report(oo, TODAY() - datetime.timedelta(days=30), Status.PLANNED, 10)
        latest = report(oo, TODAY() - datetime.timedelta(days=5), Status.IN_PROGRESS, 40)
        # Corrected into the latest one: it now sets the status.
        data = update_form_data(oo, status="realise", progress=100, date=TODAY())
        response = agglo_client.post(admin_url(ProgressUpdate, "change", older.pk), data)
        assert response.status_code == 302, response.content.decode()[:3000]
        assert assert_follows_latest_update(oo) == older
        assert (oo.status, oo.progress) == (Status.DONE, 100)
        # Deleted: the one before it sets the status again.
        response = agglo_client.post(admin_url(ProgressUpdate, "delete", older.pk), {"post": "yes"})
        assert response.status_code == 302
        assert assert_follows_latest_update(oo) == latest
        assert (oo.status, oo.progress) == (Status.IN_PROGRESS, 40)

    @pytest.mark.parametrize(("changes", "field", "message"), bad_update_params())
    def test_an_invalid_update_is_refused_next_to_its_field(
        self, changes, field, message, agglo_client
    ):
        action = build_tree(grigny())["action"]
        report(action, TODAY() - datetime.timedelta(days=10), Status.PLANNED, 10)
        values = {
            # As typed in the admin's date field (dd/mm/yyyy, the year on 4 digits).
            name: f"{value.day:02}/{value.month:02}/{value.year:04}"
            if isinstance(value, datetime.date)
            else value
            for name, value in changes.items()
        }
        response = agglo_client.post(
            admin_url(ProgressUpdate, "add"), update_form_data(action, **values)
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert set(errors) == {field}, errors
        assert any(message in text for text in errors[field]), errors
        assert message.replace("'", "&#x27;") in response.content.decode()
        assert action.updates.count() == 1  # nothing saved
        assert (assert_follows_latest_update(action).status, action.progress) == (
            Status.PLANNED,
            10,
        )

    def test_one_target_exactly(self, agglo_client):
        tree = build_tree(grigny())
        data = {**update_form_data(tree["action"]), "operational_objective": str(tree["oo"].pk)}
        response = agglo_client.post(admin_url(ProgressUpdate, "add"), data)
        assert response.status_code == 200
        assert "un seul des deux" in response.content.decode()
        assert not ProgressUpdate.objects.filter(action=tree["action"]).exists()

    def test_a_lead_reads_the_updates_but_records_them_elsewhere(self):
        action = build_tree(grigny())["action"]
        update = report(action, TODAY(), Status.PLANNED, 0)
        client = client_for(make_user("grigny_lead"))
        assert client.get(admin_url(ProgressUpdate, "changelist")).status_code == 200
        assert client.get(admin_url(ProgressUpdate, "add")).status_code == 403
        response = client.post(admin_url(ProgressUpdate, "add"), update_form_data(action))
        assert response.status_code == 403
        response = client.post(
            admin_url(ProgressUpdate, "change", update.pk),
            update_form_data(action, status="realise", progress=100),
        )
        assert response.status_code == 403
        assert action.updates.get() == update
        assert assert_follows_latest_update(action).status == Status.PLANNED


class TestChangeForm:
    def test_saving_the_change_form_keeps_the_latest_updates_status(self, agglo_client):
        """The change form shows status and progress read-only; a forged POST of them, or a
        save of other fields, leaves those of the latest update."""
        action = build_tree(grigny())["action"]
        report(action, TODAY() - datetime.timedelta(days=3), Status.IN_PROGRESS, 60)
        url = admin_url(Action, "change", action.pk)
        page = agglo_client.get(url)
        assert {"status", "progress"} <= set(page.context["adminform"].readonly_fields)
        assert "status" not in page.context["adminform"].form.fields
        data = changeform_data(page)
        data.update(status="abandonne", progress="5", text="Intitulé revu", end_year="2025")
        assert agglo_client.post(url, data).status_code == 302
        assert assert_follows_latest_update(action).progress == 60
        assert (action.text, action.end_year) == ("Intitulé revu", 2025)
        assert (action.status, action.progress) == (Status.IN_PROGRESS, 60)

    def test_reverting_to_an_old_version_keeps_the_current_status(self, agglo_client):
        """A revert restores the text, never the status the history held then."""
        action = build_tree(grigny())["action"]
        report(action, TODAY() - datetime.timedelta(days=20), Status.PLANNED, 10)
        action.text = "Ancien intitulé"
        action.save()  # a history record while the action was "prévu 10 %"
        old = action.history.order_by("-history_date", "-history_id").first()
        assert (old.status, old.progress) == (Status.PLANNED, 10)
        action.text = "Nouvel intitulé"
        action.save()
        report(action, TODAY(), Status.IN_PROGRESS, 70)

        url = admin_url(Action, "simple_history", action.pk, old.history_id)
        response = agglo_client.post(url, changeform_data(agglo_client.get(url)))
        assert response.status_code == 302, response.content.decode()[:3000]
        assert assert_follows_latest_update(action).progress == 70
        assert action.text == "Ancien intitulé"
        assert (action.status, action.progress) == (Status.IN_PROGRESS, 70)
