from django.db import models


class TerritoryKind(models.TextChoices):
    AGGLOMERATION = "agglomeration", "Agglomération"
    COMMUNE = "commune", "Commune"


class Department(models.TextChoices):
    ESSONNE = "91", "Essonne (91)"
    SEINE_ET_MARNE = "77", "Seine-et-Marne (77)"
    ESSONNE_SEINE_ET_MARNE = "91/77", "Essonne (91) et Seine-et-Marne (77)"
