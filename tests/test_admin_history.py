"""History of changes, revert, and the restore of a deleted objective with its children."""

import pytest
from django.test import Client
from django.urls import reverse

from commitments.models import (
    Action,
    OperationalObjective,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
)
from commitments.services.restore import RestoreError, deleted_items, restore_deleted
from tests import factories
from tests.admin_support import build_tree, changeform_data, grigny, make_user


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def agglo(db):
    return make_user("agglomeration")


@pytest.fixture
def agglo_client(agglo):
    client = Client()
    client.force_login(agglo)
    return client


def url(model, name, *args):
    return reverse(f"admin:commitments_{model._meta.model_name}_{name}", args=args)


@pytest.mark.django_db
class TestHistory:
    def test_change_through_admin_writes_who_and_what(self, agglo, agglo_client):
        action = build_tree(grigny())["action"]
        before = action.history.count()
        data = changeform_data(agglo_client.get(url(Action, "change", action.pk)))
        data.update(status="en_cours", progress="30")
        assert agglo_client.post(url(Action, "change", action.pk), data).status_code == 302
        latest = action.history.order_by("-history_date", "-history_id").first()
        assert action.history.count() > before
        assert latest.history_user == agglo
        assert (latest.status, latest.progress) == ("en_cours", 30)
        delta = latest.diff_against(action.history.filter(version=1).first())
        assert {"status", "progress"} <= {change.field for change in delta.changes}

        page = agglo_client.get(url(Action, "history", action.pk)).content.decode()
        assert agglo.username in page

    def test_revert_restores_a_previous_version_and_records_it(self, agglo, agglo_client):
        action = build_tree(grigny())["action"]
        original_text = action.text
        action.text = "Texte modifié par erreur"
        action.save()
        first = action.history.order_by("history_date", "history_id").first()
        revert_url = reverse(
            "admin:commitments_action_simple_history", args=[action.pk, first.history_id]
        )
        data = changeform_data(agglo_client.get(revert_url))
        assert data["text"] == original_text
        response = agglo_client.post(revert_url, data)
        assert response.status_code == 302
        action.refresh_from_db()
        assert action.text == original_text
        assert action.version == 3  # 1 → 2 (the mistake) → 3 (the revert): never backwards
        latest = action.history.order_by("-history_date", "-history_id").first()
        assert latest.history_user == agglo
        assert latest.text == original_text

    def test_stale_revert_is_refused(self, agglo_client):
        action = build_tree(grigny())["action"]
        action.text = "Deuxième version"
        action.save()
        first = action.history.order_by("history_date", "history_id").first()
        revert_url = reverse(
            "admin:commitments_action_simple_history", args=[action.pk, first.history_id]
        )
        data = changeform_data(agglo_client.get(revert_url))
        action.text = "Troisième version, écrite entre-temps"
        action.save()
        response = agglo_client.post(revert_url, data)
        assert response.status_code == 200
        action.refresh_from_db()
        assert action.text == "Troisième version, écrite entre-temps"


def _deleted_tree(user):
    tree = build_tree(grigny())
    so, oo, action = tree["so"], tree["oo"], tree["action"]
    second_oo = factories.OperationalObjectiveFactory(strategic_objective=so, position=2)
    partner, axis = factories.PartnerFactory(), factories.AxisFactory()
    action.partners.add(partner)
    oo.axes.add(axis)
    oo.lead = partner
    oo.save()
    update = factories.ProgressUpdateFactory(action=action, status="en_cours", progress=60)
    ids = {
        "so": so.pk,
        "oos": {oo.pk, second_oo.pk},
        "action": action.pk,
        "update": update.pk,
        "partner": partner,
        "axis": axis,
        "texts": {so.text, oo.text, second_oo.text, action.text},
    }
    so._history_user = user
    for node in (oo, second_oo, action, update):
        node._history_user = user
    StrategicObjective.objects.get(pk=so.pk).delete()
    return ids


@pytest.mark.django_db
class TestRestore:
    def test_restore_a_deleted_strategic_objective_with_its_children(self, agglo):
        ids = _deleted_tree(agglo)
        assert not OperationalObjective.objects.filter(pk__in=ids["oos"]).exists()
        assert [item.pk for item in deleted_items(StrategicObjective)][:1] == [ids["so"]]

        result = restore_deleted(StrategicObjective, ids["so"], user=agglo)

        so = StrategicObjective.objects.get(pk=ids["so"])
        assert set(so.operational_objectives.values_list("pk", flat=True)) == ids["oos"]
        action = Action.objects.get(pk=ids["action"])
        assert action.operational_objective.strategic_objective == so
        assert list(action.partners.all()) == [ids["partner"]]
        oo = action.operational_objective
        assert list(oo.axes.all()) == [ids["axis"]]
        assert oo.lead == ids["partner"]
        update = ProgressUpdate.objects.get(pk=ids["update"])
        assert update.action == action
        assert (action.status, action.progress) == ("en_cours", 60)  # from its latest update
        assert {o.text for o in result.restored if hasattr(o, "text")} == ids["texts"]
        # The restore itself is in the history, signed.
        latest = so.history.order_by("-history_date", "-history_id").first()
        assert latest.history_user == agglo and latest.history_type == "+"
        assert deleted_items(StrategicObjective) == [] or ids["so"] not in [
            item.pk for item in deleted_items(StrategicObjective)
        ]

    def test_restore_touches_the_protocol(self, agglo):
        ids = _deleted_tree(agglo)
        protocol = Protocol.objects.get(
            sections__pk=StrategicObjective.history.filter(id=ids["so"]).first().section_id
        )
        before = protocol.last_changed_at
        restore_deleted(StrategicObjective, ids["so"], user=agglo)
        protocol.refresh_from_db()
        assert protocol.last_changed_at > before

    def test_children_deleted_separately_earlier_stay_deleted(self, agglo):
        tree = build_tree(grigny())
        kept_deleted = factories.ActionFactory(operational_objective=tree["oo"], position=2)
        kept_deleted._history_user = make_user("superuser")  # someone else, before
        kept_deleted.delete()
        StrategicObjective.objects.get(pk=tree["so"].pk).delete()
        restore_deleted(StrategicObjective, tree["so"].pk, user=agglo)
        assert Action.objects.filter(pk=tree["action"].pk).exists()
        assert not Action.objects.filter(pk=kept_deleted.pk).exists()

    def test_position_taken_meanwhile_goes_last(self, agglo):
        tree = build_tree(grigny())
        so = tree["so"]
        section, so_pk = so.section, so.pk
        so.delete()
        taken = factories.StrategicObjectiveFactory(section=section, position=so.position)
        restore_deleted(StrategicObjective, so_pk, user=agglo)
        restored = StrategicObjective.objects.get(pk=so_pk)
        assert restored.position > taken.position

    def test_refusals(self, agglo):
        tree = build_tree(grigny())
        with pytest.raises(RestoreError, match="existe déjà"):
            restore_deleted(StrategicObjective, tree["so"].pk, user=agglo)
        oo_pk = tree["oo"].pk
        StrategicObjective.objects.get(pk=tree["so"].pk).delete()
        with pytest.raises(RestoreError, match="parent"):
            restore_deleted(OperationalObjective, oo_pk, user=agglo)
        with pytest.raises(RestoreError, match="Aucune trace"):
            restore_deleted(Action, 987654321, user=agglo)

    def test_restore_through_the_admin_page(self, agglo, agglo_client):
        ids = _deleted_tree(agglo)
        deleted_url = url(StrategicObjective, "deleted")
        page = agglo_client.get(deleted_url)
        assert page.status_code == 200
        assert ids["so"] in [item.pk for item in page.context["items"]]
        response = agglo_client.post(deleted_url, {"object_id": str(ids["so"])})
        assert response.status_code == 302
        assert response["Location"] == url(StrategicObjective, "change", ids["so"])
        assert OperationalObjective.objects.filter(pk__in=ids["oos"]).count() == 2
        # A second attempt says why it cannot, without a 500.
        again = agglo_client.post(deleted_url, {"object_id": str(ids["so"])}, follow=True)
        assert "existe déjà" in again.content.decode()
        assert agglo_client.post(deleted_url, {"object_id": "x"}).status_code == 302

    def test_a_city_lead_cannot_restore(self, agglo):
        ids = _deleted_tree(agglo)
        client = Client()
        client.force_login(make_user("grigny_lead"))
        deleted_url = url(StrategicObjective, "deleted")
        assert client.get(deleted_url).status_code == 403
        assert client.post(deleted_url, {"object_id": str(ids["so"])}).status_code == 403
        assert not StrategicObjective.objects.filter(pk=ids["so"]).exists()
