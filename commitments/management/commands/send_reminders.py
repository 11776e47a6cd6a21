"""`python manage.py send_reminders [--date AAAA-MM-JJ]`: the daily tick. Queues the emails due
today — campaigns' openings and reminders, the weekly digest, the one reminder to activate an
invitation — each exactly once
(commitments/services/notifications.py). Idempotent: a second run the same day, or two runs at
once, send nothing more. The emails leave through the job queue (a `db_worker`)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from commitments.enums import NotificationKind
from commitments.services.notifications import send_due_notifications


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date {value!r} : date attendue au format AAAA-MM-JJ.") from exc


class Command(BaseCommand):
    help = (
        "Met en file les courriels du jour (ouvertures et rappels des campagnes de suivi, "
        "récapitulatif hebdomadaire, rappel des invitations non activées), chacun une seule "
        "fois : relancer la commande le même jour n'envoie rien de plus."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="Le jour à traiter (AAAA-MM-JJ ; par défaut aujourd'hui), pour rattraper un jour.",
        )

    def handle(self, *args, date=None, **options):
        today = _date(date) if date else None
        summary = send_due_notifications(today)
        labels = dict(NotificationKind.choices)
        details = ", ".join(f"{labels[kind]} : {count}" for kind, count in summary.sent.items())
        self.stdout.write(
            f"{summary.total} courriel(s) mis en file"
            + (f" ({details})" if details else "")
            + f" ; {summary.already_done} déjà envoyé(s) auparavant."
        )
