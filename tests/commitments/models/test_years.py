"""The years' rule (models/years.py): 2000–2100, the start not after the end, in the models'
validation; and the same rule on every path that writes years — the admin (staff, a city
lead, a revert from the history), the tracking space (/suivi/), the spreadsheet import — while
the API writes nothing."""

import pytest
from django.core.exceptions import ValidationError

from commitments.models import Action, OperationalObjective, Protocol
from commitments.models.years import FIRST_YEAR, LAST_YEAR
from commitments.services.spreadsheet import ActionTrackingResource
from tests import factories
from tests.commitments.views.test_tracking_space import form_data, parse, summary, text
from tests.support.admin import (
    admin_url,
    build_tree,
    changeform_data,
    client_for,
    first_version_url,
    grigny,
    make_user,
)
from tests.support.spreadsheet import export, fill

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

RANGE = f"Indiquez une année entre {FIRST_YEAR} et {LAST_YEAR}"
ORDER = "ne peut pas précéder l'année de début"
# (start, end) refused, and the message that names why: the values of issue #26's hostile
# tries (a lead's 1 / 32000, staff's 0 / 32767), the bounds' neighbours, a reversed order.
REFUSED = [
    ((1, 32000), RANGE),
    ((0, 32767), RANGE),
    ((FIRST_YEAR - 1, None), RANGE),
    ((None, LAST_YEAR + 1), RANGE),
    ((2023, 2020), ORDER),
]
ACCEPTED = [(FIRST_YEAR, LAST_YEAR), (2021, 2021), (None, 2024), (None, None)]


def messages(error):
    return " ".join(message for values in error.message_dict.values() for message in values)


def years(obj):
    obj.refresh_from_db()
    return (obj.start_year, obj.end_year)


class TestModelRule:
    @pytest.mark.parametrize("model", [Action, OperationalObjective, Protocol])
    @pytest.mark.parametrize(("values", "message"), REFUSED)
    def test_refused_with_a_french_message(self, model, values, message):
        obj = model(start_year=values[0], end_year=values[1])
        with pytest.raises(ValidationError) as refused:
            obj.full_clean()
        assert message in messages(refused.value)
        assert set(refused.value.message_dict) & {"start_year", "end_year"}
        assert "contrainte" not in messages(refused.value).lower()

    @pytest.mark.parametrize("values", ACCEPTED)
    def test_accepted(self, values):
        obj = factories.ActionFactory()
        obj.start_year, obj.end_year = values
        obj.full_clean()

    def test_the_order_is_not_compared_with_a_refused_or_excluded_year(self):
        action = Action(start_year=1850, end_year=2020)
        with pytest.raises(ValidationError) as refused:
            action.clean_fields(exclude={"operational_objective", "text"})
        assert set(refused.value.message_dict) == {"start_year"}
        action.start_year = 2030
        action.clean_fields(exclude={"operational_objective", "text", "start_year"})

    def test_the_form_fields_carry_the_bounds(self):
        field = Action._meta.get_field("start_year").formfield()
        assert (field.min_value, field.max_value) == (FIRST_YEAR, LAST_YEAR)
        assert field.widget.attrs["min"] == FIRST_YEAR
        with pytest.raises(ValidationError) as refused:
            field.clean("1850")
        assert refused.value.messages == [f"{RANGE} (« 1850 » est hors de cette période)."]
        with pytest.raises(ValidationError) as refused:
            field.clean("deux-mille")
        assert "quatre chiffres" in refused.value.messages[0]


def post_admin_years(client, superuser_client, obj, values):
    url = admin_url(type(obj), "change", obj.pk)
    data = changeform_data(superuser_client.get(url))
    data.update(start_year="" if values[0] is None else str(values[0]))
    data.update(end_year="" if values[1] is None else str(values[1]))
    return client.post(url, data)


class TestAdmin:
    @pytest.mark.parametrize("role", ["agglomeration", "grigny_lead"])
    @pytest.mark.parametrize("model_key", ["oo", "action"])
    @pytest.mark.parametrize(("values", "message"), REFUSED)
    def test_commitment_years_refused(self, superuser_client, role, model_key, values, message):
        obj = build_tree(grigny())[model_key]
        before = years(obj)
        response = post_admin_years(client_for(make_user(role)), superuser_client, obj, values)
        assert response.status_code == 200
        assert message in response.content.decode().replace("&#x27;", "'")
        assert years(obj) == before

    @pytest.mark.parametrize("role", ["agglomeration", "grigny_lead"])
    def test_commitment_years_accepted(self, superuser_client, role):
        obj = build_tree(grigny())["action"]
        client = client_for(make_user(role))
        response = post_admin_years(client, superuser_client, obj, (FIRST_YEAR, LAST_YEAR))
        assert response.status_code == 302
        assert years(obj) == (FIRST_YEAR, LAST_YEAR)

    @pytest.mark.parametrize(("values", "message"), REFUSED)
    def test_protocol_years_refused(self, superuser_client, values, message):
        protocol = build_tree(grigny())["protocol"]
        before = years(protocol)
        client = client_for(make_user("agglomeration"))
        response = post_admin_years(client, superuser_client, protocol, values)
        assert response.status_code == 200
        assert message in response.content.decode().replace("&#x27;", "'")
        assert years(protocol) == before

    def test_a_revert_to_years_out_of_range_is_refused(self, superuser_client):
        """A version recorded before the rule (saved without validation) cannot come back."""
        action = build_tree(grigny())["action"]
        action.start_year, action.end_year = 1, 32000
        action.save()  # as a row written before the rule was
        action.start_year, action.end_year = 2020, 2022
        action.save()
        first = action.history.order_by("history_date").first()
        assert (first.start_year, first.end_year) == (None, None)
        bad = action.history.filter(start_year=1).get()
        url = admin_url(Action, "simple_history", action.pk, bad.history_id)
        assert first_version_url(action) != url
        data = changeform_data(superuser_client.get(url))
        response = client_for(make_user("agglomeration")).post(url, data)
        assert response.status_code == 200
        assert RANGE in response.content.decode()
        assert years(action) == (2020, 2022)


class TestTrackingSpace:
    @pytest.mark.parametrize(("values", "message"), REFUSED)
    def test_refused(self, values, message):
        action = build_tree(grigny())["action"]
        client = client_for(make_user("grigny_lead"))
        before = years(action)
        data = form_data(client.get(action.get_tracking_url()), "details")
        data.update(start_year=values[0] or "", end_year=values[1] or "")
        response = client.post(action.get_tracking_url(), data)
        assert response.status_code == 400
        assert message in text(summary(parse(response)))
        assert years(action) == before

    def test_bounds_accepted(self):
        action = build_tree(grigny())["action"]
        client = client_for(make_user("grigny_lead"))
        data = form_data(client.get(action.get_tracking_url()), "details")
        data.update(start_year=str(FIRST_YEAR), end_year=str(LAST_YEAR))
        assert client.post(action.get_tracking_url(), data).status_code == 302
        assert years(action) == (FIRST_YEAR, LAST_YEAR)


def import_years(territory, values):
    exported = export(ActionTrackingResource, territory)
    pk = exported[0][0]
    cells = {"annee_debut": values[0] or "", "annee_fin": values[1] or ""}
    result = ActionTrackingResource().import_data(fill(exported, {pk: cells}), dry_run=False)
    return Action.objects.get(pk=pk), result


class TestSpreadsheetImport:
    @pytest.mark.parametrize(("values", "message"), REFUSED)
    def test_refused(self, territory, values, message):
        exported = export(ActionTrackingResource, territory)
        before = years(Action.objects.get(pk=exported[0][0]))
        action, result = import_years(territory, values)
        assert result.has_validation_errors()
        (invalid,) = result.invalid_rows
        found = " ".join(str(e) for errors in invalid.error_dict.values() for e in errors)
        assert message in found
        assert years(action) == before

    def test_bounds_accepted(self, territory):
        action, result = import_years(territory, (FIRST_YEAR, LAST_YEAR))
        assert not result.has_validation_errors() and not result.has_errors()
        assert years(action) == (FIRST_YEAR, LAST_YEAR)


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_the_api_writes_no_year(agglo_client, method):
    action = build_tree(grigny())["action"]
    url = f"/api/v1/actions/{action.pk}/"
    target = "/api/v1/actions/" if method == "post" else url
    response = getattr(agglo_client, method)(
        target, {"start_year": 1, "end_year": 32000}, content_type="application/json"
    )
    assert response.status_code == 405
    assert years(action) == (None, None)
