"""Write every protocol's data and tracking as one lossless JSON file (see commitments/backup)."""

from django.core.management.base import BaseCommand

from commitments.services import backup


class Command(BaseCommand):
    help = (
        "Exporte sans perte toutes les données des protocoles (territoires, listes de référence, "
        "arborescences, suivi, points d'avancement) en JSON : sauvegarde ou changement de base."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", help="Fichier à écrire (par défaut : la sortie standard)."
        )

    def handle(self, *args, output=None, **options):
        if output:
            with open(output, "w", encoding="utf-8") as stream:
                counts = backup.write_backup(stream)
            summary = ", ".join(f"{label} : {count}" for label, count in counts.items())
            self.stderr.write(self.style.SUCCESS(f"Sauvegarde écrite dans {output} ({summary})."))
        else:
            backup.write_backup(self.stdout)
