"""Optimistic concurrency, the editable list, the bulk status action, create_demo_users."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from commitments.models import Action, OperationalObjective, Protocol
from commitments.services.progress_rule import bulk_set_status
from territories.roles import is_agglomeration, is_city_lead, led_territories
from tests import factories
from tests.admin_support import build_tree, changeform_data, corbeil, grigny, make_user


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def url(model, name, *args):
    return reverse(f"admin:commitments_{model._meta.model_name}_{name}", args=args)


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestConcurrentEdits:
    def test_second_save_from_a_stale_page_is_refused_and_input_kept(self):
        action = build_tree(grigny())["action"]
        first = make_user("agglomeration", username="first-editor")
        second = make_user("grigny_lead", username="second-editor")
        first_client, second_client = logged_in(first), logged_in(second)
        change_url = url(Action, "change", action.pk)
        first_data = changeform_data(first_client.get(change_url))
        second_data = changeform_data(second_client.get(change_url))

        first_data.update(status="realise", progress="100")
        assert first_client.post(change_url, first_data).status_code == 302

        second_data.update(status="abandonne", progress="12")
        response = second_client.post(change_url, second_data)
        assert response.status_code == 200  # re-displayed, not saved
        action.refresh_from_db()
        assert (action.status, action.progress) == ("realise", 100)
        page = response.content.decode()
        assert "a été modifié par first-editor" in page
        assert "statut" in page and "avancement" in page  # what the other person changed
        form = response.context["adminform"].form
        assert form["status"].value() == "abandonne" and form["progress"].value() == "12"

        # Saving the same form again is now a deliberate overwrite, and is accepted.
        second_data["version"] = form["version"].value()
        assert second_client.post(change_url, second_data).status_code == 302
        action.refresh_from_db()
        assert (action.status, action.progress) == ("abandonne", 12)

    def test_stale_save_with_no_difference_is_harmless(self):
        action = build_tree(grigny())["action"]
        client = logged_in(make_user("agglomeration"))
        data = changeform_data(client.get(url(Action, "change", action.pk)))
        action.details = "Précisions ajoutées entre-temps"
        action.save()
        data["details"] = "Précisions ajoutées entre-temps"
        assert client.post(url(Action, "change", action.pk), data).status_code == 302

    def test_stale_row_in_the_editable_list_is_refused(self):
        action = build_tree(grigny())["action"]
        client = logged_in(make_user("agglomeration"))
        list_url = url(Action, "changelist") + f"?id__in={action.pk}"
        stale_version = action.version
        action.progress = 80
        action.save()  # someone else, meanwhile
        data = {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(action.pk),
            "form-0-status": "en_cours",
            "form-0-progress": "20",
            "form-0-version": str(stale_version),
            "_save": "Enregistrer",
        }
        response = client.post(list_url, data)
        assert response.status_code == 200
        assert "depuis que vous avez ouvert cette page" in response.content.decode()
        action.refresh_from_db()
        assert (action.status, action.progress) == ("non_renseigne", 80)

        data["form-0-version"] = str(action.version)
        assert client.post(list_url, data).status_code == 302
        action.refresh_from_db()
        assert (action.status, action.progress) == ("en_cours", 20)

    def test_the_editable_list_renders_the_version_of_each_row(self):
        action = build_tree(grigny())["action"]
        client = logged_in(make_user("agglomeration"))
        page = client.get(url(Action, "changelist") + f"?id__in={action.pk}").content.decode()
        assert 'name="form-0-version"' in page

    def test_change_form_renders_the_hidden_version(self):
        oo = build_tree(grigny())["oo"]
        client = logged_in(make_user("grigny_lead"))
        page = client.get(url(OperationalObjective, "change", oo.pk)).content.decode()
        assert f'type="hidden" name="version" value="{oo.version}"' in page


@pytest.mark.django_db
class TestBulkStatus:
    def test_action_sets_status_with_history_and_touch(self):
        tree = build_tree(grigny())
        other = factories.ActionFactory(operational_objective=tree["oo"], position=2)
        partner = factories.PartnerFactory()
        other.partners.add(partner)
        protocol = tree["protocol"]
        Protocol.objects.filter(pk=protocol.pk).update(last_changed_at="2000-01-01T00:00Z")
        user = make_user("agglomeration")
        response = logged_in(user).post(
            url(Action, "changelist"),
            {
                "action": "set_status",
                "status": "en_cours",
                "_selected_action": [tree["action"].pk, other.pk],
            },
        )
        assert response.status_code == 302
        for action in (tree["action"], other):
            before = action.version
            action.refresh_from_db()
            assert action.status == "en_cours"
            assert action.version == before + 1
            latest = action.history.order_by("-history_date", "-history_id").first()
            assert latest.history_user == user and latest.status == "en_cours"
        # The history keeps the partners (no false "partner removed" in the diff).
        latest = other.history.order_by("-history_date", "-history_id").first()
        assert list(latest.partners.values_list("partner_id", flat=True)) == [partner.pk]
        protocol.refresh_from_db()
        assert protocol.last_changed_at.year > 2000

    def test_lead_changes_only_own_territory(self):
        mine, theirs = build_tree(grigny())["action"], build_tree(corbeil())["action"]
        lead = make_user("grigny_lead")
        response = logged_in(lead).post(
            url(Action, "changelist"),
            {"action": "set_status", "status": "prevu", "_selected_action": [mine.pk, theirs.pk]},
            follow=True,
        )
        assert "1 élément(s) d&#x27;un autre territoire" in response.content.decode()
        mine.refresh_from_db()
        theirs.refresh_from_db()
        assert mine.status == "prevu"
        assert theirs.status == "non_renseigne"

    def test_missing_status_changes_nothing(self):
        action = build_tree(grigny())["action"]
        response = logged_in(make_user("agglomeration")).post(
            url(Action, "changelist"),
            {"action": "set_status", "status": "", "_selected_action": [action.pk]},
            follow=True,
        )
        assert "Choisissez le nouveau statut" in response.content.decode()
        action.refresh_from_db()
        assert action.status == "non_renseigne"

    def test_service_runs_in_constant_queries(self, django_assert_max_num_queries):
        tree = build_tree(grigny())
        for position in range(2, 30):
            factories.ActionFactory(operational_objective=tree["oo"], position=position)
        user = make_user("agglomeration")
        queryset = Action.objects.filter(operational_objective=tree["oo"])
        with django_assert_max_num_queries(14):
            changed, refused = bulk_set_status(queryset, "realise", user)
        assert (changed, refused) == (29, 0)
        # Already at that status: nothing to write.
        assert bulk_set_status(queryset, "realise", user) == (0, 0)


@pytest.mark.django_db
class TestCreateDemoUsers:
    def test_creates_both_roles(self, settings, capsys):
        settings.DEBUG = True
        call_command("create_demo_users", password="mot-de-passe-demo-1")
        output = capsys.readouterr().out
        assert "agglomeration / mot-de-passe-demo-1" in output
        users = get_user_model().objects
        agglo, lead = users.get(username="agglomeration"), users.get(username="chef-grigny")
        assert is_agglomeration(agglo) and not is_city_lead(agglo)
        assert is_city_lead(lead) and list(led_territories(lead)) == [grigny()]
        assert lead.check_password("mot-de-passe-demo-1")
        # Idempotent, and a new random password each time otherwise.
        call_command("create_demo_users")
        assert users.filter(username__in=["agglomeration", "chef-grigny"]).count() == 2
        lead.refresh_from_db()
        assert not lead.check_password("mot-de-passe-demo-1")

    def test_refuses_in_production(self, settings):
        settings.DEBUG = False
        with pytest.raises(CommandError, match="DEBUG"):
            call_command("create_demo_users")
        assert not get_user_model().objects.filter(username="agglomeration").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Action, OperationalObjective])
@pytest.mark.parametrize(
    ("role", "allowed"), [("agglomeration", True), ("superuser", True), ("grigny_lead", False)]
)
def test_spreadsheet_import_export_is_for_agglomeration_staff(model, role, allowed):
    client = logged_in(make_user(role))
    for view in ("export", "import"):
        response = client.get(url(model, view))
        assert (response.status_code == 200) is allowed, (view, response.status_code)
        if not allowed:
            assert response.status_code == 403
    changelist = client.get(url(model, "changelist")).content.decode()
    assert (url(model, "export") in changelist) is allowed
