"""Two accounts for trying the portal locally: agglomeration staff and a Grigny lead."""

import secrets

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from territories.models import Territory, TerritoryMembership
from territories.roles import AGGLOMERATION_GROUP, CITY_LEAD_GROUP, sync_role_groups

LEAD_TERRITORY = "grigny"
DEMO_USERS = (
    # username, first name, last name, group, territory slug
    ("agglomeration", "Agnès", "Agglo", AGGLOMERATION_GROUP, None),
    ("chef-grigny", "Gaël", "Grigny", CITY_LEAD_GROUP, LEAD_TERRITORY),
)


class Command(BaseCommand):
    help = (
        "Crée (ou réinitialise) deux comptes de démonstration : un agent de l'agglomération et "
        "un chef de projet de Grigny, et affiche leurs identifiants. Refusé hors développement "
        "(DEBUG désactivé)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Mot de passe des deux comptes (par défaut : un mot de passe aléatoire).",
        )

    def handle(self, *args, password=None, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusé : DEBUG est désactivé (production). Les comptes de démonstration ne "
                "servent qu'à essayer le portail en local."
            )
        territory = Territory.objects.filter(slug=LEAD_TERRITORY).first()
        if territory is None:
            raise CommandError(
                "Le territoire « grigny » n'existe pas : lancez d'abord "
                "« python manage.py seed_protocols »."
            )
        with transaction.atomic():
            sync_role_groups(apps)
            credentials = []
            for username, first_name, last_name, group_name, slug in DEMO_USERS:
                user_password = password or secrets.token_urlsafe(12)
                user, _ = get_user_model().objects.update_or_create(
                    username=username,
                    defaults={
                        "first_name": first_name,
                        "last_name": last_name,
                        "email": f"{username}@example.org",
                        "is_staff": True,
                        "is_active": True,
                        "is_superuser": False,
                    },
                )
                user.set_password(user_password)
                user.save()
                user.groups.set([Group.objects.get(name=group_name)])
                if slug:
                    TerritoryMembership.objects.get_or_create(user=user, territory=territory)
                credentials.append((username, user_password, group_name, slug))
        self.stdout.write("Comptes de démonstration prêts (connexion sur /admin/) :")
        for username, user_password, group_name, slug in credentials:
            where = f", territoire {slug}" if slug else ""
            self.stdout.write(
                f"  {username} / {user_password}  ({group_name}{where})", self.style.SUCCESS
            )
