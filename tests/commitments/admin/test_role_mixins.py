"""The permission matrix of the admin, cell by cell, through real admin requests.

Roles: anonymous, the Grigny city lead, agglomeration staff, a superuser; objects in Grigny
and in Corbeil-Essonnes; operations: list, view, change a tracking field, change a structural
field, add, delete — for strategic objectives, operational objectives and actions. A denied
POST is built from the full page a superuser sees, as a forged request would be.
"""

import pytest

from commitments.models import Action, OperationalObjective, ProgressUpdate, StrategicObjective
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
            data.update(status="en_cours", progress="40", lead=str(partner.pk))
        response = client.post(admin_url(model, "change", obj.pk), data)
        obj.refresh_from_db()
        changed = (
            list(obj.partners.all()) == [partner]
            if model_key == "so"
            else (obj.status, obj.progress, obj.lead_id) == ("en_cours", 40, partner.pk)
        )
        assert changed is allowed, response.content.decode()[:3000]
        if not allowed:
            assert refused(response) or response.status_code == 302

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
            data.update(status="prevu", progress="0")
        response = client.post(admin_url(model, "add"), data)
        created = model.objects.filter(text="Nouvel élément ajouté").exists()
        assert created is allowed, response.content.decode()[:3000]
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
def test_add_progress_update_through_the_commitment_page(role, place, model_key, superuser_client):
    tree = build_tree(PLACES[place]())
    obj = tree[model_key]
    model = MODELS[model_key]
    user = make_user(role)
    data = changeform_data(superuser_client.get(admin_url(model, "change", obj.pk)))
    add_inline_form(
        data,
        "updates",
        {"date": "2024-03-01", "status": "realise", "progress": "100", "comment": "Terminé"},
    )
    response = client_for(user).post(admin_url(model, "change", obj.pk), data)
    target_field = "action" if model_key == "action" else "operational_objective"
    updates = ProgressUpdate.objects.filter(**{target_field: obj})
    allowed = role in ("agglomeration", "superuser") or (
        role == "grigny_lead" and place == "grigny"
    )
    assert updates.exists() is allowed, response.content.decode()[:2000]
    if allowed:
        update = updates.get()
        assert update.author == user  # signed by whoever reported it
        assert update.comment == "Terminé"


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
    assert set(form.fields) == {
        "status",
        "progress",
        "lead",
        "partners",
        "start_year",
        "end_year",
        "version",
    }
    # No delete link, no add of children, no history revert for a lead.
    content = response.content.decode()
    assert admin_url(Action, "delete", action.pk) not in content


@pytest.mark.django_db
def test_lead_list_editable_rows_of_other_territories_are_disabled(superuser_client):
    mine = build_tree(grigny())["action"]
    other = build_tree(corbeil())["action"]
    lead = make_user("grigny_lead")
    client = client_for(lead)
    response = client.get(admin_url(Action, "changelist"), {"id__in": f"{mine.pk},{other.pk}"})
    forms = {form.instance.pk: form for form in response.context["cl"].formset.forms}
    assert not forms[mine.pk].fields["status"].disabled
    assert forms[other.pk].fields["status"].disabled

    # A forged POST on the other city's row changes nothing; the own row is saved.
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Enregistrer",
    }
    for index, action in enumerate([mine, other]):
        data.update(
            {
                f"form-{index}-id": str(action.pk),
                f"form-{index}-status": "abandonne",
                f"form-{index}-progress": "5",
                f"form-{index}-version": str(action.version),
            }
        )
    response = client.post(admin_url(Action, "changelist") + f"?id__in={mine.pk},{other.pk}", data)
    assert response.status_code == 302
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.status, mine.progress) == ("abandonne", 5)
    assert (other.status, other.progress) == ("non_renseigne", 0)


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
