"""Two-factor authentication (territories/two_factor.py, views.py, middleware.py): the login
flow through /admin/login/ and the code page, recovery codes, django-axes' lockout, the
enrolment page, the rule OTP_REQUIRED_FOR_AGGLOMERATION, the user admin's state, filter and
reset, and the production settings. (In a real browser, with axe-core:
tests/browser/test_two_factor_browser.py.)"""

import html
import os
import re
import secrets
import subprocess
import sys
import time

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as reset_axes
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from territories import two_factor
from tests import factories
from tests.support.admin import client_for, make_user
from tests.support.two_factor import PASSWORD, app_code, as_if_time_passed, enrol

pytestmark = pytest.mark.usefixtures("fast_password_hasher")

LOGIN = "/admin/login/?next=/admin/"
CODE_PAGE = "/compte/connexion/code/"
SETUP_PAGE = "/compte/double-authentification/"
IP = "198.51.100.30"


@pytest.fixture
def fresh_axes(db):
    reset_axes()
    yield
    reset_axes()


@pytest.fixture
def agent():
    """An agglomeration agent with a confirmed device and recovery codes."""
    user = make_user("agglomeration", username="agent-2fa")
    device, codes = enrol(user)
    return user, device, codes


def log_in(client, username, password=PASSWORD):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=IP
    )


def send_code(client, code, next_url="/admin/"):
    return client.post(CODE_PAGE, {"code": code, "next": next_url}, REMOTE_ADDR=IP)


def failures(username):
    return sum(
        AccessAttempt.objects.filter(username=username).values_list(
            "failures_since_start", flat=True
        )
    )


def text(response):
    """The page's text as written in the template (apostrophes unescaped)."""
    return html.unescape(response.content.decode())


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_axes")
class TestLogin:
    def test_without_a_device_the_password_is_enough(self, client):
        make_user("agglomeration", username="agent-sans-2fa")
        response = log_in(client, "agent-sans-2fa")
        assert response.status_code == 302 and response["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200

    def test_wrong_code_then_right_code(self, client, agent):
        user, device, _ = agent
        response = log_in(client, user.username)
        assert response.status_code == 302
        # Logged in with the password, but the code is owed: every page leads to the code page.
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"] == f"{CODE_PAGE}?next=%2Fadmin%2F"
        for path in ("/admin/commitments/action/", "/suivi/", SETUP_PAGE, "/"):
            assert client.get(path)["Location"].startswith(CODE_PAGE), path
        assert client.post("/admin/commitments/action/", {})["Location"] == CODE_PAGE

        page = client.get(f"{CODE_PAGE}?next=/admin/")
        assert page.status_code == 200
        assert "Vérification en deux étapes" in text(page)
        assert 'autocomplete="one-time-code"' in text(page)

        wrong = "000000" if app_code(device) != "000000" else "111111"
        response = send_code(client, wrong)
        assert response.status_code == 400
        assert "Ce code n'est pas valable" in text(response)
        assert "<title>Erreur — " in text(response)
        assert failures(user.username) == 1  # counted with the wrong passwords
        assert client.get("/admin/")["Location"].startswith(CODE_PAGE)

        as_if_time_passed(device)  # django-otp makes the app wait 1 s after a wrong code
        response = send_code(client, app_code(device))
        assert response.status_code == 302 and response["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert two_factor.PENDING_SESSION_KEY not in client.session

    def test_a_code_of_the_app_works_once(self, client, agent):
        user, device, _ = agent
        code = app_code(device)
        log_in(client, user.username)
        assert send_code(client, code).status_code == 302
        other = Client()
        log_in(other, user.username)
        assert send_code(other, code).status_code == 400  # replayed: refused

    def test_recovery_code_works_once(self, client, agent):
        user, _, codes = agent
        log_in(client, user.username)
        # As printed, with a space and in capitals: still accepted.
        typed = f"{codes[0][:4].upper()} {codes[0][4:].upper()}"
        response = send_code(client, typed)
        assert response.status_code == 302 and response["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200
        assert two_factor.remaining_recovery_codes(user) == len(codes) - 1

        again = Client()
        log_in(again, user.username)
        response = send_code(again, codes[0])
        assert response.status_code == 400
        assert "code de secours que vous n'avez pas encore utilisé" in text(response)
        assert again.get("/admin/")["Location"].startswith(CODE_PAGE)
        StaticDevice.objects.filter(user=user).update(throttling_failure_count=0)
        assert send_code(again, codes[1]).status_code == 302
        assert two_factor.remaining_recovery_codes(user) == len(codes) - 2

    def test_wrong_codes_lock_the_account_out_like_wrong_passwords(self, client, agent):
        user, device, _ = agent
        limit = django_settings.AXES_FAILURE_LIMIT
        log_in(client, "agent-2fa", "mauvais")  # one wrong password…
        log_in(client, user.username)
        for _ in range(limit - 2):  # …and wrong codes, up to the limit
            assert send_code(client, "abcdefgh").status_code == 400
        response = send_code(client, "abcdefgh")
        assert response.status_code == 429
        assert "trop de tentatives de connexion" in text(response).lower()
        assert "_auth_user_id" not in client.session  # logged out
        # Neither the password nor the right code gets in for the cool-off time.
        assert log_in(client, user.username).status_code == 429
        assert "_auth_user_id" not in client.session
        other = Client()
        other.force_login(user)  # even a session already past the password
        as_if_time_passed(device)
        assert send_code(other, app_code(device)).status_code == 429

    def test_cancel_logs_out(self, client, agent):
        log_in(client, agent[0].username)
        response = client.post(CODE_PAGE, {"annuler": "1", "next": "/admin/"})
        assert response.status_code == 302
        assert response["Location"] == "/compte/connexion/?next=%2Fadmin%2F"
        assert "_auth_user_id" not in client.session

    def test_a_pending_login_can_log_out_from_the_site(self, client, agent):
        log_in(client, agent[0].username)
        assert client.get("/suivi/")["Location"].startswith(CODE_PAGE)
        response = client.post("/compte/deconnexion/")
        assert response.status_code == 302
        assert not response["Location"].startswith(CODE_PAGE)
        assert "_auth_user_id" not in client.session

    def test_a_forgotten_code_page_expires(self, client, agent):
        log_in(client, agent[0].username)
        session = client.session
        session[two_factor.PENDING_SESSION_KEY] = int(time.time()) - two_factor.PENDING_MAX_AGE - 1
        session.save()
        response = client.get(CODE_PAGE)
        assert response["Location"].startswith("/compte/connexion/")
        assert "_auth_user_id" not in client.session

    def test_next_stays_on_this_site(self, client, agent):
        user, device, _ = agent
        log_in(client, user.username)
        response = send_code(client, app_code(device), next_url="https://ailleurs.example/")
        assert response["Location"] == "/admin/"

    def test_code_page_without_a_pending_login(self, client):
        assert client.get(CODE_PAGE)["Location"].startswith("/compte/connexion/")
        lead = client_for(make_user("grigny_lead"))
        assert lead.get(CODE_PAGE)["Location"] == "/admin/"

    def test_a_device_reset_meanwhile_releases_the_session(self, client, agent):
        log_in(client, agent[0].username)
        two_factor.reset(agent[0])
        assert client.get(CODE_PAGE)["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200

    def test_anonymous_visitors_get_no_session(self, client):
        response = client.get("/glossaire/")
        assert response.status_code == 200
        assert "Cookie" not in response.get("Vary", "")


def setup_page_device(user):
    return TOTPDevice.objects.get(user=user, confirmed=False)


@pytest.mark.django_db
class TestEnrolment:
    def test_enrol_then_log_in_with_the_app(self, client):
        lead = make_user("grigny_lead", username="cheffe-2fa")
        client.force_login(lead)
        page = client.get(SETUP_PAGE)
        assert page.status_code == 200
        markup = text(page)
        assert "Activer la double authentification" in markup
        assert re.search(r'<img src="data:image/svg\+xml;charset=utf-8,[^"]+"', markup)
        assert 'alt="QR code à scanner' in markup
        device = setup_page_device(lead)
        secret = page.context["secret"]
        assert secret.replace(" ", "") in markup.replace(" ", "")
        assert client.get(SETUP_PAGE).context["secret"] == secret  # the same until confirmed
        assert page["Cache-Control"].startswith("max-age=0")
        assert "private" in page["Cache-Control"] or "no-store" in page["Cache-Control"]

        response = client.post(SETUP_PAGE, {"code": "12345", "next": "/admin/"})
        assert response.status_code == 400
        assert not two_factor.is_enrolled(lead)
        as_if_time_passed(device)
        response = client.post(SETUP_PAGE, {"code": app_code(device), "next": "/admin/"})
        assert response.status_code == 200
        codes = response.context["codes"]
        assert len(codes) == two_factor.RECOVERY_CODE_COUNT == 10 and len(set(codes)) == 10
        for code in codes:
            assert f"<code>{code}</code>" in text(response)
        assert "Ils ne seront plus affichés" in text(response)
        assert two_factor.is_enrolled(lead)
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # verified now

        # Shown once: the page now manages the device, without the codes nor the secret.
        manage = text(client.get(SETUP_PAGE))
        assert "est <strong>activée</strong>" in manage and "10 sur 10" in manage
        assert codes[0] not in manage and secret not in manage

        # The next login asks for a code; the app's next one (30 s later) is accepted.
        client.logout()
        log_in(client, lead.username)
        assert client.get("/admin/")["Location"].startswith(CODE_PAGE)
        assert send_code(client, app_code(device, steps=1)).status_code == 302
        assert client.get("/admin/").status_code == 200

    def test_new_recovery_codes_replace_the_old_ones(self, client, agent):
        user, device, old = agent
        client.force_login(user)
        send_code(client, old[0])
        response = client.post(SETUP_PAGE, {"action": "codes", "codes-code": "999999"})
        assert response.status_code == 400
        assert 'id="id_codes-code"' in text(response)
        as_if_time_passed(device)
        response = client.post(SETUP_PAGE, {"action": "codes", "codes-code": app_code(device)})
        assert response.status_code == 200
        new = response.context["codes"]
        assert set(new).isdisjoint(old)
        assert set(
            StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
        ) == set(new)

    def test_turn_it_off_when_not_required(self, client, settings):
        settings.OTP_REQUIRED_FOR_AGGLOMERATION = True
        lead = make_user("grigny_lead")
        device, codes = enrol(lead)
        client.force_login(lead)
        send_code(client, codes[0])
        response = client.post(
            SETUP_PAGE, {"action": "desactiver", "desactiver-code": app_code(device)}
        )
        assert response.status_code == 302
        assert not two_factor.is_enrolled(lead)
        assert "La double authentification est désactivée" in text(client.get(SETUP_PAGE))

    def test_required_cannot_be_turned_off(self, client, settings, agent):
        settings.OTP_REQUIRED_FOR_AGGLOMERATION = True
        user, device, codes = agent
        client.force_login(user)
        send_code(client, codes[0])
        page = text(client.get(SETUP_PAGE))
        assert 'name="desactiver-code"' not in page
        response = client.post(
            SETUP_PAGE, {"action": "desactiver", "desactiver-code": app_code(device)}
        )
        assert response.status_code == 400
        assert "obligatoire pour votre compte" in text(response)
        assert two_factor.is_enrolled(user)

    def test_anonymous_is_sent_to_log_in(self, client):
        response = client.get(SETUP_PAGE)
        assert response["Location"].startswith("/compte/connexion/?next=")

    def test_pages_run_no_inline_script_or_style(self, client, agent):
        make_user("grigny_lead", username="cheffe-csp")
        pages = []
        client.force_login(get_user_model().objects.get(username="cheffe-csp"))
        pages.append(client.get(SETUP_PAGE))
        other = Client()
        log_in(other, agent[0].username)
        pages.append(other.get(CODE_PAGE))
        for response in pages:
            markup = text(response)
            assert response.status_code == 200
            assert "script-src 'self'" in response["Content-Security-Policy"]
            assert not re.search(r"<script(?![^>]*\bsrc=)", markup)
            assert not re.search(r"\sstyle=|<style|\son[a-z]+=", markup)


@pytest.mark.django_db
class TestRequiredForTheAgglomeration:
    def test_off_by_default_in_development_and_tests(self, client):
        assert django_settings.OTP_REQUIRED_FOR_AGGLOMERATION is False
        assert client_for(make_user("agglomeration")).get("/admin/").status_code == 200

    @pytest.mark.parametrize("role", ["agglomeration", "superuser"])
    def test_sent_to_enrol_before_any_admin_page(self, settings, role):
        settings.OTP_REQUIRED_FOR_AGGLOMERATION = True
        user = make_user(role)
        client = client_for(user)
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"] == f"{SETUP_PAGE}?next=%2Fadmin%2F"
        for path in ("/admin/commitments/action/", "/admin/auth/user/", "/suivi/"):
            assert client.get(path)["Location"].startswith(SETUP_PAGE), path
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert "Obligatoire pour votre compte" in text(page)

        device = setup_page_device(user)
        client.post(SETUP_PAGE, {"code": app_code(device), "next": "/admin/"})
        assert client.get("/admin/").status_code == 200

    def test_not_for_a_city_lead(self, settings):
        settings.OTP_REQUIRED_FOR_AGGLOMERATION = True
        client = client_for(make_user("grigny_lead"))
        assert client.get("/admin/").status_code == 200
        assert client.get("/suivi/").status_code == 200

    def test_password_login_then_enrolment(self, client, settings):
        settings.OTP_REQUIRED_FOR_AGGLOMERATION = True
        make_user("agglomeration", username="agent-nouveau")
        assert log_in(client, "agent-nouveau").status_code == 302
        assert client.get("/admin/")["Location"].startswith(SETUP_PAGE)

    def test_an_enrolled_session_opened_without_a_code_gives_one(self, settings, agent):
        """A session opened another way (here force_login, which skips the code page)."""
        settings.OTP_REQUIRED_FOR_AGGLOMERATION = True
        user, device, _ = agent
        client = Client()
        client.force_login(user)
        session = client.session
        session.pop(two_factor.PENDING_SESSION_KEY, None)
        session.save()
        assert client.get("/admin/")["Location"].startswith(CODE_PAGE)
        assert send_code(client, app_code(device)).status_code == 302
        assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
class TestUserAdmin:
    USERS = "/admin/auth/user/"

    def test_the_list_shows_the_state_and_filters_on_it(self, superuser_client, agent):
        make_user("grigny_lead", username="cheffe-sans")
        markup = text(superuser_client.get(self.USERS))
        assert "double authentification" in markup.lower()
        assert "activée le" in markup and "non activée" in markup
        enrolled = superuser_client.get(self.USERS, {"double_authentification": "activee"})
        names = [u.username for u in enrolled.context["cl"].result_list]
        assert names == ["agent-2fa"]
        others = superuser_client.get(self.USERS, {"double_authentification": "non_activee"})
        names = {u.username for u in others.context["cl"].result_list}
        assert "cheffe-sans" in names and "agent-2fa" not in names

    def test_the_list_costs_no_query_per_user(
        self, superuser_client, django_assert_max_num_queries
    ):
        for n in range(3):
            enrol(factories.UserFactory(username=f"agent-{n}"))
        superuser_client.get(self.USERS)
        with django_assert_max_num_queries(12):
            superuser_client.get(self.USERS)
        for n in range(3, 13):
            enrol(factories.UserFactory(username=f"agent-{n}"))
        with django_assert_max_num_queries(12):
            superuser_client.get(self.USERS)

    def test_staff_reset_a_lost_device_and_it_is_recorded(self, superuser_client, agent):
        user = agent[0]
        response = superuser_client.post(
            self.USERS, {"action": "reset_two_factor", "_selected_action": [user.pk]}
        )
        assert response.status_code == 302
        assert not two_factor.is_enrolled(user)
        assert not TOTPDevice.objects.filter(user=user).exists()
        assert not StaticDevice.objects.filter(user=user).exists()
        entry = LogEntry.objects.get(object_id=str(user.pk))
        assert "Double authentification réinitialisée" in entry.get_change_message()
        history = superuser_client.get(f"{self.USERS}{user.pk}/history/")
        assert "Double authentification réinitialisée" in text(history)
        change = text(superuser_client.get(f"{self.USERS}{user.pk}/change/"))
        assert "non activée" in change
        # The user logs in with the password alone.
        client = Client()
        assert log_in(client, user.username).status_code == 302
        assert client.get("/admin/").status_code == 200

    def test_agglomeration_staff_cannot_reset(self, agglo_client, agent):
        response = agglo_client.post(
            self.USERS, {"action": "reset_two_factor", "_selected_action": [agent[0].pk]}
        )
        assert response.status_code == 403
        assert two_factor.is_enrolled(agent[0])

    def test_no_device_admin_shows_keys(self):
        assert not admin.site.is_registered(TOTPDevice)
        assert not admin.site.is_registered(StaticDevice)


def production_env(**extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"}
        and not key.startswith(("SECURE_", "BEHIND_PROXY", "AXES_", "DJANGO_", "OTP_"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(45),
        ALLOWED_HOSTS="perer.example.org",
        DATABASE_URL="sqlite://:memory:",
        DJANGO_SETTINGS_MODULE="perer.settings",
    )
    env.update(extra)
    return env


def run(args, **extra):
    return subprocess.run(
        [sys.executable, *args],
        cwd=django_settings.BASE_DIR,
        env=production_env(**extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestProductionSettings:
    PRINT = ["-c", "import perer.settings as s; print(s.OTP_REQUIRED_FOR_AGGLOMERATION)"]

    def test_required_in_production_unless_turned_off(self):
        assert run(self.PRINT).stdout.strip() == "True"
        assert run(self.PRINT, OTP_REQUIRED_FOR_AGGLOMERATION="0").stdout.strip() == "False"
        assert run(self.PRINT, DEBUG="1").stdout.strip() == "False"
        assert (
            run(self.PRINT, DEBUG="1", OTP_REQUIRED_FOR_AGGLOMERATION="1").stdout.strip() == "True"
        )
        wrong = run(self.PRINT, OTP_REQUIRED_FOR_AGGLOMERATION="peut-être")
        assert wrong.returncode != 0 and "OTP_REQUIRED_FOR_AGGLOMERATION" in wrong.stderr

    def test_check_deploy_reports_nothing(self):
        result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout
