from django.core.management.base import BaseCommand, CommandError

from commitments.services.demo_data import generate_demo_data, remove_demo_data


class Command(BaseCommand):
    help = (
        "Génère des territoires et engagements SYNTHÉTIQUES (slug demo-…) pour mesurer les "
        "performances ; --remove les supprime."
    )

    def add_arguments(self, parser):
        parser.add_argument("--territories", type=int, default=100)
        parser.add_argument("--actions", type=int, default=20000)
        parser.add_argument("--remove", action="store_true", help="Supprime les données de démo.")

    def handle(self, *args, territories, actions, remove, **options):
        if remove:
            count = remove_demo_data()
            self.stdout.write(f"Territoires de démonstration supprimés : {count}")
            return
        if territories < 1 or actions < 0:
            raise CommandError("--territories doit être ≥ 1 et --actions ≥ 0.")
        try:
            created = generate_demo_data(territories=territories, actions=actions)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for label, count in created.items():
            self.stdout.write(f"{label} (synthétiques) : {count}")
