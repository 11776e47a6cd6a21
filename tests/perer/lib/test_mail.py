"""perer/lib/mail.py: links made absolute, and the sending job marking the row that logs it.
(Rendering and the emails queue end to end: tests/perer/test_env_email.py.)"""

import pytest
from django.core import mail

from commitments.enums import NotificationKind
from commitments.models import Notification
from perer.env import LOCMEM_BACKEND, SMTP_BACKEND
from perer.lib.mail import absolute_url, deliver_email
from tests import factories

pytestmark = pytest.mark.django_db

MESSAGE = {"subject": "Objet", "text": "Bonjour,", "html": "<p>Bonjour,</p>"}


def test_links_are_joined_to_the_site_address(settings):
    settings.SITE_URL = "https://perer.example.org/"
    assert absolute_url("/suivi/") == "https://perer.example.org/suivi/"


@pytest.fixture
def notification():
    return Notification.objects.create(
        user=factories.UserFactory(), kind=NotificationKind.INVITATION, key="essai"
    )


def record_of(notification):
    return {"model": "commitments.Notification", "pk": notification.pk}


def test_a_delivered_email_marks_its_row_sent(settings, notification):
    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    sent = deliver_email.call(
        recipients=["lea@example.org"], record=record_of(notification), **MESSAGE
    )
    assert sent == 1
    (message,) = mail.outbox
    assert (message.to, message.subject, message.body) == (["lea@example.org"], "Objet", "Bonjour,")
    assert message.alternatives[0].content == "<p>Bonjour,</p>"
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.error == ""


def test_a_refused_email_writes_the_error_on_its_row_and_fails_the_attempt(settings, notification):
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard: nobody answers SMTP
    with pytest.raises(OSError):
        deliver_email.call(
            recipients=["lea@example.org"], record=record_of(notification), **MESSAGE
        )
    notification.refresh_from_db()
    assert notification.sent_at is None
    assert notification.error.startswith("ConnectionRefusedError")


def test_an_email_without_a_row_is_sent_all_the_same(settings):
    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    assert deliver_email.call(recipients=["a@example.org", "b@example.org"], **MESSAGE) == 2
    assert len(mail.outbox) == 1
