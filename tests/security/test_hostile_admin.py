"""The admin under hostile input (shared/DESIGN.md: "Bad input never yields a 500").

Every registered model (third-party ones included), as each role: the list with query strings a
hostile user would type (numbers past 64 bits, letters, unknown filters, bad sort and page
numbers, dates out of range, NUL, very long searches), and the change, history and delete
pages with ids that cannot exist. Each answer is a page, a redirect inside the admin (to `?e=1`
for bad list parameters, which Django explains), a 400, a 403 or a 404 — never a 500, and never
a traceback or a server path. Bulk actions and forms get the same treatment.

The superuser gets the whole battery on every model; the agglomeration staff and the Grigny
lead a shorter one on the models they may see (the others answer 403 before reading anything).
About 1,000 requests in all.
"""

from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth.models import Group
from django.test import RequestFactory

from commitments.models import Action, ProgressUpdate, TransversalAxis
from tests import factories
from tests.support.admin import admin_url, build_tree, client_for, grigny, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

HUGE = "99999999999999999999999"
PAST_64_BITS = str(2**63)
NUL = "a\x00b"
ROLES = ("superuser", "agglomeration", "grigny_lead")
MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)
# What a page may answer; a redirect must stay in the admin.
ALLOWED = {200, 400, 403, 404}
LEAKS = ("Traceback", 'File "', "site-packages", str(settings.BASE_DIR))


def list_queries(model_admin, full):
    """Query strings for the list of `model_admin`'s model."""
    queries = [
        {"territoire": HUGE},
        {"thematique": PAST_64_BITS},
        {"o": "abc"},
        {"p": "abc"},
        {"q": NUL},
        {"filtre_inconnu": "1"},
    ]
    if full:
        queries += [
            {"territoire": "-1"},
            {"o": "-" + HUGE},
            {"o": "1.99.x"},
            {"p": HUGE},
            {"p": "-1"},
            {"all": "", "p": HUGE},
            {"q": "é" * 5000},
            {"id__gt": "abc"},
            {"_to_field": "password"},
        ]
    if model_admin.date_hierarchy:
        field = model_admin.date_hierarchy
        queries += [
            {f"{field}__year": "99999999999"},
            {f"{field}__year": "2024", f"{field}__month": "13"},
            {f"{field}__year": "2024", f"{field}__month": "2", f"{field}__day": "99999999999"},
        ]
        if full:
            queries += [{f"{field}__year": "0"}, {f"{field}__year": "-5"}]
    return queries


def filter_queries(model_admin, superuser):
    """Each parameter of each list filter, with a number past 64 bits and with NUL."""
    request = RequestFactory().get("/")
    request.user = superuser
    changelist = model_admin.get_changelist_instance(request)
    return [
        {parameter: value}
        for spec in changelist.filter_specs
        for parameter in spec.expected_parameters()
        for value in (HUGE, "\x00")
    ]


def object_urls(model, full):
    """The change, history and delete pages (and django-simple-history's version page) with
    ids that cannot exist."""
    base = admin_url(model, "changelist")
    first = model._default_manager.order_by("pk").first()
    good = quote(str(first.pk)) if first is not None else "1"
    bad_ids = [HUGE, PAST_64_BITS, "abc", "-1"] if full else [HUGE, "abc"]
    urls = []
    for bad in map(quote, bad_ids):
        urls += [
            f"{base}{bad}/change/",
            f"{base}{bad}/history/",
            f"{base}{bad}/delete/",
            f"{base}{good}/history/{bad}/",
        ]
        if full:
            urls.append(f"{base}{bad}/history/1/")
    return urls


def problems_of(client, url, method="get", data=None):
    """What is wrong with the answer to `url` (redirects followed): [] when nothing is."""
    response = getattr(client, method)(url, data, follow=True)
    problems = []
    if response.status_code not in ALLOWED:
        error = response.exc_info[1] if response.exc_info else None
        problems.append(f"{response.status_code} {error!r}"[:300])
    for target, _ in response.redirect_chain:
        if not target.startswith("/admin/"):
            problems.append(f"redirected out of the admin: {target}")
    content = response.content.decode(errors="replace")
    problems += [f"leaks {leak!r}" for leak in LEAKS if leak in content]
    return [f"{method.upper()} {url[:150]}: {problem}" for problem in problems]


def role_client(role):
    client = client_for(make_user(role))
    client.raise_request_exception = False  # a 500 is reported with the others
    return client


def can_view(client, model):
    return client.get(admin_url(model, "changelist")).status_code != 403


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label_lower)
@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_answer_hostile_input_without_a_500(role, model):
    client = role_client(role)
    model_admin = admin.site._registry[model]
    full = role == "superuser"
    if not full and not can_view(client, model):
        return  # 403 before any input is read (checked by the superuser's pass)
    queries = list_queries(model_admin, full)
    if full:
        superuser = make_user("superuser", username="filter-reader")
        queries += filter_queries(model_admin, superuser)
    urls = [admin_url(model, "changelist") + "?" + urlencode(query) for query in queries]
    urls += object_urls(model, full)
    problems = [problem for url in urls for problem in problems_of(client, url)]
    assert problems == []


def test_bad_list_parameters_redirect_to_djangos_explanation(superuser_client):
    """The date hierarchy past year 9999: Django's "?e=1" page, as for an unknown filter."""
    url = admin_url(ProgressUpdate, "changelist")
    for query in ({"date__year": "99999999999"}, {"filtre_inconnu": "1"}):
        response = superuser_client.get(url, query)
        assert response.status_code == 302
        assert response.url == f"{url}?{ERROR_FLAG}=1"


@pytest.mark.parametrize("value", [HUGE, PAST_64_BITS, "abc", "\x00"])
def test_a_list_of_several_pages_refuses_a_bad_page_number(value, superuser_client):
    """The reorderable lists (Monter/Descendre) have several pages too."""
    factories.AxisFactory.create_batch(101)  # more than one page of transversal axes
    url = admin_url(TransversalAxis, "changelist")
    assert problems_of(superuser_client, f"{url}?{urlencode({'p': value})}") == []


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label_lower)
def test_bulk_actions_refuse_a_selection_that_cannot_exist(model):
    client = role_client("superuser")
    url = admin_url(model, "changelist")
    request = RequestFactory().get(url)
    request.user = make_user("superuser", username="action-reader")
    has_actions = bool(admin.site._registry[model].get_actions(request))
    for selected in (HUGE, PAST_64_BITS, "abc", "\x00"):
        data = {"action": "delete_selected", "_selected_action": [selected], "index": "0"}
        assert problems_of(client, url, "post", data) == []
        if has_actions:
            page = client.post(url, data, follow=True).content.decode()
            assert "La sélection contient un identifiant invalide" in page


def test_the_bulk_update_action_says_why_it_did_nothing(agglo_client):
    action = build_tree(grigny())["action"]
    url = admin_url(Action, "changelist")
    data = {
        "action": "record_update",
        "_selected_action": [str(action.pk), HUGE],
        "index": "0",
        "status": "en_cours",
    }
    response = agglo_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "La sélection contient un identifiant invalide" in response.content.decode()
    assert not action.updates.exists()


@pytest.mark.parametrize("value", [HUGE, PAST_64_BITS, "abc", "\x00"])
def test_forms_refuse_related_values_that_cannot_exist(value, superuser_client):
    """Autocomplete fields (one and many), other many-to-many fields: a refused form is shown
    again with its errors (the autocomplete widgets look their selection up to show it)."""
    action = build_tree(grigny())["action"]
    pages = [
        (admin_url(Action, "change", action.pk), {"pilot": value, "partners": [value]}),
        (admin_url(ProgressUpdate, "add"), {"action": value, "date": "2024-01-01"}),
        (admin_url(Group, "add"), {"name": "Groupe", "permissions": [value]}),
    ]
    for url, data in pages:
        assert problems_of(superuser_client, url, "post", data) == []
        response = superuser_client.post(url, data)
        assert response.status_code == 200  # the form again, with its errors
        assert response.context["adminform"].form.errors
