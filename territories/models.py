from django.conf import settings
from django.db import models
from django.db.models import Case, Value, When
from django.urls import reverse

from territories.enums import Department, TerritoryKind


class TerritoryQuerySet(models.QuerySet):
    def communes(self):
        return self.filter(kind=TerritoryKind.COMMUNE)

    def agglomerations(self):
        return self.filter(kind=TerritoryKind.AGGLOMERATION)

    def in_display_order(self):
        """Agglomeration first, then communes by position and name."""
        return self.annotate(
            _kind_rank=Case(When(kind=TerritoryKind.AGGLOMERATION, then=Value(0)), default=Value(1))
        ).order_by("_kind_rank", "position", "name")


class Territory(models.Model):
    name = models.CharField("nom", max_length=120)
    slug = models.SlugField("identifiant d'URL", max_length=120)
    subtitle = models.CharField("sous-titre", max_length=200, blank=True)
    kind = models.CharField("type", max_length=20, choices=TerritoryKind.choices)
    department = models.CharField("département", max_length=5, choices=Department.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="territoire parent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    insee_code = models.CharField("code INSEE", max_length=5, blank=True)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    position = models.PositiveIntegerField("ordre d'affichage", default=0)

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = "territoire"
        verbose_name_plural = "territoires"
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="%(app_label)s_%(class)s_unique_slug"),
            models.CheckConstraint(
                condition=models.Q(kind=TerritoryKind.AGGLOMERATION)
                | models.Q(parent__isnull=False),
                name="%(app_label)s_%(class)s_commune_has_parent",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("territory_detail", kwargs={"slug": self.slug})

    @property
    def is_agglomeration(self):
        return self.kind == TerritoryKind.AGGLOMERATION


class TerritoryMembership(models.Model):
    """Ties a city project lead (chef de projet politique de la ville) to a territory."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.CASCADE,
        related_name="territory_memberships",
        # A superuser already sees everything: attaching one to a city would be a mistake
        # (and the form listed every superuser to the agglomeration staff).
        limit_choices_to={"is_superuser": False},
    )
    territory = models.ForeignKey(
        Territory, verbose_name="territoire", on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "rattachement à un territoire"
        verbose_name_plural = "rattachements aux territoires"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "territory"], name="%(app_label)s_%(class)s_unique_user_territory"
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.territory}"


class AccountPreferences(models.Model):
    """What a user chose to receive by email. Invitations and password resets are always sent;
    reminders of campaigns and the weekly digest can be turned off. A user without a row
    has the defaults (everything on): `for_user` reads without writing."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.CASCADE,
        related_name="account_preferences",
    )
    reminders = models.BooleanField(
        "rappels des campagnes de suivi",
        default=True,
        help_text="L'ouverture d'une campagne et les rappels avant et après son échéance.",
    )
    weekly_digest = models.BooleanField(
        "récapitulatif hebdomadaire",
        default=True,
        help_text="Chaque lundi, les points d'avancement enregistrés la semaine précédente "
        "(agents de l'agglomération).",
    )
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "préférences de notification"
        verbose_name_plural = "préférences de notification"

    def __str__(self):
        return f"Préférences de {self.user}"

    @classmethod
    def for_user(cls, user):
        """The user's preferences (unsaved defaults when they never chose)."""
        found = cls.objects.filter(user=user).first()
        return found or cls(user=user)


class ProConnectLink(models.Model):
    """An account's link to a ProConnect identity: the provider's `sub` (territories/proconnect/
    admission.py writes it at the first sign-in, matched by email, and removes it). One link per
    account and per `sub`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.CASCADE,
        related_name="proconnect_link",
    )
    sub = models.CharField("identifiant ProConnect (sub)", max_length=255, unique=True)
    email = models.EmailField(
        "adresse donnée par ProConnect",
        max_length=254,
        help_text="L'adresse électronique reçue de ProConnect lors de la dernière connexion.",
    )
    linked_at = models.DateTimeField("relié le", auto_now_add=True)
    last_login_at = models.DateTimeField("dernière connexion avec ProConnect", null=True)

    class Meta:
        verbose_name = "lien ProConnect"
        verbose_name_plural = "liens ProConnect"

    def __str__(self):
        return f"{self.user} — ProConnect"
