"""The permission matrix of the admin, cell by cell, through real admin requests.

Roles: anonymous, the Grigny city lead, agglomeration staff, a superuser; objects in Grigny
and in Corbeil-Essonnes; operations: list, view, change a tracking field, change a structural
field, add, delete — for strategic objectives, operational objectives and actions. A denied
POST is built from the full page a superuser sees, as a forged request would be.
"""

import datetime

import pytest

from commitments.enums import Status
from commitments.models import (
    TRACKING_FIELDS,
    Action,
    OperationalObjective,
    ProgressUpdate,
    StrategicObjective,
)
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
from tests.support.progress import report

MODELS = {"so": StrategicObjective, "oo": OperationalObjective, "action": Action}
PARENTS = {
    "so": ("section", "section"),
    "oo": ("so", "strategic_objective"),
    "action": ("oo", "operational_objective"),
}
OPERATIONS = ("list", "view", "change_tracking", "change_structure", "add", "delete")
PLACES = {"grigny": grigny, "corbeil": corbeil}


def expected(role, place, model_key, operation):
    if role == "anonymous":
        return False
    if role in ("agglomeration", "superuser"):
        return True
    # The Grigny lead sees everything, tracks Grigny's commitments, never restructures.
    if operation in ("list", "view"):
        return True
    if operation == "change_tracking":
        return place == "grigny" and model_key in ("oo", "action")
    return False


def refused(response):
    """Denied: 403, or the login page for anonymous users."""
    return response.status_code == 403 or (
        response.status_code == 302 and "/admin/login/" in response["Location"]
    )


pytestmark = pytest.mark.usefixtures("fast_password_hasher")


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("model_key", list(MODELS))
@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, place, model_key, operation, superuser_client):
    tree = build_tree(PLACES[place]())
    model = MODELS[model_key]
    obj = tree[model_key]
    client = client_for(make_user(role))
    allowed = expected(role, place, model_key, operation)

    if operation == "list":
        response = client.get(admin_url(model, "changelist"), {"territoire": obj.territory.pk})
        if allowed:
            assert response.status_code == 200
            assert obj in response.context["cl"].result_list
        else:
            assert refused(response)

    elif operation == "view":
        response = client.get(admin_url(model, "change", obj.pk))
        if allowed:
            assert response.status_code == 200
            assert obj.text in response.content.decode()
        else:
            assert refused(response)

    elif operation == "change_tracking":
        data = changeform_data(superuser_client.get(admin_url(model, "change", obj.pk)))
        partner = factories.PartnerFactory()
        if model_key == "so":
            data["partners"] = [str(partner.pk)]
        else:
            # Status and progress are posted too, as a forged form would: nobody writes them
            # through this form (they are those of the latest progress update).
            data.update(
                status="en_cours",
                progress="40",
                lead=str(partner.pk),
                start_year="2021",
                end_year="2023",
            )
        response = client.post(admin_url(model, "change", obj.pk), data)
        obj.refresh_from_db()
        changed = (
            list(obj.partners.all()) == [partner]
            if model_key == "so"
            else (obj.lead_id, obj.start_year, obj.end_year) == (partner.pk, 2021, 2023)
        )
        assert changed is allowed, response.content.decode()[:3000]
        if not allowed:
            assert refused(response) or response.status_code == 302
        if model_key != "so":
            assert (obj.status, obj.progress) == ("non_renseigne", 0)
            assert not obj.updates.exists()

    elif operation == "change_structure":
        data = changeform_data(superuser_client.get(admin_url(model, "change", obj.pk)))
        data["text"] = "Intitulé réécrit"
        response = client.post(admin_url(model, "change", obj.pk), data)
        obj.refresh_from_db()
        assert (obj.text == "Intitulé réécrit") is allowed
        if allowed:
            assert response.status_code == 302

    elif operation == "add":
        parent_key, parent_field = PARENTS[model_key]
        data = changeform_data(superuser_client.get(admin_url(model, "add")))
        data.update({parent_field: str(tree[parent_key].pk), "text": "Nouvel élément ajouté"})
        if model_key != "so":
            data.update(status="prevu", progress="10")  # not on the form: ignored
        response = client.post(admin_url(model, "add"), data)
        created = model.objects.filter(text="Nouvel élément ajouté").first()
        assert (created is not None) is allowed, response.content.decode()[:3000]
        if created is not None and model_key != "so":
            assert (created.status, created.progress) == ("non_renseigne", 0)
        if not allowed:
            assert refused(response)
            assert refused(client.get(admin_url(model, "add")))

    elif operation == "delete":
        response = client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
        assert (not model.objects.filter(pk=obj.pk).exists()) is allowed
        if not allowed:
            assert refused(response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("model_key", ["oo", "action"])
def test_the_commitment_page_adds_no_update_and_links_to_the_tracking_space(
    role, place, model_key, superuser_client
):
    """The updates inline is a read-only timeline: a progress update is recorded in the
    tracking space, which the form links to. A forged inline row records nothing."""
    tree = build_tree(PLACES[place]())
    obj = tree[model_key]
    model = MODELS[model_key]
    user = make_user(role)
    client = client_for(user)
    report(obj, datetime.date(2024, 1, 15), Status.PLANNED, 10, comment="Premier point")
    allowed = role in ("agglomeration", "superuser") or (
        role == "grigny_lead" and place == "grigny"
    )

    page = client.get(admin_url(model, "change", obj.pk))
    if role != "anonymous":
        assert page.status_code == 200
        timelines = [
            inline
            for inline in page.context["inline_admin_formsets"]
            if inline.opts.model is ProgressUpdate
        ]
        html = page.content.decode()
        # Need-to-know: who reported on another city's commitment is not a lead's business.
        if role == "grigny_lead" and place != "grigny":
            assert timelines == [] and "Premier point" not in html
        else:
            (timeline,) = timelines
            assert not timeline.has_add_permission and not timeline.has_change_permission
            # Every column is read-only: the row's form has no field of the update.
            columns = {"date", "status", "progress", "comment", "link", "author"}
            assert not columns & set(timeline.formset.forms[0].fields)
            assert "Premier point" in html
        assert f'href="{obj.get_tracking_url()}"' in html
        assert "Enregistrer un point d'avancement</a>" in html

    data = changeform_data(superuser_client.get(admin_url(model, "change", obj.pk)))
    add_inline_form(
        data,
        "updates",
        {"date": "2024-03-01", "status": "realise", "progress": "100", "comment": "Terminé"},
    )
    data["start_year"] = "2021"
    response = client.post(admin_url(model, "change", obj.pk), data)
    obj.refresh_from_db()
    assert list(obj.updates.values_list("comment", flat=True)) == ["Premier point"]
    assert (obj.status, obj.progress) == (Status.PLANNED, 10)
    # The rest of the form is saved by whoever may track the commitment.
    assert (obj.start_year == 2021) is allowed
    if allowed:
        assert response.status_code == 302, response.content.decode()[:2000]
    else:
        assert refused(response)


@pytest.mark.django_db
def test_past_progress_updates_are_read_only_for_a_lead(superuser_client):
    action = build_tree(grigny())["action"]
    update = factories.ProgressUpdateFactory(action=action, comment="Premier point")
    lead = make_user("grigny_lead")
    data = changeform_data(superuser_client.get(admin_url(Action, "change", action.pk)))
    data["updates-0-comment"] = "Réécrit par le chef de projet"
    data["updates-0-DELETE"] = "on"
    response = client_for(lead).post(admin_url(Action, "change", action.pk), data)
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.comment == "Premier point"


@pytest.mark.django_db
def test_lead_change_form_shows_structure_read_only():
    action = build_tree(grigny())["action"]
    response = client_for(make_user("grigny_lead")).get(admin_url(Action, "change", action.pk))
    form = response.context["adminform"].form
    # The pilot and the years; partners are part of the adopted text, status and progress
    # those of the latest progress update (shown read-only, with the link to record one).
    assert set(form.fields) == {"lead", "start_year", "end_year", "version"}
    readonly = set(response.context["adminform"].readonly_fields)
    assert {"status", "progress", "record_update_link", "partners", "text"} <= readonly
    # No delete link, no add of children, no history revert for a lead.
    content = response.content.decode()
    assert admin_url(Action, "delete", action.pk) not in content
    assert f'href="{action.get_tracking_url()}"' in content


@pytest.mark.django_db
@pytest.mark.parametrize("model_key", ["oo", "action"])
def test_a_lead_cannot_change_partners(model_key, superuser_client):
    """Partners are part of the adopted text: staff only (TRACKING_FIELDS has no partners)."""
    assert "partners" not in TRACKING_FIELDS
    obj = build_tree(grigny())[model_key]
    kept = factories.PartnerFactory()
    obj.partners.set([kept])
    model = MODELS[model_key]
    data = changeform_data(superuser_client.get(admin_url(model, "change", obj.pk)))
    data["partners"] = [str(factories.PartnerFactory().pk)]
    data["end_year"] = "2025"
    lead = client_for(make_user("grigny_lead"))
    response = lead.post(admin_url(model, "change", obj.pk), data)
    assert response.status_code == 302  # the form is saved, the partners field ignored
    obj.refresh_from_db()
    assert obj.end_year == 2025
    assert list(obj.partners.all()) == [kept]

    # The same change by the agglomeration replaces them.
    data["version"] = str(obj.version)
    assert (
        client_for(make_user("agglomeration"))
        .post(admin_url(model, "change", obj.pk), data)
        .status_code
        == 302
    )
    assert list(obj.partners.values_list("pk", flat=True)) == [int(data["partners"][0])]


@pytest.mark.django_db
@pytest.mark.parametrize("model", [StrategicObjective, OperationalObjective, Action])
def test_lead_lists_open_on_their_territories_without_editable_rows(model):
    """A lead's lists of the tree open on their territories, and no list has an editable
    column (status and progress are recorded as progress updates)."""
    mine = build_tree(grigny())
    other = build_tree(corbeil())
    model_key = {StrategicObjective: "so", OperationalObjective: "oo", Action: "action"}[model]
    client = client_for(make_user("grigny_lead"))

    response = client.get(admin_url(model, "changelist"), {"q": ""})
    assert response.status_code == 302
    assert response["Location"].endswith("territoire=mes-territoires")
    response = client.get(response["Location"])
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert mine[model_key] in shown
    assert other[model_key] not in shown
    assert all(obj.territory == grigny() for obj in shown)
    assert not response.context["cl"].list_editable
    assert response.context["cl"].formset is None
    assert "Mes territoires" in response.content.decode()

    # Another territory stays one filter away, read-only.
    response = client.get(admin_url(model, "changelist"), {"territoire": corbeil().pk})
    assert response.status_code == 200
    assert other[model_key] in response.context["cl"].result_list


@pytest.mark.django_db
def test_lead_bulk_update_records_only_on_their_own_territory():
    """What replaced the editable list's rows: the bulk action records one dated update per
    selected commitment the lead may track; another city's rows are refused and named."""
    mine = build_tree(grigny())["action"]
    other = build_tree(corbeil())["action"]
    client = client_for(make_user("grigny_lead"))
    # A forged POST on the unfiltered list, selecting another city's row too.
    response = client.post(
        admin_url(Action, "changelist"),
        {
            "action": "record_update",
            "_selected_action": [str(mine.pk), str(other.pk)],
            "status": "abandonne",
            "date": "",
            "comment": "Revue annuelle",
        },
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert any("enregistré pour 1 engagement" in message for message in messages), messages
    assert any("1 engagement(s) d'un autre territoire" in message for message in messages)
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.status, mine.progress) == ("abandonne", 0)
    assert (other.status, other.progress) == ("non_renseigne", 0)
    assert not other.updates.exists()


@pytest.mark.django_db
def test_lead_cannot_revert_from_history(superuser_client):
    action = build_tree(grigny())["action"]
    action.text = "Deuxième version"
    action.save()
    lead = make_user("grigny_lead")
    history_url = first_version_url(action)
    client = client_for(lead)
    assert client.get(history_url).status_code == 200  # reading the history is fine
    data = changeform_data(superuser_client.get(history_url))
    assert client.post(history_url, data).status_code == 403
    action.refresh_from_db()
    assert action.text == "Deuxième version"
