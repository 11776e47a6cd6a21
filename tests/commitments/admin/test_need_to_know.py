"""Need-to-know in the admin (commitments/permissions.can_see_activity, territories/roles.py
`sees_people_of`): the permission matrix of test_role_mixins.py extended to every admin a city
lead can open, found in the admin site's registry (a new admin fails `test_every_admin_a_lead_
opens_is_classified` until SCOPES says what a lead sees of it).

A lead sees the memberships and the progress updates of the territories they lead only, and
the history (who changed what) of their own territories' protocols, commitments and updates;
the protocols' texts and the reference lists stay open to them. Staff see everything. The
username (an email address) of another city's lead appears on no page a lead opens.
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory

from commitments.admin.list_filters import TerritoryFilter
from commitments.enums import Status
from commitments.models import (
    Action,
    GlossaryTerm,
    Indicator,
    IndicatorDefinition,
    IndicatorValue,
    OperationalObjective,
    Partner,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
    Thematic,
    ThematicSection,
    TransversalAxis,
)
from territories.models import Territory, TerritoryMembership
from territories.roles import CITY_LEAD_GROUP
from tests import factories
from tests.support.admin import admin_url, build_tree, client_for, corbeil, grigny, make_user
from tests.support.progress import report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

# The people of each city (their usernames are email addresses).
GRIGNY_COLLEAGUE = "collegue.grigny@ville-grigny.fr"
CORBEIL_LEAD = "cheffe.corbeil@ville-corbeil.fr"

# What a city lead sees of each admin they can open: "open" (every row and its history: no one
# is named but staff), "text" (every row — the adopted texts are public — but the history of
# their own territories only), "own" (the rows of their own territories only: they name
# people). And the Grigny and Corbeil object of each model in `world`.
SCOPES = {
    Thematic: ("open", lambda w: (Thematic.objects.first(),) * 2),
    Partner: ("open", lambda w: (Partner.objects.first(),) * 2),
    GlossaryTerm: ("open", lambda w: (GlossaryTerm.objects.first(),) * 2),
    TransversalAxis: ("open", lambda w: (TransversalAxis.objects.first(),) * 2),
    Territory: ("text", lambda w: (grigny(), corbeil())),
    Protocol: ("text", lambda w: (w["mine"]["protocol"], w["other"]["protocol"])),
    ThematicSection: ("text", lambda w: (w["mine"]["section"], w["other"]["section"])),
    StrategicObjective: ("text", lambda w: (w["mine"]["so"], w["other"]["so"])),
    OperationalObjective: ("text", lambda w: (w["mine"]["oo"], w["other"]["oo"])),
    Action: ("text", lambda w: (w["mine"]["action"], w["other"]["action"])),
    TerritoryMembership: ("own", lambda w: (w["colleague"], w["corbeil_lead"])),
    ProgressUpdate: ("own", lambda w: (w["mine"]["update"], w["other"]["update"])),
    IndicatorDefinition: ("open", lambda w: (w["mine"]["indicator"].definition,) * 2),
    Indicator: ("own", lambda w: (w["mine"]["indicator"], w["other"]["indicator"])),
    IndicatorValue: ("own", lambda w: (w["mine"]["value"], w["other"]["value"])),
}


def lead_of(territory, username):
    user = factories.UserFactory(username=username, email=username, is_staff=True)
    user.groups.add(Group.objects.get(name=CITY_LEAD_GROUP))
    return user, factories.MembershipFactory(user=user, territory=territory)


def changed_by(obj, user, **values):
    """A change to `obj` recorded in its history as made by `user`."""
    for name, value in values.items():
        setattr(obj, name, value)
    obj._history_user = user
    obj.save()


@pytest.fixture
def world():
    lead = make_user("grigny_lead")
    colleague, colleague_membership = lead_of(grigny(), GRIGNY_COLLEAGUE)
    other_lead, other_membership = lead_of(corbeil(), CORBEIL_LEAD)
    world = {"lead": lead, "colleague": colleague_membership, "corbeil_lead": other_membership}
    for key, territory, author in (("mine", grigny(), colleague), ("other", corbeil(), other_lead)):
        tree = build_tree(territory)
        changed_by(tree["action"], author, start_year=2021)
        changed_by(tree["oo"], author, end_year=2023)
        tree["update"] = report(
            tree["action"], datetime.date(2024, 3, 1), Status.IN_PROGRESS, 30, author=author
        )
        tree["update"].history.update(history_user=author)
        tree["indicator"] = factories.IndicatorFactory(action=tree["action"])
        tree["value"] = factories.IndicatorValueFactory(indicator=tree["indicator"], author=author)
        tree["value"].history.update(history_user=author)
        world[key] = tree
    return world


def viewable_admins(user):
    """The registered ModelAdmins whose list `user` may open."""
    request = RequestFactory().get("/admin/")
    request.user = user
    return {
        model: model_admin
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_view_or_change_permission(request)
    }


def list_rows(client, model, model_admin, territory):
    """The rows of the admin list (every page), filtered on `territory` where the list has a
    territory filter (the tree's lists open on the lead's own territories otherwise)."""
    filters = [f for f in model_admin.list_filter if f is TerritoryFilter]
    params = {TerritoryFilter.parameter_name: territory.pk} if filters else {}
    response = client.get(admin_url(model, "changelist"), params, follow=True)
    assert response.status_code == 200
    return response, set(response.context["cl"].queryset)


def history_pages(model, model_admin, obj):
    """The history page of `obj`, and each recorded version's page (django-simple-history)."""
    pages = [admin_url(model, "history", obj.pk)]
    if hasattr(model, "history"):
        pages += [
            admin_url(model, "simple_history", obj.pk, version.history_id)
            for version in obj.history.all()
        ]
    return pages


def refused(response):
    """Not shown: 403, 404, or the admin's redirect home for an object it does not find."""
    return response.status_code in (403, 404) or (
        response.status_code == 302 and response["Location"] == "/admin/"
    )


def test_every_admin_a_lead_opens_is_classified(world):
    unclassified = set(viewable_admins(world["lead"])) - set(SCOPES)
    assert unclassified == set(), (
        "A city lead can open these admins: say in SCOPES what they see of them "
        "(and make the admin show that)."
    )
    # And the classification names nothing a lead cannot open (it would test nothing).
    assert set(SCOPES) <= set(viewable_admins(world["lead"]))


@pytest.mark.parametrize("model", list(SCOPES), ids=lambda model: model.__name__)
def test_a_lead_sees_their_own_territories_people_only(world, model):
    lead = world["lead"]
    model_admin = viewable_admins(lead)[model]
    scope, objects = SCOPES[model]
    mine, other = objects(world)
    client = client_for(lead)
    pages = []

    for obj, territory, is_mine in ((mine, grigny(), True), (other, corbeil(), False)):
        response, rows = list_rows(client, model, model_admin, territory)
        pages.append(response)
        assert (obj in rows) is (is_mine or scope != "own"), (obj, rows)

        change = client.get(admin_url(model, "change", obj.pk))
        pages.append(change)
        if is_mine or scope != "own":
            assert change.status_code == 200
        else:
            assert refused(change), change.status_code

        history_shown = is_mine or scope == "open"
        content = change.content.decode()
        assert (admin_url(model, "history", obj.pk) in content) is (
            history_shown and change.status_code == 200
        )
        for url in history_pages(model, model_admin, obj):
            response = client.get(url)
            pages.append(response)
            if history_shown:
                assert response.status_code == 200, url
            else:
                assert refused(response), (url, response.status_code)

    for response in pages:
        assert CORBEIL_LEAD not in response.content.decode(), response.request["PATH_INFO"]


def test_a_lead_sees_who_else_reports_on_their_city(world):
    """What need-to-know leaves them: their own territory's leads and updates' authors."""
    client = client_for(world["lead"])
    memberships = client.get(admin_url(TerritoryMembership, "changelist")).content.decode()
    territory_page = client.get(admin_url(Territory, "change", grigny().pk)).content.decode()
    updates = client.get(admin_url(ProgressUpdate, "changelist")).content.decode()
    history = client.get(admin_url(Action, "history", world["mine"]["action"].pk))
    timeline = client.get(admin_url(Action, "change", world["mine"]["action"].pk))
    for page in (memberships, territory_page, updates, history.content.decode()):
        assert GRIGNY_COLLEAGUE in page
    assert "Point d&#x27;étape" in timeline.content.decode()
    # Another city's territory page: no membership inline at all.
    other_page = client.get(admin_url(Territory, "change", corbeil().pk))
    assert not [
        inline
        for inline in other_page.context["inline_admin_formsets"]
        if inline.opts.model is TerritoryMembership
    ]


@pytest.mark.parametrize("role", ["agglomeration", "superuser"])
def test_staff_see_everything(world, role):
    user = make_user(role)
    client = client_for(user)
    for model, (_, objects) in SCOPES.items():
        model_admin = viewable_admins(user)[model]
        for obj, territory in zip(objects(world), (grigny(), corbeil()), strict=True):
            _, rows = list_rows(client, model, model_admin, territory)
            assert obj in rows
            assert client.get(admin_url(model, "change", obj.pk)).status_code == 200
            for url in history_pages(model, model_admin, obj):
                assert client.get(url).status_code == 200, url
    # The other city's lead is named where staff look (so the absence above means something).
    page = client.get(admin_url(TerritoryMembership, "changelist")).content.decode()
    assert CORBEIL_LEAD in page
    history = client.get(admin_url(ProgressUpdate, "history", world["other"]["update"].pk))
    assert CORBEIL_LEAD in history.content.decode()


@pytest.mark.parametrize(
    ("model", "url_name"),
    [
        (ProgressUpdate, "changelist"),
        (TerritoryMembership, "changelist"),
        (Territory, "change"),
        (Action, "history"),
    ],
)
def test_a_leads_pages_take_constant_queries(world, model, url_name, django_assert_max_num_queries):
    """The same number of queries with few or many rows of their own territory."""
    client = client_for(world["lead"])
    action = world["mine"]["action"]
    args = {"change": [grigny().pk], "history": [action.pk]}.get(url_name, [])
    url = admin_url(model, url_name, *args)
    client.get(url)
    counts = []
    for size in ("few", "many"):
        if size == "many":
            for n in range(15):  # more rows of every kind, in Grigny and in Corbeil
                for territory in (grigny(), corbeil()):
                    lead_of(territory, f"lead{n}-{territory.slug}@example.org")
                report(action, datetime.date(2024, 1, 1 + n), Status.PLANNED, n)
                changed_by(action, world["lead"], end_year=2030 + n)
        with django_assert_max_num_queries(100) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
