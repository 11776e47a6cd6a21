from django.core.management.base import BaseCommand, CommandError

from commitments.services.seed import SeedError, seed
from commitments.tasks import queue_stale_protocol_pdfs


class Command(BaseCommand):
    help = (
        "Charge les sept protocoles depuis fixtures/. Une seconde exécution ne change rien et "
        "n'écrase jamais une modification faite dans l'administration."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Supprime les protocoles (et leur suivi) puis les reconstruit depuis fixtures/.",
        )
        parser.add_argument(
            "--yes", action="store_true", help="Ne pas demander de confirmation pour --reset."
        )

    def handle(self, *args, reset=False, yes=False, **options):
        if reset and not yes:
            try:
                answer = input(
                    "Tous les protocoles, leurs modifications et leur suivi seront remplacés par "
                    "le contenu de fixtures/. Tapez « oui » pour continuer : "
                )
            except (EOFError, OSError):
                answer = ""
            if answer.strip().lower() not in {"oui", "o", "yes", "y"}:
                raise CommandError("Abandon : rien n'a été modifié.")
        try:
            report = seed(reset=reset)
        except SeedError as exc:
            raise CommandError(f"{exc} — rien n'a été modifié.") from exc
        if report.changed:
            for label, count in report.created.items():
                self.stdout.write(f"Créés — {label} : {count}")
        else:
            self.stdout.write("Rien à faire : la base contient déjà tous les protocoles.")
        for slug in report.skipped_protocols:
            self.stdout.write(
                f"{slug} : protocole déjà présent, laissé tel quel.", self.style.NOTICE
            )
        for note in report.skipped_indicators:
            self.stdout.write(f"Non chargé — {note}", self.style.WARNING)
        # No visitor waits for a first PDF: the stale ones are queued for the workers.
        stale = queue_stale_protocol_pdfs()
        if stale:
            self.stdout.write(f"PDF mis en file (file « pdf ») : {len(stale)}.")
