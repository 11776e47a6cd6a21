"""Every registered admin opens (list, add, change, history) as a superuser, and the main
lists run in a constant number of queries."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils.html import escape

from commitments.models import (
    Action,
    OperationalObjective,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
    ThematicSection,
)
from perer.lib.mail import send_email
from tests import factories
from tests.support.admin import admin_url, build_tree, client_for, grigny, make_user
from tests.support.campaigns import campaigns_sample

EMAIL_CONTEXT = {"user": None, "link": "https://example.org/", "days": 3, "territories": []}
REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


pytestmark = pytest.mark.usefixtures("fast_password_hasher")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", [model for model, _ in REGISTERED], ids=[m._meta.label for m, _ in REGISTERED]
)
def test_every_admin_page_opens(model, superuser_client, rf):
    tree = build_tree(grigny())
    factories.ProgressUpdateFactory(action=tree["action"])
    make_user("grigny_lead")  # a territory membership
    campaigns_sample()  # a closed campaign, its frozen figures, a notification
    send_email("invitation", ["lea@example.org"], EMAIL_CONTEXT)  # a background job
    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = make_user("superuser")
    assert superuser_client.get(admin_url(model, "changelist")).status_code == 200
    assert superuser_client.get(admin_url(model, "changelist"), {"q": "é"}).status_code == 200
    add = superuser_client.get(admin_url(model, "add"))
    # Only third-party logs (django-axes) refuse adding by design.
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)
    obj = model._default_manager.order_by("-pk").first()
    if obj is None:
        assert model._meta.app_label == "axes", f"no {model._meta.label} row to open"
        return
    assert superuser_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    assert superuser_client.get(admin_url(model, "history", obj.pk)).status_code == 200


@pytest.mark.django_db
def test_admin_index_lists_the_hierarchy(superuser_client):
    content = superuser_client.get(reverse("admin:index")).content.decode()
    for model in (Protocol, StrategicObjective, OperationalObjective, Action, ProgressUpdate):
        assert escape(str(model._meta.verbose_name_plural).capitalize()) in content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "limit"),
    [
        # The unpublished changes' column: one query for the protocols' last editions, the
        # counts themselves from the cache (selectors/edition_text.unpublished_change_counts).
        (Protocol, 11),
        (ThematicSection, 11),
        (StrategicObjective, 12),
        (OperationalObjective, 13),
        (Action, 13),
        (ProgressUpdate, 12),
    ],
)
@pytest.mark.parametrize("role", ["superuser", "grigny_lead"])
def test_changelists_run_in_constant_queries(model, limit, role, django_assert_max_num_queries):
    # The seed holds hundreds of objectives; add more rows so a per-row query would show.
    for _ in range(3):
        tree = build_tree(grigny())
        factories.ProgressUpdateFactory(action=tree["action"])
        lead = factories.PartnerFactory()
        for node in (tree["oo"], tree["action"]):
            node.pilot = lead
            node.save()
            node.partners.add(factories.PartnerFactory())
    client = client_for(make_user(role))
    url = admin_url(model, "changelist")
    first = client.get(url)  # warm the session and caches
    if first.status_code == 302:  # a city lead's lists of the tree open on their territories
        assert role == "grigny_lead" and model in (StrategicObjective, OperationalObjective, Action)
        url = first["Location"]
        assert url == f"{admin_url(model, 'changelist')}?territoire=mes-territoires"
        client.get(url)
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) > 0


@pytest.mark.django_db
@pytest.mark.parametrize("model", [StrategicObjective, OperationalObjective, Action])
def test_change_form_runs_in_constant_queries(
    model, superuser_client, django_assert_max_num_queries
):
    tree = build_tree(grigny())
    for _ in range(5):
        factories.ActionFactory(operational_objective=tree["oo"])
        factories.OperationalObjectiveFactory(strategic_objective=tree["so"])
        factories.ProgressUpdateFactory(action=tree["action"])
    obj = {
        StrategicObjective: tree["so"],
        OperationalObjective: tree["oo"],
        Action: tree["action"],
    }[model]
    url = admin_url(model, "change", obj.pk)
    superuser_client.get(url)
    with django_assert_max_num_queries(15):
        assert superuser_client.get(url).status_code == 200


@pytest.mark.django_db
def test_view_on_site_links_survive_missing_public_urls(superuser_client):
    action = build_tree(grigny())["action"]
    response = superuser_client.get(admin_url(Action, "change", action.pk))
    assert response.status_code == 200
    try:
        expected = action.get_absolute_url()
    except Exception:  # the public pages are not there yet
        expected = None
    if expected:
        assert expected in response.content.decode()
