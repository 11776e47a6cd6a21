"""Accounts (territories/views.py, territories/accounts.py): login in the site's design (with
the two-factor step and django-axes' lockout), forgotten password (same answer for any
address; the email through the job queue; the link works), password change, notification
preferences, invitations (the email's link → a password → logged in → the tracking space)."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from territories import accounts
from territories.models import AccountPreferences, Territory, TerritoryMembership
from territories.roles import CITY_LEAD_GROUP
from tests.support.admin import client_for, corbeil, grigny, make_user
from tests.support.jobs import run_jobs
from tests.support.two_factor import PASSWORD, app_code, enrol

pytestmark = pytest.mark.django_db

LOGIN = "/compte/connexion/"
RESET = "/compte/mot-de-passe-oublie/"
INVITE = "/compte/invitations/"
NEW_PASSWORD = "Lavande-et-Cerisier-2026"


@pytest.fixture(autouse=True)
def locmem_email(settings, fast_password_hasher):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Engagements PERER <ne-pas-repondre@perer.example.org>"


def text(response):
    return response.content.decode()


def link_in(message):
    """The portal's link in an email (plain text), as a path."""
    (url,) = re.findall(
        r"https?://testserver(/compte/(?:bienvenue|mot-de-passe-oublie)/[^\s]+)", message.body
    )
    return url


def log_in(client, username, password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


class TestLogin:
    def test_the_page_is_in_the_sites_design(self, client):
        response = client.get(LOGIN)
        assert response.status_code == 200
        page = text(response)
        assert "<h1>Connexion</h1>" in page and 'class="site-header"' in page
        assert 'href="/compte/mot-de-passe-oublie/"' in page

    def test_a_lead_lands_in_the_tracking_space(self, client):
        lead = make_user("grigny_lead")
        response = log_in(client, lead.username)
        assert (response.status_code, response["Location"]) == (302, "/suivi/")
        assert client.get("/suivi/").status_code == 200

    def test_staff_land_in_the_admin_and_next_is_followed(self, client):
        agent = make_user("agglomeration")
        assert log_in(client, agent.username)["Location"] == "/admin/"
        client.post("/compte/deconnexion/")
        assert log_in(client, agent.username, next_url="/compte/")["Location"] == "/compte/"

    def test_an_outside_next_is_ignored(self, client):
        lead = make_user("grigny_lead")
        assert log_in(client, lead.username, next_url="https://evil.example/")["Location"] == (
            "/suivi/"
        )

    def test_a_wrong_password_is_refused_in_french(self, client):
        lead = make_user("grigny_lead")
        response = log_in(client, lead.username, "mauvais")
        assert response.status_code == 400
        assert "Identifiant ou mot de passe incorrect" in text(response)
        assert "_auth_user_id" not in client.session

    def test_wrong_passwords_lock_out(self, client, settings):
        lead = make_user("grigny_lead")
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert log_in(client, lead.username, "mauvais").status_code == 400
        assert log_in(client, lead.username, "mauvais").status_code == 429
        # Even the right password is refused for the cool-off time.
        assert log_in(client, lead.username).status_code == 429
        assert "_auth_user_id" not in client.session

    def test_an_enrolled_user_gives_a_code_after_the_password(self, client):
        lead = make_user("grigny_lead")
        enrol(lead)
        response = log_in(client, lead.username, next_url="/suivi/")
        assert response.status_code == 302
        followed = client.get(response["Location"])
        assert followed.status_code == 302
        assert followed["Location"].startswith("/compte/connexion/code/")

    def test_logout(self, client):
        lead = make_user("grigny_lead")
        log_in(client, lead.username)
        assert client.get("/compte/deconnexion/").status_code == 405
        response = client.post("/compte/deconnexion/")
        assert (response.status_code, response["Location"]) == (302, "/")
        assert "_auth_user_id" not in client.session


class TestPasswordReset:
    def test_a_known_address_gets_a_link_that_works_once(self, client):
        lead = make_user("grigny_lead")
        response = client.post(RESET, {"email": lead.email.upper()})
        assert (response.status_code, response["Location"]) == (
            302,
            "/compte/mot-de-passe-oublie/envoye/",
        )
        assert mail.outbox == []  # queued, not sent in the request
        assert DBTaskResult.objects.filter(queue_name="emails").count() == 1
        run_jobs()
        (message,) = mail.outbox
        assert message.to == [lead.email]
        assert message.subject == "Choisir un nouveau mot de passe — Engagements PERER"
        assert "Vous avez demandé à changer le mot de passe" in message.body
        html = message.alternatives[0].content
        assert "Choisir un nouveau mot de passe" in html and '<html lang="fr">' in html

        link = link_in(message)
        form_page = client.get(link, follow=True)
        assert "Choisir un nouveau mot de passe" in text(form_page)
        set_url = form_page.redirect_chain[-1][0]
        done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        # Logged in at once, in the tracking space.
        assert (done.status_code, done["Location"]) == (302, "/suivi/")
        assert client.session["_auth_user_id"] == str(lead.pk)
        landed = text(client.get("/suivi/"))
        assert "Votre mot de passe est enregistré." in landed

        assert log_in(Client(), lead.username).status_code == 400  # the old one is gone
        assert log_in(Client(), lead.username, NEW_PASSWORD).status_code == 302
        again = Client().get(link, follow=True)
        assert "Ce lien n'est plus valable" in text(again)

    def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent(self, client):
        make_user("grigny_lead")
        known = client.post(RESET, {"email": "test-grigny_lead@example.org"})
        unknown = client.post(RESET, {"email": "personne@example.org"})
        assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
        assert text(client.get(unknown["Location"])) == text(client.get(known["Location"]))
        run_jobs()
        assert [m.to for m in mail.outbox] == [["test-grigny_lead@example.org"]]

    def test_an_invited_lead_whose_link_expired_gets_a_new_one(self, client):
        staff = client_for(make_user("agglomeration"))
        invite(staff)
        client.post(RESET, {"email": "lea.martin@ville-grigny.fr"})
        run_jobs()
        assert [m.subject for m in mail.outbox] == [
            "Votre compte sur le portail des engagements PERER",
            "Choisir un nouveau mot de passe — Engagements PERER",
        ]
        page = client.get(link_in(mail.outbox[1]), follow=True)
        done = client.post(
            page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        assert done.status_code == 302
        assert log_in(Client(), "lea.martin@ville-grigny.fr", NEW_PASSWORD).status_code == 302

    def test_an_account_whose_password_was_disabled_after_use_gets_nothing(self, client):
        lead = make_user("grigny_lead")
        log_in(Client(), lead.username)  # it was used
        lead.refresh_from_db()
        lead.set_unusable_password()
        lead.save()
        client.post(RESET, {"email": lead.email})
        run_jobs()
        assert mail.outbox == []

    def test_repeated_requests_send_one_email_every_few_minutes(self, client):
        lead = make_user("grigny_lead")
        answers = {client.post(RESET, {"email": lead.email})["Location"] for _ in range(3)}
        assert answers == {"/compte/mot-de-passe-oublie/envoye/"}
        assert DBTaskResult.objects.filter(queue_name="emails").count() == 1
        cache.clear()  # as if the interval had passed
        client.post(RESET, {"email": lead.email.upper()})
        assert DBTaskResult.objects.filter(queue_name="emails").count() == 2

    def test_an_inactive_account_gets_nothing(self, client):
        lead = make_user("grigny_lead")
        get_user_model().objects.filter(pk=lead.pk).update(is_active=False)
        assert client.post(RESET, {"email": lead.email}).status_code == 302
        run_jobs()
        assert mail.outbox == []

    def test_known_and_unknown_addresses_cost_the_request_the_same(self):
        """The page does the same work for any address (so it takes the same time): the same
        queries, one job of the same task, which looks the accounts up later."""
        lead = make_user("grigny_lead")
        work = {}
        for address in (lead.email, "personne@example.org"):
            with CaptureQueriesContext(connection) as queries:
                response = Client().post(RESET, {"email": address})
            assert (response.status_code, response["Location"]) == (
                302,
                "/compte/mot-de-passe-oublie/envoye/",
            )
            (job,) = DBTaskResult.objects.filter(args_kwargs__kwargs__email=address)
            work[address] = {
                "queries": [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries],
                "job": (job.task_path, job.queue_name, sorted(job.args_kwargs["kwargs"])),
            }
        known, unknown = work.values()
        assert known == unknown
        assert len(known["queries"]) <= 2
        assert not any("auth_user" in sql for sql in known["queries"])  # no lookup
        run_jobs()
        assert [m.to for m in mail.outbox] == [[lead.email]]

    @pytest.mark.parametrize("value", ["", "pas-une-adresse", "a" * 300 + "@example.org"])
    def test_bad_input_is_explained(self, client, value):
        response = client.post(RESET, {"email": value})
        assert response.status_code == 400
        assert "adresse électronique" in text(response)
        assert DBTaskResult.objects.filter(queue_name="emails").count() == 0

    def test_a_tampered_link_is_refused_without_error(self, client):
        response = client.get("/compte/mot-de-passe-oublie/MTIzNDU2/abc-def/")
        assert response.status_code == 200
        assert "Ce lien n'est plus valable" in text(response)
        response = client.get("/compte/mot-de-passe-oublie/%00%FF/x/")
        assert response.status_code in (200, 404)


class TestAccountPage:
    def test_preferences_are_saved(self, client):
        lead = make_user("grigny_lead")
        client = client_for(lead)
        page = text(client.get("/compte/"))
        assert "Grigny" in page and "checked" in page
        response = client.post("/compte/", {"weekly_digest": "on"})
        assert (response.status_code, response["Location"]) == (302, "/compte/")
        preferences = AccountPreferences.objects.get(user=lead)
        assert (preferences.reminders, preferences.weekly_digest) == (False, True)
        assert "Vos préférences de notification sont enregistrées." in text(client.get("/compte/"))

    def test_defaults_without_a_row(self):
        lead = make_user("grigny_lead")
        preferences = AccountPreferences.for_user(lead)
        assert (preferences.pk, preferences.reminders, preferences.weekly_digest) == (
            None,
            True,
            True,
        )

    @pytest.mark.parametrize(
        ("role", "digest"), [("agglomeration", True), ("grigny_lead", False), ("superuser", True)]
    )
    def test_the_weekly_digest_is_pre_ticked_for_the_agglomeration_only(self, role, digest):
        """The digest is meant for (and only sent to) agglomeration staff: a city lead who
        never chose finds it unticked, reminders ticked; nothing is written by looking."""
        user = make_user(role)
        preferences = accounts.preferences_of(user)
        assert (preferences.pk, preferences.reminders, preferences.weekly_digest) == (
            None,
            True,
            digest,
        )
        page = client_for(user).get("/compte/")
        digest_box = re.search(r'<input[^>]*name="weekly_digest"[^>]*>', text(page)).group()
        reminders_box = re.search(r'<input[^>]*name="reminders"[^>]*>', text(page)).group()
        assert ("checked" in digest_box) is digest
        assert "checked" in reminders_box
        assert not AccountPreferences.objects.filter(user=user).exists()

    def test_a_choice_made_is_kept_whatever_the_role(self):
        lead = make_user("grigny_lead")
        accounts.save_preferences(lead, reminders=True, weekly_digest=True)
        assert accounts.preferences_of(lead).weekly_digest is True
        agent = make_user("agglomeration")
        accounts.save_preferences(agent, reminders=True, weekly_digest=False)
        assert accounts.preferences_of(agent).weekly_digest is False

    def test_password_change(self):
        lead = make_user("grigny_lead")
        client = client_for(lead)
        wrong = client.post(
            "/compte/mot-de-passe/",
            {
                "old_password": "mauvais",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        assert wrong.status_code == 400
        assert "ancien mot de passe est incorrect" in text(wrong)
        response = client.post(
            "/compte/mot-de-passe/",
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        assert (response.status_code, response["Location"]) == (302, "/compte/")
        assert client.get("/compte/").status_code == 200  # still logged in
        assert log_in(Client(), lead.username, NEW_PASSWORD).status_code == 302

    @pytest.mark.parametrize("territories", [1, 6])
    def test_constant_queries(self, territories, django_assert_max_num_queries):
        lead = make_user("grigny_lead")
        for territory in Territory.objects.exclude(slug="grigny")[: territories - 1]:
            TerritoryMembership.objects.create(user=lead, territory=territory)
        client = client_for(lead)
        with django_assert_max_num_queries(12):
            assert client.get("/compte/").status_code == 200


def invite(client, **fields):
    data = {
        "email": "Lea.Martin@ville-grigny.fr",
        "first_name": "Léa",
        "last_name": "Martin",
        "territories": [grigny().pk],
    }
    data.update(fields)
    return client.post(INVITE, data)


CHANGE = "/compte/mot-de-passe/"


def change_password(client, old_password):
    return client.post(
        CHANGE,
        {
            "old_password": old_password,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )


class TestPasswordChangeAttempts:
    """A wrong current password on /compte/mot-de-passe/ is a failed login: django-axes counts
    it with the login's, and locks out at the same limit with the same French answer."""

    def test_wrong_current_passwords_lock_out_like_the_login(self, settings):
        lead = make_user("grigny_lead")
        client = client_for(lead)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            wrong = change_password(client, "mauvais")
            assert wrong.status_code == 400
            assert "ancien mot de passe est incorrect" in text(wrong)
        locked = change_password(client, "mauvais")
        assert locked.status_code == 429
        assert "trop de tentatives de connexion" in text(locked).lower()
        assert "_auth_user_id" not in client.session  # logged out
        # Locked out everywhere the login counts: another session's right password, the login.
        again = change_password(client_for(lead), PASSWORD)
        assert again.status_code == 429
        assert "trop de tentatives de connexion" in text(again).lower()
        assert log_in(Client(), lead.username).status_code == 429
        lead.refresh_from_db()
        assert lead.check_password(PASSWORD) and not lead.check_password(NEW_PASSWORD)

    def test_failures_add_up_with_the_logins(self, settings):
        lead = make_user("grigny_lead")
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert log_in(Client(), lead.username, "mauvais").status_code == 400
        assert change_password(client_for(lead), "mauvais").status_code == 429

    def test_below_the_limit_the_right_password_changes_it(self, settings):
        lead = make_user("grigny_lead")
        client = client_for(lead)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert change_password(client, "mauvais").status_code == 400
        response = change_password(client, PASSWORD)
        assert (response.status_code, response["Location"]) == (302, "/compte/")
        lead.refresh_from_db()
        assert lead.check_password(NEW_PASSWORD)

    def test_other_errors_are_not_failed_logins(self):
        lead = make_user("grigny_lead")
        client = client_for(lead)
        for _ in range(10):
            response = client.post(
                CHANGE,
                {"old_password": PASSWORD, "new_password1": "a", "new_password2": "b"},
            )
            assert response.status_code == 400
        assert not AccessAttempt.objects.exists()
        assert change_password(client, PASSWORD).status_code == 302

    def test_no_secret_is_stored_with_the_failure(self):
        lead = make_user("grigny_lead")
        change_password(client_for(lead), "Mauvais-Essai-Secret")
        (attempt,) = AccessAttempt.objects.all()
        assert attempt.username == lead.username
        assert "Mauvais-Essai-Secret" not in attempt.post_data
        assert NEW_PASSWORD not in attempt.post_data
        assert "old_password=****" in attempt.post_data


class TestInvitations:
    def test_invited_lead_chooses_a_password_logs_in_and_reports(self):
        staff = client_for(make_user("agglomeration"))
        response = invite(staff, territories=[grigny().pk, corbeil().pk])
        assert (response.status_code, response["Location"]) == (302, INVITE)
        user = get_user_model().objects.get(email="Lea.Martin@ville-grigny.fr")
        assert user.username == "lea.martin@ville-grigny.fr"
        assert (user.is_active, user.is_staff, user.has_usable_password()) == (True, True, False)
        assert list(user.groups.values_list("name", flat=True)) == [CITY_LEAD_GROUP]
        assert set(user.territory_memberships.values_list("territory__slug", flat=True)) == {
            "grigny",
            "corbeil-essonnes",
        }
        assert "Invitation envoyée à Lea.Martin@ville-grigny.fr" in text(staff.get(INVITE))
        assert "Léa Martin — Lea.Martin@ville-grigny.fr" in text(staff.get(INVITE))

        run_jobs()
        (message,) = mail.outbox
        assert message.to == ["Lea.Martin@ville-grigny.fr"]
        assert message.subject == "Votre compte sur le portail des engagements PERER"
        assert "Bonjour Léa," in message.body
        assert "Grigny" in message.body and "Corbeil-Essonnes" in message.body
        assert "Votre identifiant : lea.martin@ville-grigny.fr" in message.body
        assert "Choisir mon mot de passe" in message.alternatives[0].content

        lead = Client()
        page = lead.get(link_in(message), follow=True)
        assert "Bienvenue, choisissez votre mot de passe" in text(page)
        set_url = page.redirect_chain[-1][0]
        weak = lead.post(set_url, {"new_password1": "123", "new_password2": "123"})
        assert weak.status_code == 400
        assert "Le mot de passe n'a pas été enregistré" in text(weak)
        done = lead.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        # Logged in at once (no second login with an empty username), in the tracking space.
        assert (done.status_code, done["Location"]) == (302, "/suivi/")
        landed = lead.get("/suivi/")
        assert landed.status_code == 200
        assert "bienvenue dans l&#x27;espace de suivi" in text(landed)
        assert 'class="account-bar__who"' in text(landed) and "Léa Martin" in text(landed)
        lead.post("/compte/deconnexion/")
        assert log_in(lead, "lea.martin@ville-grigny.fr", NEW_PASSWORD)["Location"] == "/suivi/"
        # The link served once.
        assert "Ce lien n'est plus valable" in text(Client().get(link_in(message), follow=True))
        assert "Aucune" in text(staff.get(INVITE))

    def test_a_pending_invitation_can_be_sent_again(self):
        staff = client_for(make_user("agglomeration"))
        invite(staff)
        assert invite(staff, territories=[corbeil().pk]).status_code == 302
        assert (
            get_user_model().objects.filter(email__iexact="lea.martin@ville-grigny.fr").count() == 1
        )
        run_jobs()
        assert len(mail.outbox) == 2

    def test_an_account_in_use_is_not_invited_again(self):
        staff = client_for(make_user("agglomeration"))
        lead = make_user("grigny_lead")
        response = invite(staff, email=lead.email)
        assert response.status_code == 400
        assert "Un compte existe déjà pour l&#x27;adresse" in text(response)
        assert DBTaskResult.objects.filter(queue_name="emails").count() == 0

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"email": ""}, "Saisissez l&#x27;adresse électronique du chef de projet."),
            ({"email": "pas-une-adresse"}, "Saisissez une adresse électronique valide"),
            ({"first_name": ""}, "Saisissez le prénom."),
            ({"territories": []}, "Choisissez au moins un territoire."),
            ({"territories": ["999999"]}, "Ce territoire n&#x27;existe pas"),
            ({"territories": ["abc"]}, "Ce territoire n&#x27;existe pas"),
            ({"territories": ["9" * 30]}, "Ce territoire n&#x27;existe pas"),
        ],
    )
    def test_bad_input_is_explained(self, fields, message):
        staff = client_for(make_user("agglomeration"))
        response = invite(staff, **fields)
        assert response.status_code == 400
        assert message in text(response)
        assert (
            not get_user_model().objects.filter(email__iexact="lea.martin@ville-grigny.fr").exists()
        )

    def test_names_are_escaped(self):
        staff = client_for(make_user("agglomeration"))
        invite(staff, first_name="<script>alert(1)</script>")
        page = text(staff.get(INVITE))
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;" in page

    def test_the_service_writes_everything_or_nothing(self, monkeypatch):
        def fail(*args, **kwargs):
            raise RuntimeError("file indisponible")

        monkeypatch.setattr(accounts, "send_email", fail)
        with pytest.raises(RuntimeError):
            accounts.invite_city_lead(
                email="x@example.org", first_name="X", last_name="Y", territories=[grigny()]
            )
        assert not get_user_model().objects.filter(email="x@example.org").exists()
        assert Group.objects.get(name=CITY_LEAD_GROUP)  # untouched

    def test_pending_invitations_are_named_as_everywhere_else(self):
        """The name comes from perer/lib/user_names.display_name: the full name, else the login."""
        staff = client_for(make_user("agglomeration"))
        invite(staff)
        accounts.invite_city_lead(
            email="sans.nom@example.org", first_name="", last_name="", territories=[grigny()]
        )
        page = text(staff.get(INVITE))
        assert "Léa Martin — Lea.Martin@ville-grigny.fr" in page
        assert "sans.nom@example.org — sans.nom@example.org" in page

    @pytest.mark.parametrize("pending", [1, 8])
    def test_constant_queries(self, pending, django_assert_max_num_queries):
        for n in range(pending):
            accounts.invite_city_lead(
                email=f"lead{n}@example.org",
                first_name="L",
                last_name=str(n),
                territories=[grigny()],
            )
        staff = client_for(make_user("agglomeration"))
        with django_assert_max_num_queries(12):
            assert staff.get(INVITE).status_code == 200


def test_the_admin_login_keeps_working_and_links_to_the_reset_page(client):
    page = client.get("/admin/login/")
    assert 'href="/compte/mot-de-passe-oublie/"' in text(page)
    lead = make_user("grigny_lead")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": lead.username, "password": PASSWORD}
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_an_address_whose_username_is_taken_is_refused_in_french():
    make_user("grigny_lead", username="lea.martin@ville-grigny.fr")  # another address
    staff = client_for(make_user("agglomeration"))
    response = invite(staff)
    assert response.status_code == 400
    assert "est déjà celui d&#x27;un autre compte" in text(response)


def test_the_admins_password_change_counts_wrong_passwords_too(settings):
    """/admin/password_change/ (Django's admin page) locks out like /compte/mot-de-passe/."""
    agent = make_user("agglomeration")
    client = client_for(agent)
    page = client.get("/admin/password_change/")
    assert page.status_code == 200
    assert 'name="old_password"' in text(page) and "Administration PERER" in text(page)
    data = {"old_password": "mauvais", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = client.post("/admin/password_change/", data)
        assert wrong.status_code == 200
        assert "ancien mot de passe est incorrect" in text(wrong)
    locked = client.post("/admin/password_change/", data)
    assert locked.status_code == 429
    assert "trop de tentatives de connexion" in text(locked).lower()
    assert "_auth_user_id" not in client.session
    agent.refresh_from_db()
    assert not agent.check_password(NEW_PASSWORD)
    # The right password, below the limit, changes it as the admin does.
    other = make_user("superuser")
    client = client_for(other)
    done = client.post("/admin/password_change/", {**data, "old_password": PASSWORD})
    assert (done.status_code, done["Location"]) == (302, "/admin/password_change/done/")
    other.refresh_from_db()
    assert other.check_password(NEW_PASSWORD)


def reset_link_for(user):
    """The path of a reset link for `user`, as the email gives it (followed to the form)."""
    client = Client()
    client.post(RESET, {"email": user.email})
    run_jobs()
    page = client.get(link_in(mail.outbox[-1]), follow=True)
    return client, page.redirect_chain[-1][0]


class TestLoggedInAfterChoosingAPassword:
    """After a reset link (as after an invitation, tested above), the user is logged in and
    lands on /suivi/; an enrolled user still gives their code first, then goes on there."""

    def test_an_enrolled_user_gives_the_code_before_the_tracking_space(self):
        lead = make_user("grigny_lead")
        device, _ = enrol(lead)
        client, set_url = reset_link_for(lead)
        done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert done["Location"] == "/suivi/"
        gate = client.get("/suivi/")
        assert gate.status_code == 302
        assert gate["Location"] == "/compte/connexion/code/?next=%2Fsuivi%2F"
        assert client.get("/compte/").status_code == 302  # nothing else either
        code = client.post(gate["Location"], {"code": app_code(device)})
        assert (code.status_code, code["Location"]) == (302, "/suivi/")
        assert client.get("/suivi/").status_code == 200

    def test_staff_who_must_enrol_are_sent_to_the_enrolment_first(self, settings):
        settings.OTP_REQUIRED_FOR_AGGLOMERATION = True
        agent = make_user("agglomeration")
        client, set_url = reset_link_for(agent)
        client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        gate = client.get("/suivi/")
        assert gate["Location"].startswith("/compte/double-authentification/")

    def test_a_wrong_second_password_logs_nobody_in(self):
        lead = make_user("grigny_lead")
        client, set_url = reset_link_for(lead)
        response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": "autre"})
        assert response.status_code == 400
        assert "_auth_user_id" not in client.session


class TestHeader:
    """The header says who is logged in, links to « Mon espace » and logs out by POST."""

    def test_anonymous_visitors_see_no_account_bar_and_get_no_session(self, client):
        response = client.get("/glossaire/")
        assert 'class="account-bar"' not in text(response)
        assert "Cookie" not in response.get("Vary", "")
        assert "csrftoken" not in response.cookies

    def test_a_logged_in_user_sees_their_name_their_space_and_logout(self):
        lead = make_user("grigny_lead")
        lead.first_name, lead.last_name = "Léa", "Martin"
        lead.save()
        client = client_for(lead)
        page = text(client.get("/glossaire/"))
        bar = re.search(r'<div class="account-bar">.*?</ul>', page, re.S).group()
        assert "Léa Martin" in bar
        assert '<a href="/suivi/">Mon espace</a>' in bar
        assert '<form method="post" action="/compte/deconnexion/">' in bar
        assert 'name="csrfmiddlewaretoken"' in bar
        assert "Se déconnecter</button>" in bar

    def test_a_user_without_a_name_is_shown_by_login(self):
        lead = make_user("grigny_lead", username="sans-nom")
        lead.first_name = lead.last_name = ""
        lead.save()
        page = text(client_for(lead).get("/suivi/"))
        assert re.search(r'class="account-bar__who">.*sans-nom</p>', page)
        assert '<a href="/suivi/" aria-current="page">Mon espace</a>' in page

    def test_the_logout_form_works_with_csrf_checks(self):
        lead = make_user("grigny_lead")
        client = Client(enforce_csrf_checks=True)
        client.force_login(lead)
        page = text(client.get("/glossaire/"))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        assert client.post("/compte/deconnexion/").status_code == 403  # no token: refused
        response = client.post("/compte/deconnexion/", {"csrfmiddlewaretoken": token})
        assert (response.status_code, response["Location"]) == (302, "/")
        assert "_auth_user_id" not in client.session
        assert 'class="account-bar"' not in text(client.get("/glossaire/"))

    def test_names_are_escaped(self):
        lead = make_user("grigny_lead")
        lead.first_name = "<b>Léa</b>"
        lead.save()
        page = text(client_for(lead).get("/glossaire/"))
        assert "<b>Léa</b>" not in page and "&lt;b&gt;Léa&lt;/b&gt;" in page
