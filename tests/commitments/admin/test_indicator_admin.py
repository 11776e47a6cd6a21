"""Indicators in the admin (admin/indicator_admin.py): the permission matrix through real
requests (roles × the three admins × list, view, change, add, delete, history, in Grigny and in
Corbeil-Essonnes), staff defining an indicator with its values, the rules' French messages on
the forms, a value replaced with its history, reverts, and constant queries."""

import datetime

import pytest
from django.utils.html import escape

from commitments.models import Indicator, IndicatorDefinition, IndicatorValue, Protocol
from commitments.models.indicators import DUPLICATE_YEAR
from tests import factories
from tests.support.admin import (
    ROLES,
    add_inline_form,
    admin_url,
    build_tree,
    changeform_data,
    client_for,
    corbeil,
    first_version_url,
    grigny,
    make_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

PLACES = {"grigny": grigny, "corbeil": corbeil}
MODELS = {"definition": IndicatorDefinition, "indicator": Indicator, "value": IndicatorValue}
OPERATIONS = ("list", "view", "change", "add", "delete", "history")
LONG_AGO = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
VALUES = "yearly_values"  # the inline's prefix


def world(place):
    tree = build_tree(PLACES[place]())
    indicator = factories.IndicatorFactory(action=tree["action"])
    value = factories.IndicatorValueFactory(indicator=indicator, year=2020, value=40)
    return {
        "tree": tree,
        "definition": indicator.definition,
        "indicator": indicator,
        "value": value,
    }


def expected(role, place, model_key, operation):
    if role == "anonymous":
        return False
    if role in ("agglomeration", "superuser"):
        return True
    # A city lead reads: every definition, their own territory's indicators and values.
    if operation not in ("list", "view", "history"):
        return False
    return model_key == "definition" or place == "grigny"


def refused(response):
    """Denied: 403, the login page, or the admin's redirect home for a row it does not show."""
    return response.status_code == 403 or (
        response.status_code == 302
        and ("/admin/login/" in response["Location"] or response["Location"] == "/admin/")
    )


def new_row_data(model_key, things, superuser_client):
    data = changeform_data(superuser_client.get(admin_url(MODELS[model_key], "add")))
    if model_key == "definition":
        data.update(code="nouvel-indicateur", name="Nouvel indicateur", unit="nombre")
    elif model_key == "indicator":
        data.update(
            definition=str(factories.IndicatorDefinitionFactory(code="nouvel-indicateur").pk),
            territory=str(things["indicator"].territory_id),
            operational_objective=str(things["tree"]["oo"].pk),
        )
    else:
        data.update(indicator=str(things["indicator"].pk), year="2021", value="45")
    return data


def created(model_key, things):
    if model_key == "value":
        return IndicatorValue.objects.filter(indicator=things["indicator"], year=2021).exists()
    if model_key == "indicator":
        return Indicator.objects.filter(definition__code="nouvel-indicateur").exists()
    return IndicatorDefinition.objects.filter(code="nouvel-indicateur").exists()


CHANGES = {"definition": ("name", "Nom corrigé"), "indicator": ("scope", "Grande Borne")}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("model_key", list(MODELS))
@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, place, model_key, operation, superuser_client):
    things = world(place)
    model, obj = MODELS[model_key], things[model_key]
    client = client_for(make_user(role))
    allowed = expected(role, place, model_key, operation)

    if operation == "list":
        response = client.get(admin_url(model, "changelist"))
        if role == "anonymous":
            assert refused(response)
        else:  # the list opens; a lead's shows their own territories' rows only
            assert response.status_code == 200
            assert (obj in response.context["cl"].result_list) is allowed

    elif operation in ("view", "history"):
        response = client.get(
            admin_url(model, "change" if operation == "view" else operation, obj.pk)
        )
        assert (response.status_code == 200) is allowed
        if not allowed:
            assert refused(response)

    elif operation == "change":
        data = changeform_data(superuser_client.get(admin_url(model, "change", obj.pk)))
        name, value = CHANGES.get(model_key, ("value", "41"))
        data[name] = value
        response = client.post(admin_url(model, "change", obj.pk), data)
        obj.refresh_from_db()
        assert (str(getattr(obj, name)).removesuffix(".0000") == value) is allowed
        assert (response.status_code == 302) if allowed else refused(response)

    elif operation == "add":
        data = new_row_data(model_key, things, superuser_client)
        response = client.post(admin_url(model, "add"), data)
        assert created(model_key, things) is allowed, response.content.decode()[:2000]
        if not allowed:
            assert refused(response)
            assert refused(client.get(admin_url(model, "add")))

    elif operation == "delete":
        if model_key == "definition":  # protected while an indicator uses it
            obj = factories.IndicatorDefinitionFactory()
        response = client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
        assert (not model.objects.filter(pk=obj.pk).exists()) is allowed
        if not allowed:
            assert refused(response)


class TestStaffDefineIndicators:
    def test_an_indicator_with_its_values(self, agglo, agglo_client):
        tree = build_tree(grigny())
        definition = factories.IndicatorDefinitionFactory()
        Protocol.objects.update(last_changed_at=LONG_AGO)
        data = changeform_data(agglo_client.get(admin_url(Indicator, "add")))
        data.update(
            definition=str(definition.pk),
            territory=str(grigny().pk),
            action=str(tree["action"].pk),
            baseline_value="7",
            baseline_year="2015",
            target_value="50",
            target_horizon="à l'horizon 2030",
            wording="Atteindre 50 % à l'horizon 2030",
        )
        for year, value in (("2015", "7"), ("2017", "35")):
            add_inline_form(data, VALUES, {"year": year, "value": value, "source": "Rectorat"})
        response = agglo_client.post(admin_url(Indicator, "add"), data)
        assert response.status_code == 302, response.content.decode()[:3000]
        indicator = Indicator.objects.get(definition=definition)
        assert indicator.history.get().history_user == agglo
        assert [(v.year, v.value, v.author) for v in indicator.yearly_values.all()] == [
            (2015, 7, agglo),
            (2017, 35, agglo),
        ]
        assert Protocol.objects.get(pk=tree["protocol"].pk).last_changed_at > LONG_AGO

    @pytest.mark.parametrize(
        ("row", "message"),
        [
            ({"year": "2020", "value": "120"}, "Un pourcentage est compris entre 0 et 100"),
            ({"year": "2020", "value": "35.5"}, "Indiquez un nombre entier"),
            ({"year": "2014", "value": "5"}, "ne peut pas précéder l&#x27;année de référence"),
            ({"year": "2999", "value": "5"}, "Indiquez une année entre 2000 et 2100"),
            ({"year": "2017", "value": "5"}, escape(DUPLICATE_YEAR)),
        ],
    )
    def test_a_refused_value_says_why_and_nothing_is_saved(self, agglo_client, row, message):
        indicator = factories.IndicatorFactory(
            action=build_tree(grigny())["action"], baseline_value=7, baseline_year=2015
        )
        factories.IndicatorValueFactory(indicator=indicator, year=2017, value=35)
        data = changeform_data(agglo_client.get(admin_url(Indicator, "change", indicator.pk)))
        data["scope"] = "Grande Borne"
        add_inline_form(data, VALUES, row)
        response = agglo_client.post(admin_url(Indicator, "change", indicator.pk), data)
        assert response.status_code == 200
        assert message in response.content.decode(), [
            form.errors for form in response.context["inline_admin_formsets"][0].formset.forms
        ] + [response.context["inline_admin_formsets"][0].formset.non_form_errors()]
        indicator.refresh_from_db()
        assert indicator.scope == ""
        assert list(indicator.yearly_values.values_list("year", flat=True)) == [2017]

    def test_a_commitment_of_another_territory_is_refused(self, agglo_client):
        indicator = factories.IndicatorFactory(action=build_tree(grigny())["action"])
        data = changeform_data(agglo_client.get(admin_url(Indicator, "change", indicator.pk)))
        data["action"] = str(build_tree(corbeil())["action"].pk)
        response = agglo_client.post(admin_url(Indicator, "change", indicator.pk), data)
        assert "Cet engagement appartient au protocole d&#x27;un autre territoire" in (
            response.content.decode()
        )

    def test_a_value_changed_in_its_row_is_replaced_and_kept_in_the_history(
        self, agglo, agglo_client
    ):
        value = factories.IndicatorValueFactory(
            indicator=factories.IndicatorFactory(action=build_tree(grigny())["action"]),
            year=2017,
            value=30,
        )
        indicator = value.indicator
        data = changeform_data(agglo_client.get(admin_url(Indicator, "change", indicator.pk)))
        data[f"{VALUES}-0-value"] = "35"
        response = agglo_client.post(admin_url(Indicator, "change", indicator.pk), data)
        assert response.status_code == 302
        value.refresh_from_db()
        assert (value.value, value.author) == (35, agglo)
        assert [h.value for h in value.history.order_by("history_date")] == [30, 35]
        page = agglo_client.get(admin_url(IndicatorValue, "history", value.pk)).content.decode()
        assert agglo.username in page

    def test_revert_goes_through_the_write_path(self, agglo, agglo_client):
        indicator = factories.IndicatorFactory(action=build_tree(grigny())["action"])
        indicator.scope = "Par erreur"
        indicator.save()
        revert_url = first_version_url(indicator)
        data = changeform_data(agglo_client.get(revert_url))
        assert agglo_client.post(revert_url, data).status_code == 302
        indicator.refresh_from_db()
        assert indicator.scope == ""
        assert indicator.history.latest().history_user == agglo

    def test_a_definition_whose_unit_the_values_do_not_fit(self, agglo_client):
        value = factories.IndicatorValueFactory(
            indicator=factories.IndicatorFactory(action=build_tree(grigny())["action"]),
            value=40,
        )
        definition = value.indicator.definition
        data = changeform_data(
            agglo_client.get(admin_url(IndicatorDefinition, "change", definition.pk))
        )
        data["unit"] = "pour_mille"
        assert (
            agglo_client.post(
                admin_url(IndicatorDefinition, "change", definition.pk), data
            ).status_code
            == 302
        )
        value.value = 1500
        value.save()
        data["unit"] = "pourcentage"
        response = agglo_client.post(admin_url(IndicatorDefinition, "change", definition.pk), data)
        assert "la valeur de 2020 ne respecterait plus" in response.content.decode()
        definition.refresh_from_db()
        assert definition.unit == "pour_mille"


class TestCityLeads:
    def test_their_indicator_reads_without_a_form_to_send(self):
        things = world("grigny")
        client = client_for(make_user("grigny_lead"))
        page = client.get(admin_url(Indicator, "change", things["indicator"].pk))
        html = page.content.decode()
        assert page.status_code == 200
        assert 'name="_save"' not in html
        (inline,) = page.context["inline_admin_formsets"]
        assert not inline.has_add_permission and not inline.has_change_permission
        assert "2020" in html

    def test_the_seeded_indicators_of_their_territory(self):
        client = client_for(make_user("grigny_lead"))
        rows = client.get(admin_url(Indicator, "changelist")).context["cl"].result_list
        assert {row.territory.slug for row in rows} == {"grigny"}
        assert len(rows) == Indicator.objects.filter(territory=grigny()).count() == 5


@pytest.mark.parametrize(
    ("model", "page"),
    [
        (Indicator, "changelist"),
        (IndicatorValue, "changelist"),
        (IndicatorDefinition, "changelist"),
        (Indicator, "change"),
    ],
)
@pytest.mark.parametrize("role", ["agglomeration", "grigny_lead"])
def test_pages_take_constant_queries(model, page, role, django_assert_max_num_queries):
    client = client_for(make_user(role))
    first = world("grigny")
    args = [first["indicator"].pk] if page == "change" else []
    counts = []
    # Once before measuring: what the first view of the process caches (the thematics'
    # list) is not a query per row.
    client.get(admin_url(model, page, *args))
    for size in ("few", "many"):
        if size == "many":
            for n in range(12):
                more = world("grigny")
                factories.IndicatorValueFactory(indicator=more["indicator"], year=2000 + n, value=n)
                factories.IndicatorValueFactory(
                    indicator=first["indicator"], year=2000 + n, value=n
                )
        with django_assert_max_num_queries(40) as captured:
            assert client.get(admin_url(model, page, *args)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
