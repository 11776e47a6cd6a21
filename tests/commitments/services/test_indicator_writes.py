"""services/indicator_writes.py: every write of indicators validates through the models,
records who wrote and when, keeps the history, and records the change of the protocol showing
the indicator; a value recorded for a year already recorded replaces it."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError

from commitments.models import Indicator, IndicatorValue, Protocol
from commitments.services.indicator_writes import (
    delete_definition,
    delete_indicator,
    delete_indicator_value,
    delete_indicator_values,
    delete_indicators,
    record_indicator_value,
    save_definition,
    save_indicator,
    save_indicator_value,
)
from territories.roles import CITY_LEAD_GROUP
from tests import factories
from tests.support.admin import build_tree, corbeil, ensure_groups, grigny, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

LONG_AGO = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def trees():
    here, elsewhere = build_tree(grigny()), build_tree(corbeil())
    return here, elsewhere


@pytest.fixture
def indicator(trees):
    indicator = factories.IndicatorFactory(action=trees[0]["action"])
    Protocol.objects.update(last_changed_at=LONG_AGO)
    return indicator


def corbeil_lead():
    ensure_groups()
    user = factories.UserFactory(username="chef-corbeil", is_staff=True)
    user.groups.add(Group.objects.get(name=CITY_LEAD_GROUP))
    factories.MembershipFactory(user=user, territory=corbeil())
    return user


def changed():
    return set(Protocol.objects.filter(last_changed_at__gt=LONG_AGO).values_list("pk", flat=True))


class TestRecordingAValue:
    def test_a_new_year(self, indicator, trees):
        staff = make_user("agglomeration")
        row, replaced = record_indicator_value(
            indicator,
            year=2020,
            value=Decimal("35"),
            source="Rectorat",
            comment="Rentrée",
            by=staff,
        )
        assert not replaced
        row.refresh_from_db()
        assert (row.year, row.value, row.source, row.comment) == (2020, 35, "Rectorat", "Rentrée")
        assert row.author == staff and row.recorded_at is not None
        assert row.history.get().history_user == staff
        assert changed() == {trees[0]["protocol"].pk}

    def test_a_recorded_year_is_replaced_and_the_old_value_kept_in_the_history(self, indicator):
        first, _ = record_indicator_value(indicator, year=2020, value=30)
        lead = make_user("grigny_lead")
        second, replaced = record_indicator_value(indicator, year=2020, value=35, by=lead)
        assert replaced and second.pk == first.pk
        assert list(indicator.yearly_values.values_list("year", "value")) == [(2020, 35)]
        assert [(h.value, h.history_user) for h in second.history.order_by("history_date")] == [
            (30, None),
            (35, lead),
        ]
        assert second.author == lead

    def test_the_rules_are_the_model_s(self, indicator):
        with pytest.raises(ValidationError) as caught:
            record_indicator_value(indicator, year=2020, value=Decimal("120"))
        assert caught.value.messages == [
            "Un pourcentage est compris entre 0 et 100 (« 120 » n'est pas possible)."
        ]
        assert not IndicatorValue.objects.filter(indicator=indicator).exists()
        assert changed() == set()

    @pytest.mark.parametrize(
        ("role", "allowed"),
        [("agglomeration", True), ("superuser", True), ("grigny_lead", True), ("corbeil", False)],
    )
    def test_who_records(self, indicator, role, allowed):
        user = corbeil_lead() if role == "corbeil" else make_user(role)
        if allowed:
            record_indicator_value(indicator, year=2020, value=40, by=user)
        else:
            with pytest.raises(PermissionDenied):
                record_indicator_value(indicator, year=2020, value=40, by=user)
        assert indicator.yearly_values.exists() is allowed

    @pytest.mark.parametrize("user", [AnonymousUser(), "partner"])
    def test_no_role_no_value(self, indicator, user):
        if user == "partner":
            user = factories.UserFactory(username="partenaire")
        with pytest.raises(PermissionDenied):
            record_indicator_value(indicator, year=2020, value=40, by=user)


class TestEditingAndDeletingValues:
    def test_an_edited_row_keeps_its_history(self, indicator):
        row = factories.IndicatorValueFactory(indicator=indicator, year=2019, value=20)
        row.value = 25
        staff = make_user("agglomeration")
        save_indicator_value(row, by=staff)
        assert row.history.latest().history_user == staff
        assert row.author == staff
        assert changed() == {indicator.action.section.protocol.pk}

    def test_a_year_another_row_holds_is_refused(self, indicator):
        factories.IndicatorValueFactory(indicator=indicator, year=2019)
        row = factories.IndicatorValueFactory(indicator=indicator, year=2020)
        row.year = 2019
        with pytest.raises(ValidationError):
            save_indicator_value(row)

    def test_deletions_record_the_change(self, indicator):
        one = factories.IndicatorValueFactory(indicator=indicator, year=2019)
        factories.IndicatorValueFactory(indicator=indicator, year=2020)
        delete_indicator_value(one)
        assert changed() == {indicator.action.section.protocol.pk}
        Protocol.objects.update(last_changed_at=LONG_AGO)
        assert delete_indicator_values(IndicatorValue.objects.filter(indicator=indicator)) == 1
        assert changed() == {indicator.action.section.protocol.pk}
        assert not indicator.yearly_values.exists()


class TestIndicators:
    def test_saving_validates_and_records(self, trees):
        indicator = factories.IndicatorFactory.build(
            definition=factories.IndicatorDefinitionFactory(), action=trees[0]["action"]
        )
        Protocol.objects.update(last_changed_at=LONG_AGO)
        save_indicator(indicator)
        assert changed() == {trees[0]["protocol"].pk}
        indicator.target_value = 150
        with pytest.raises(ValidationError):
            save_indicator(indicator)

    def test_a_move_to_another_protocol_records_both(self, indicator, trees):
        later = build_tree(grigny())  # a second protocol of Grigny
        Protocol.objects.update(last_changed_at=LONG_AGO)
        indicator.action = later["action"]
        save_indicator(indicator)
        assert changed() == {trees[0]["protocol"].pk, later["protocol"].pk}

    def test_deleting_takes_the_values_along(self, indicator):
        factories.IndicatorValueFactory(indicator=indicator)
        delete_indicator(indicator)
        assert changed() == {indicator.action.section.protocol.pk}
        assert not IndicatorValue.objects.filter(indicator_id=indicator.pk).exists()

    def test_bulk_deletion(self, indicator, trees):
        other = factories.IndicatorFactory(action=trees[1]["action"])
        Protocol.objects.update(last_changed_at=LONG_AGO)
        delete_indicators(Indicator.objects.filter(pk__in=[indicator.pk, other.pk]))
        assert changed() == {trees[0]["protocol"].pk, trees[1]["protocol"].pk}

    def test_a_deleted_commitment_takes_its_indicators_along(self, indicator):
        indicator.action.delete()
        assert not Indicator.objects.filter(pk=indicator.pk).exists()


class TestDefinitions:
    def test_saving_records_every_protocol_showing_it(self, indicator, trees):
        other = factories.IndicatorFactory(
            definition=indicator.definition, action=trees[1]["action"]
        )
        Protocol.objects.update(last_changed_at=LONG_AGO)
        definition = indicator.definition
        definition.name = "Nouveau nom"
        save_definition(definition)
        assert changed() == {trees[0]["protocol"].pk, other.action.section.protocol.pk}

    def test_a_definition_in_use_is_protected(self, indicator):
        with pytest.raises(ProtectedError):
            delete_definition(indicator.definition)
        unused = factories.IndicatorDefinitionFactory()
        delete_definition(unused)
