"""Load a file written by export_protocols, in one transaction (see
commitments/services/backup.py)."""

import json

from django.core.management.base import BaseCommand, CommandError

from commitments.services import backup


class Command(BaseCommand):
    help = (
        "Importe une sauvegarde écrite par export_protocols, en une seule transaction. Refuse "
        "une base qui contient déjà des données, sauf avec --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Fichier JSON écrit par export_protocols.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Remplace les données déjà présentes par celles de la sauvegarde (les comptes "
            "ne sont jamais supprimés).",
        )

    def handle(self, *args, path, replace=False, **options):
        try:
            with open(path, encoding="utf-8") as stream:
                data = json.load(stream)
        except OSError as error:
            raise CommandError(f"Lecture impossible de {path} : {error.strerror}.") from error
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{path} n'est pas un fichier JSON valide (ligne {error.lineno}, colonne "
                f"{error.colno})."
            ) from error
        except (UnicodeDecodeError, RecursionError) as error:
            raise CommandError(
                f"{path} n'est pas un fichier JSON valide (encodage UTF-8 attendu)."
            ) from error
        try:
            counts, created_users = backup.import_data(data, replace=replace)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        summary = ", ".join(f"{label} : {count}" for label, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Import terminé ({summary})."))
        if created_users:
            self.stdout.write(
                "Comptes créés, sans mot de passe utilisable (à réinitialiser) sauf si la "
                "sauvegarde contient son empreinte : " + ", ".join(created_users)
            )
