"""Sign in with ProConnect through Django's test client, against a real OpenID Connect provider
running on the loopback (the `proconnect` fixture: oidc-provider in Node, tests/support/): the
button shown only when configured; the first sign-in matched by email, the next ones by `sub`;
an unknown address refused without creating an account; a wrong state, a replayed or expired
code, an ID token signed with another key or expired, a userinfo answer signed with another
key, a cancelled sign-in and a provider that does not answer, each refused with a French
message, logged and (attempts only) counted by django-axes; the provider's second factor and
the portal's code; logout ending both sessions. (In a real browser: tests/browser/
test_proconnect_browser.py; the same rights as a password: test_proconnect_rights.py.)"""

import logging

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as reset_axes
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from territories.models import ProConnectLink
from territories.proconnect import oidc
from territories.proconnect.logout import ID_TOKEN_SESSION_KEY
from tests import factories
from tests.support.admin import make_user
from tests.support.proconnect import Agent, authorize_url, query, sign_in
from tests.support.two_factor import enrol

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

LOGIN = "/compte/connexion/"
EMAIL = "lea.martin@ville-grigny.fr"


@pytest.fixture(autouse=True)
def fresh_axes(db):
    reset_axes()
    yield
    reset_axes()


@pytest.fixture
def lead():
    user = make_user("grigny_lead", username="lea.martin@ville-grigny.fr")
    user.email = "Lea.Martin@Ville-Grigny.fr"  # the address as the staff typed it
    user.save()
    return user


def signed_in_user(client):
    return client.session.get(SESSION_KEY)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def failures(name="proconnect:"):
    return sum(
        AccessAttempt.objects.filter(username=name).values_list("failures_since_start", flat=True)
    )


def refused_to_login_page(response, text):
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert any(text in message for message in messages_of(response)), messages_of(response)


# --- The button ---------------------------------------------------------------------------


def test_not_configured_no_button_and_404(settings, client):
    settings.PROCONNECT = None
    for page in (LOGIN, "/admin/login/"):
        html = client.get(page).content.decode()
        assert "ProConnect" not in html
    for path in ("/compte/proconnect/", "/compte/proconnect/retour/?code=x&state=y"):
        assert client.get(path).status_code == 404
    assert client.post("/compte/proconnect/").status_code == 404
    assert client.get("/compte/proconnect/deconnexion/?state=x").status_code == 404


@pytest.mark.parametrize("page", [LOGIN, "/admin/login/?next=/admin/"])
def test_configured_the_button_and_the_link(settings, client, page):
    settings.PROCONNECT = {
        "discovery_url": "http://127.0.0.1:9/x",
        "client_id": "a",
        "client_secret": "b",
    }
    html = client.get(page).content.decode()
    assert 'action="/compte/proconnect/"' in html
    assert (
        'S\'identifier avec</span> <span class="proconnect-button__brand">ProConnect</span>' in html
    )
    assert '<a href="https://www.proconnect.gouv.fr/" target="_blank" rel="noopener"' in html
    assert "Qu'est-ce que ProConnect ?</a>" in html
    assert "css/proconnect.css" in html
    if "next" in page:
        assert '<input type="hidden" name="next" value="/admin/">' in html


def test_the_authorization_request(proconnect, client):
    params = query(authorize_url(client))
    assert params["response_type"] == "code"
    assert params["client_id"] == proconnect.settings()["client_id"]
    assert params["redirect_uri"] == "http://testserver/compte/proconnect/retour/"
    assert params["scope"] == "openid email given_name usual_name uid siret"
    assert params["claims"] == '{"id_token":{"amr":{"essential":true}}}'
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    assert "code_verifier" not in params  # it stays in the session


# --- Who may enter ------------------------------------------------------------------------


def test_first_sign_in_by_email_then_by_sub(proconnect, lead, caplog):
    client = Client()
    caplog.set_level(logging.INFO, logger="perer.security")
    response = sign_in(client, EMAIL)  # lower case at ProConnect
    assert response.status_code == 302
    assert response["Location"] == "/suivi/"
    assert signed_in_user(client) == str(lead.pk)
    link = ProConnectLink.objects.get(user=lead)
    assert link.email == EMAIL and link.sub.startswith("sub-") and link.last_login_at
    assert client.session[ID_TOKEN_SESSION_KEY].count(".") == 2  # a JWT, for the logout
    assert client.get("/suivi/").status_code == 200
    assert f"Connexion ProConnect de {lead.username}" in caplog.text

    # Next time ProConnect gives another address for the same sub: the sub decides.
    other = Client()
    response = sign_in(other, "l.martin@grandparissud.fr", sub=link.sub)
    assert response["Location"] == "/suivi/"
    assert signed_in_user(other) == str(lead.pk)
    link.refresh_from_db()
    assert link.email == "l.martin@grandparissud.fr"
    assert ProConnectLink.objects.count() == 1


def test_the_agglomeration_lands_on_the_admin_and_next_is_kept(proconnect):
    agent = make_user("agglomeration")
    response = sign_in(Client(), agent.email)
    assert response["Location"] == "/admin/"
    response = sign_in(Client(), agent.email, next_url="/suivi/campagnes/")
    assert response["Location"] == "/suivi/campagnes/"
    response = sign_in(Client(), agent.email, next_url="https://ailleurs.example.org/")
    assert response["Location"] == "/admin/"


def test_an_unknown_address_is_refused_and_no_account_is_created(proconnect, caplog):
    users = get_user_model().objects.count()
    client = Client()
    response = sign_in(client, "inconnu@ville-exemple.fr")
    assert response.status_code == 403
    html = response.content.decode()
    assert "invitation de l'agglomération" in html
    assert "inconnu@ville-exemple.fr" in html
    assert "Aucun compte n'a été créé" in html
    assert 'href="http://127.0.0.1:' in html  # « Vous déconnecter de ProConnect »
    assert get_user_model().objects.count() == users
    assert not ProConnectLink.objects.exists()
    assert signed_in_user(client) is None
    assert client.get("/suivi/").status_code == 302
    assert "Connexion ProConnect refusée (unknown) pour inconnu@ville-exemple.fr" in caplog.text
    assert failures("proconnect:inconnu@ville-exemple.fr") == 1


def test_hostile_text_from_the_provider_is_escaped(proconnect):
    response = sign_in(Client(), "<script>x</script>@ville-exemple.fr")
    assert response.status_code == 403
    assert "<script>x</script>" not in response.content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;@ville-exemple.fr" in response.content.decode()


def test_two_accounts_with_the_address_are_refused(proconnect):
    factories.UserFactory(username="un", email="partage@ville-grigny.fr")
    factories.UserFactory(username="deux", email="PARTAGE@ville-grigny.fr")
    response = sign_in(Client(), "partage@ville-grigny.fr")
    assert response.status_code == 403
    assert "Plusieurs comptes du portail ont l'adresse" in response.content.decode()
    assert not ProConnectLink.objects.exists()


def test_an_inactive_account_is_refused(proconnect, lead):
    lead.is_active = False
    lead.save()
    response = sign_in(Client(), EMAIL)
    assert response.status_code == 403
    assert "Votre compte du portail est désactivé." in response.content.decode()


def test_an_account_linked_to_another_identity_is_not_taken_over(proconnect, lead):
    assert sign_in(Client(), EMAIL, sub="identite-1")["Location"] == "/suivi/"
    client = Client()
    response = sign_in(client, EMAIL, sub="identite-2")
    assert response.status_code == 403
    assert "déjà relié à une autre identité ProConnect" in response.content.decode()
    assert signed_in_user(client) is None
    assert ProConnectLink.objects.get(user=lead).sub == "identite-1"


# --- Refused answers ----------------------------------------------------------------------


def test_a_wrong_state_is_refused(proconnect, lead, caplog):
    client = Client()
    callback = Agent().log_in(authorize_url(client), EMAIL)
    params = query(callback)
    response = client.get("/compte/proconnect/retour/", {**params, "state": "forge"})
    refused_to_login_page(response, "n'est plus valable")
    assert signed_in_user(client) is None
    assert "Connexion ProConnect refusée (state)" in caplog.text
    assert failures() == 1
    # The real state still works: the forged one spent nothing.
    assert client.get(callback)["Location"] == "/suivi/"


def test_the_pkce_verifier_is_checked_by_the_provider(proconnect, lead):
    client = Client()
    callback = Agent().log_in(authorize_url(client), EMAIL)
    session = client.session
    key = f"_state_proconnect_{query(callback)['state']}"
    stored = session[key]
    stored["data"]["code_verifier"] = "v" * 64  # not the one whose challenge was sent
    session[key] = stored
    session.save()
    refused_to_login_page(client.get(callback), "déjà utilisé ou expiré")
    assert signed_in_user(client) is None


def test_an_answer_from_another_issuer_is_refused(proconnect, lead, caplog):
    client = Client()
    callback = Agent().log_in(authorize_url(client), EMAIL)
    params = query(callback)
    assert params["iss"] == proconnect.issuer  # RFC 9207: the provider says who answers
    response = client.get(
        "/compte/proconnect/retour/", {**params, "iss": "https://faux.example.org/api/v2"}
    )
    refused_to_login_page(response, "n'a pas pu être vérifiée")
    assert "is not the provider's" in caplog.text


def test_a_callback_without_any_pending_sign_in_is_refused(proconnect, lead):
    client = Client()
    response = client.get("/compte/proconnect/retour/", {"code": "abc", "state": "xyz"})
    refused_to_login_page(response, "n'est plus valable")


def test_a_replayed_code_is_refused(proconnect, lead):
    first = Client()
    callback = Agent().log_in(authorize_url(first), EMAIL)
    assert first.get(callback)["Location"] == "/suivi/"
    # The same answer again, in the same session: its state is spent.
    first.post("/compte/deconnexion/")
    refused_to_login_page(first.get(callback), "n'est plus valable")
    # The code under a state that another sign-in opened: the provider refuses the used code.
    second = Client()
    fresh_state = query(authorize_url(second))["state"]
    response = second.get("/compte/proconnect/retour/", {**query(callback), "state": fresh_state})
    refused_to_login_page(response, "code de connexion envoyé par ProConnect n'est plus valable")
    assert signed_in_user(second) is None
    assert failures() == 2


def test_an_expired_code_is_refused(proconnect, lead):
    client = Client()
    callback = Agent().log_in(authorize_url(client), EMAIL)
    proconnect.set_mode(clock_offset=120)  # codes live 60 seconds
    refused_to_login_page(client.get(callback), "déjà utilisé ou expiré")
    assert signed_in_user(client) is None


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ({"id_token": "other_key"}, "BadSignatureError"),
        ({"id_token": "expired"}, "ExpiredTokenError"),
        ({"id_token": "other_audience"}, "Invalid claim: 'aud'"),
        ({"id_token": "other_issuer"}, "Invalid claim: 'iss'"),
        ({"id_token": "other_nonce"}, "Invalid claim: 'nonce'"),
        ({"userinfo": "other_key"}, "BadSignatureError"),
    ],
    ids=lambda value: "-".join(value.values()) if isinstance(value, dict) else "",
)
def test_an_answer_that_does_not_verify_is_refused(proconnect, lead, mode, error, caplog):
    proconnect.set_mode(**mode)
    client = Client()
    response = sign_in(client, EMAIL)
    refused_to_login_page(response, "n'a pas pu être vérifiée")
    assert signed_in_user(client) is None
    assert not ProConnectLink.objects.exists()
    assert "Connexion ProConnect refusée (token)" in caplog.text
    assert error in caplog.text
    assert failures() == 1


def test_a_cancelled_sign_in_is_not_a_failed_login(proconnect, lead):
    client = Client()
    callback = Agent().cancel(authorize_url(client))
    assert query(callback)["error"] == "access_denied"
    refused_to_login_page(client.get(callback), "Vous avez annulé la connexion avec ProConnect")
    assert signed_in_user(client) is None
    assert failures() == 0


def test_a_provider_that_does_not_answer(proconnect, settings, lead, caplog):
    client = Client()
    callback = Agent().log_in(authorize_url(client, "/suivi/"), EMAIL)
    # Down between the button and the return: the discovery document is read again (another
    # address, nothing cached) and does not come.
    settings.PROCONNECT = {**settings.PROCONNECT, "discovery_url": "http://127.0.0.1:9/api/v2/x"}
    response = client.get(callback)
    refused_to_login_page(response, "ProConnect ne répond pas pour le moment")
    assert response["Location"] == f"{LOGIN}?next=%2Fsuivi%2F"
    # Down when the button is pressed.
    response = client.post("/compte/proconnect/", {"next": "/suivi/"})
    refused_to_login_page(response, "ProConnect ne répond pas pour le moment")
    assert "Connexion ProConnect refusée (unavailable)" in caplog.text
    assert failures() == 0


def test_repeated_failures_lock_proconnect_out(proconnect, lead, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        client.get("/compte/proconnect/retour/", {"code": "abc", "state": "forge"})
    assert client.post("/compte/proconnect/").status_code == 429
    assert client.get("/compte/proconnect/retour/", {"code": "a", "state": "b"}).status_code == 429
    # The password login of the same visitor is not locked (another name for django-axes).
    assert client.get(LOGIN).status_code == 200


# --- The second factor --------------------------------------------------------------------


def test_the_code_is_asked_unless_proconnect_checked_a_second_factor(proconnect, lead):
    enrol(lead)
    client = Client()
    assert sign_in(client, EMAIL)["Location"] == "/suivi/"
    assert client.get("/suivi/")["Location"].startswith("/compte/connexion/code/")

    client = Client()
    assert sign_in(client, EMAIL, mfa=True)["Location"] == "/suivi/"
    assert client.get("/suivi/").status_code == 200


def test_staff_who_must_enrol(proconnect, settings):
    settings.OTP_REQUIRED_FOR_AGGLOMERATION = True
    agent = make_user("agglomeration")
    client = Client()
    sign_in(client, agent.email)
    assert client.get("/admin/")["Location"].startswith("/compte/double-authentification/")

    client = Client()
    sign_in(client, agent.email, mfa=True)
    assert client.get("/admin/").status_code == 200
    assert not TOTPDevice.objects.filter(user=agent).exists()


def test_the_setting_can_always_ask_the_code(proconnect, settings, lead):
    settings.PROCONNECT_MFA_REPLACES_TOTP = False
    enrol(lead)
    client = Client()
    sign_in(client, EMAIL, mfa=True)
    assert client.get("/suivi/")["Location"].startswith("/compte/connexion/code/")


@pytest.mark.parametrize(
    ("acr", "amr", "expected"),
    [
        ("eidas1", ("pwd",), False),
        ("eidas1", ("pwd", "mfa"), True),
        ("eidas2", ("pwd",), True),
        ("https://proconnect.gouv.fr/assurance/self-asserted-2fa", (), True),
        ("", (), False),
    ],
)
def test_what_counts_as_a_second_factor(acr, amr, expected):
    identity = oidc.Identity(sub="s", email="e@x.fr", acr=acr, amr=amr, id_token="t")
    assert oidc.used_second_factor(identity) is expected


# --- Logout -------------------------------------------------------------------------------


@pytest.mark.parametrize("logout", ["/compte/deconnexion/", "/admin/logout/"])
def test_logout_ends_both_sessions(proconnect, lead, logout, caplog):
    client, agent = Client(), Agent()
    assert sign_in(client, EMAIL, agent=agent)["Location"] == "/suivi/"
    # Signed in at ProConnect: a second sign-in needs no login page.
    assert isinstance(agent.open(authorize_url(Client())), str)

    response = client.post(logout)
    assert response.status_code == 302
    end_session = response["Location"]
    assert end_session.startswith(f"{proconnect.issuer}/session/end?")
    params = query(end_session)
    assert params["id_token_hint"].count(".") == 2
    assert params["post_logout_redirect_uri"] == "http://testserver/compte/proconnect/deconnexion/"
    assert params["state"]
    assert signed_in_user(client) is None

    back = agent.confirm_logout(end_session)
    assert query(back)["state"] == params["state"]
    response = client.get(back)
    assert response["Location"] == "/"
    assert "état inattendu" not in caplog.text
    # Both sessions are over: the portal asks to log in, ProConnect shows its login page.
    assert client.get("/suivi/")["Location"].startswith(LOGIN)
    page = agent.open(authorize_url(Client()))
    assert not isinstance(page, str)
    assert "Adresse électronique" in page.text


def test_a_logout_return_with_a_wrong_state_goes_home_and_is_logged(proconnect, caplog):
    response = Client().get("/compte/proconnect/deconnexion/", {"state": "inconnu"})
    assert response["Location"] == "/"
    assert "Retour de déconnexion ProConnect avec un état inattendu" in caplog.text


def test_a_password_session_logs_out_as_before(proconnect, lead):
    client = Client()
    client.force_login(lead)
    response = client.post("/compte/deconnexion/")
    assert response["Location"] == "/"


def test_logout_when_proconnect_does_not_answer(proconnect, settings, lead):
    client = Client()
    sign_in(client, EMAIL)
    settings.PROCONNECT = {**settings.PROCONNECT, "discovery_url": "http://127.0.0.1:9/api/v2/x"}
    response = client.post("/compte/deconnexion/")
    assert response["Location"] == "/"  # logged out of the portal all the same
    assert signed_in_user(client) is None


# --- Queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("others", [0, 30])
def test_the_callback_reads_a_constant_number_of_queries(
    proconnect, lead, others, django_assert_max_num_queries
):
    for number in range(others):
        user = factories.UserFactory(username=f"agent{number}")
        ProConnectLink.objects.create(user=user, sub=f"sub-autre-{number}", email=user.email)
    # The first sign-in (by email, the link written), then by sub. Most queries are the login's
    # (session, django-axes' checks and access log, last_login, the two-factor devices).
    for _ in range(2):
        client = Client()
        callback = Agent().log_in(authorize_url(client), EMAIL)
        with django_assert_max_num_queries(23):
            assert client.get(callback)["Location"] == "/suivi/"
