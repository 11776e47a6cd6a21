"""Every email of the portal: rendered here from templates, sent by one job of the "emails"
queue (perer/lib/jobs.py), never inside a request.

An email named `name` has three templates in templates/emails/: `<name>_subject.txt` (one
line), `<name>.txt` (the plain text) and `<name>.html` (extends emails/base.html). They are
rendered when the email is queued (`send_email`, in the caller's transaction: the job exists
only if the caller's writes are committed); the job, `deliver_email`, only sends, and is retried
(5 attempts over about 15 minutes) when the mail server refuses or cannot be reached.

`record` ties the email to the row that logs it, as {"model": "app_label.ModelName", "pk": …}:
the job sets that row's `sent_at` once the server accepted the message, or its `error` on a
failure (commitments' Notification). No import of the model: this is the lowest layer.

Links in emails are absolute: `absolute_url(path)` joins settings.SITE_URL.
"""

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from perer.lib.jobs import retried_task

EMAIL_QUEUE = "emails"


def absolute_url(path):
    return settings.SITE_URL.rstrip("/") + path


def render_email(name, context):
    """(subject, text, html) of the email `name` rendered with `context`."""
    subject: str = render_to_string(f"emails/{name}_subject.txt", context)
    subject = " ".join(subject.split())  # one line: a newline would break the header
    text = render_to_string(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    return subject, text, html


def send_email(name, recipients, context, *, record=None):
    """Render the email `name` for `recipients` (addresses) and queue its sending; returns the
    job (a django-tasks TaskResult)."""
    subject, text, html = render_email(name, context)
    return deliver_email.enqueue(
        subject=subject, text=text, html=html, recipients=list(recipients), record=record
    )


def _mark(record, **values):
    if record:
        model = apps.get_model(record["model"])
        model.objects.filter(pk=record["pk"]).update(**values)


@retried_task(attempts=5, backoff=60, queue_name=EMAIL_QUEUE)
def deliver_email(*, subject, text, html, recipients, record=None):
    """The job: hand the message (plain text with its HTML alternative) to the mail backend."""
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as error:
        _mark(record, error=f"{type(error).__name__}: {error}"[:2000])
        raise
    _mark(record, sent_at=timezone.now(), error="")
    return len(recipients)
