"""Reference lists shared by every protocol: thematics, partners, glossary, transversal axes."""

from django.db import models
from django.urls import reverse

from commitments.enums import PartnerKind
from commitments.models.fulltext import match_text


class Thematic(models.Model):
    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant d'URL", max_length=80)
    short_name = models.CharField("nom court", max_length=80)
    description = models.TextField("description", blank=True)
    position = models.PositiveIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "thématique"
        verbose_name_plural = "thématiques"
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="%(app_label)s_%(class)s_unique_slug"),
        ]

    def __str__(self):
        return self.short_name or self.name

    def get_absolute_url(self):
        return reverse("thematic_detail", kwargs={"slug": self.slug})


class Partner(models.Model):
    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant d'URL", max_length=120)
    acronym = models.CharField("sigle", max_length=40, blank=True)
    kind = models.CharField(
        "type", max_length=20, choices=PartnerKind.choices, default=PartnerKind.OTHER
    )
    aliases = models.TextField(
        "autres appellations",
        blank=True,
        help_text="Une appellation par ligne, telle qu'elle apparaît dans les textes.",
    )
    website = models.URLField("site internet", blank=True)

    class Meta:
        verbose_name = "partenaire"
        verbose_name_plural = "partenaires"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="%(app_label)s_%(class)s_unique_slug"),
            models.UniqueConstraint(fields=["name"], name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self):
        return self.name

    @property
    def alias_list(self):
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


class GlossaryTerm(models.Model):
    term = models.CharField("sigle ou terme", max_length=40)
    slug = models.SlugField("identifiant d'URL", max_length=60)
    expansion = models.CharField(
        "forme développée",
        max_length=300,
        blank=True,
        help_text="Laisser vide plutôt qu'inventer : le terme s'affiche alors sans développé.",
    )
    definition = models.TextField("définition", blank=True)

    class Meta:
        verbose_name = "terme du glossaire"
        verbose_name_plural = "glossaire"
        ordering = ["term"]
        constraints = [
            models.UniqueConstraint(fields=["term"], name="%(app_label)s_%(class)s_unique_term"),
            models.UniqueConstraint(fields=["slug"], name="%(app_label)s_%(class)s_unique_slug"),
        ]

    def __str__(self):
        return f"{self.term} — {self.expansion}" if self.expansion else self.term


class TransversalAxisQuerySet(models.QuerySet):
    def matching(self, terms):
        return match_text(self, ("name", "description"), terms)


class TransversalAxis(models.Model):
    name = models.CharField("nom", max_length=120)
    slug = models.SlugField("identifiant d'URL", max_length=80)
    description = models.TextField("description", blank=True)
    position = models.PositiveIntegerField("ordre", default=0)

    objects = TransversalAxisQuerySet.as_manager()

    class Meta:
        verbose_name = "axe transversal"
        verbose_name_plural = "axes transversaux"
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="%(app_label)s_%(class)s_unique_slug"),
        ]

    def __str__(self):
        return self.name
