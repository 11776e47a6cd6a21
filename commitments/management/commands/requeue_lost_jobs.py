"""`python manage.py requeue_lost_jobs [--older-than SECONDS]`: jobs left "running" by a worker
that died go back to their queue (or fail once out of attempts). Rules in perer/lib/jobs.py;
run by a systemd timer (docs/deployment.md) and at the start of `make run`."""

from django.core.management.base import BaseCommand

from perer.lib.jobs import requeue_lost_jobs


class Command(BaseCommand):
    help = (
        "Remet en file les tâches restées « en cours » plus de JOBS_LOST_AFTER secondes (leur "
        "processus s'est arrêté) ; celles qui n'ont plus de tentative passent en échec."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            help="Secondes depuis le début de la tâche (par défaut : réglage JOBS_LOST_AFTER).",
        )

    def handle(self, *args, older_than=None, **options):
        if older_than is not None and older_than < 0:
            older_than = 0
        requeued, failed = requeue_lost_jobs(older_than=older_than)
        self.stdout.write(f"{requeued} tâche(s) remise(s) en file, {failed} en échec.")
