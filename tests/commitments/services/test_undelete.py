"""The restore of a deleted objective with its children (services/undelete.py), and its admin
page. The `agglo` and `agglo_client` fixtures are in tests/conftest.py."""

import pytest

from commitments.models import (
    Action,
    Indicator,
    IndicatorValue,
    OperationalObjective,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
)
from commitments.services.undelete import UndeleteError, deleted_items, undelete
from tests import factories
from tests.support.admin import admin_url, build_tree, client_for, grigny, make_user

pytestmark = pytest.mark.usefixtures("fast_password_hasher")


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

        result = undelete(StrategicObjective, ids["so"], user=agglo)

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
        undelete(StrategicObjective, ids["so"], user=agglo)
        protocol.refresh_from_db()
        assert protocol.last_changed_at > before

    def test_children_deleted_separately_earlier_stay_deleted(self, agglo):
        tree = build_tree(grigny())
        kept_deleted = factories.ActionFactory(operational_objective=tree["oo"], position=2)
        kept_deleted._history_user = make_user("superuser")  # someone else, before
        kept_deleted.delete()
        StrategicObjective.objects.get(pk=tree["so"].pk).delete()
        undelete(StrategicObjective, tree["so"].pk, user=agglo)
        assert Action.objects.filter(pk=tree["action"].pk).exists()
        assert not Action.objects.filter(pk=kept_deleted.pk).exists()

    def test_position_taken_meanwhile_goes_last(self, agglo):
        tree = build_tree(grigny())
        so = tree["so"]
        section, so_pk = so.section, so.pk
        so.delete()
        taken = factories.StrategicObjectiveFactory(section=section, position=so.position)
        undelete(StrategicObjective, so_pk, user=agglo)
        restored = StrategicObjective.objects.get(pk=so_pk)
        assert restored.position > taken.position

    def test_refusals(self, agglo):
        tree = build_tree(grigny())
        with pytest.raises(UndeleteError, match="existe déjà"):
            undelete(StrategicObjective, tree["so"].pk, user=agglo)
        oo_pk = tree["oo"].pk
        StrategicObjective.objects.get(pk=tree["so"].pk).delete()
        with pytest.raises(UndeleteError, match="parent"):
            undelete(OperationalObjective, oo_pk, user=agglo)
        with pytest.raises(UndeleteError, match="Aucune trace"):
            undelete(Action, 987654321, user=agglo)

    def test_restore_through_the_admin_page(self, agglo, agglo_client):
        ids = _deleted_tree(agglo)
        deleted_url = admin_url(StrategicObjective, "deleted")
        page = agglo_client.get(deleted_url)
        assert page.status_code == 200
        assert ids["so"] in [item.pk for item in page.context["items"]]
        response = agglo_client.post(deleted_url, {"object_id": str(ids["so"])})
        assert response.status_code == 302
        assert response["Location"] == admin_url(StrategicObjective, "change", ids["so"])
        assert OperationalObjective.objects.filter(pk__in=ids["oos"]).count() == 2
        # A second attempt says why it cannot, without a 500.
        again = agglo_client.post(deleted_url, {"object_id": str(ids["so"])}, follow=True)
        assert "existe déjà" in again.content.decode()
        assert agglo_client.post(deleted_url, {"object_id": "x"}).status_code == 302

    def test_indicators_come_back_with_their_commitment(self, agglo):
        tree = build_tree(grigny())
        indicator = factories.IndicatorFactory(action=tree["action"], target_value=50)
        value = factories.IndicatorValueFactory(indicator=indicator, year=2017, value=35)
        on_objective = factories.IndicatorFactory(
            operational_objective=tree["oo"], action=None, scope="Grande Borne"
        )
        taken = factories.IndicatorFactory(strategic_objective=tree["so"], action=None)
        gone = factories.IndicatorFactory(action=tree["action"])
        StrategicObjective.objects.get(pk=tree["so"].pk).delete()
        # Meanwhile: a new indicator takes a deleted one's place, a definition is deleted.
        factories.IndicatorFactory(
            definition=taken.definition, action=build_tree(grigny())["action"]
        )
        gone.definition.delete()
        undelete(StrategicObjective, tree["so"].pk, user=agglo)
        assert set(Indicator.objects.filter(territory=grigny()).values_list("pk", flat=True)) >= {
            indicator.pk,
            on_objective.pk,
        }
        assert not Indicator.objects.filter(pk__in=[taken.pk, gone.pk]).exists()
        restored = IndicatorValue.objects.get(pk=value.pk)
        assert (restored.indicator_id, restored.year, restored.value) == (indicator.pk, 2017, 35)
        assert Indicator.objects.get(pk=indicator.pk).target_value == 50

    def test_a_city_lead_cannot_restore(self, agglo):
        ids = _deleted_tree(agglo)
        client = client_for(make_user("grigny_lead"))
        deleted_url = admin_url(StrategicObjective, "deleted")
        assert client.get(deleted_url).status_code == 403
        assert client.post(deleted_url, {"object_id": str(ids["so"])}).status_code == 403
        assert not StrategicObjective.objects.filter(pk=ids["so"]).exists()
