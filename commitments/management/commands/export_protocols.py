"""Write the portal's data as one lossless JSON file (see commitments/services/backup.py)."""

from django.core.management.base import BaseCommand

from commitments.services import backup


class Command(BaseCommand):
    help = (
        "Exporte sans perte les données du portail en JSON (comptes sans mot de passe, "
        "territoires, listes de référence, protocoles, suivi, indicateurs, éditions, campagnes "
        "et chiffres figés, notifications envoyées, rattachements) : sauvegarde ou changement "
        "de base."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", help="Fichier à écrire (par défaut : la sortie standard)."
        )
        parser.add_argument(
            "--with-passwords",
            action="store_true",
            help="Inclut les empreintes des mots de passe (sinon, les comptes restaurés dans "
            "une base neuve devront choisir un nouveau mot de passe). Fichier à protéger.",
        )

    def handle(self, *args, output=None, with_passwords=False, **options):
        if output:
            with open(output, "w", encoding="utf-8") as stream:
                counts = backup.write_backup(stream, with_passwords=with_passwords)
            summary = ", ".join(f"{label} : {count}" for label, count in counts.items())
            self.stderr.write(self.style.SUCCESS(f"Sauvegarde écrite dans {output} ({summary})."))
        else:
            backup.write_backup(self.stdout, with_passwords=with_passwords)
