"""A territory's protocol and its thematic sections: the top of each document.

A territory may have several protocols (a later generation of contracts is data, not code):
the one in force is the one that started last (`ProtocolQuerySet.in_force`, the only place
that rule is written).
"""

from django.db import models
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from commitments.models.constraints import unique_position, years_in_order
from commitments.models.paths import TreePath
from commitments.models.years import YearField, YearSpanMixin


def precondition_lines(preconditions):
    """The preconditions as the pages list them: one item per non-empty line."""
    return [line.strip() for line in preconditions.splitlines() if line.strip()]


def year_span(start_year, end_year):
    """« 2019–2022 », or the one year known, or ""."""
    if start_year and end_year:
        return f"{start_year}–{end_year}"
    return str(start_year or end_year or "")


class ProtocolQuerySet(models.QuerySet):
    def for_territory(self, territory):
        return self.filter(territory=territory)

    def latest_first(self):
        return self.order_by("-start_year", "-pk")

    def in_force(self):
        """Each territory's protocol in force: the one that started last (one subquery)."""
        latest = Protocol.objects.filter(territory=OuterRef("territory")).latest_first()
        return self.filter(pk=Subquery(latest.values("pk")[:1]))

    def current_for(self, territory):
        """The territory's protocol in force, or None."""
        return self.in_force().for_territory(territory).first()


class Protocol(YearSpanMixin, models.Model):
    tree = TreePath(None)

    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire",
        on_delete=models.PROTECT,
        related_name="protocols",
    )
    title = models.CharField("titre", max_length=300)
    deliberation_reference = models.CharField("référence de la délibération", max_length=80)
    deliberation_date = models.DateField("date de la délibération", null=True, blank=True)
    start_year = YearField("année de début")
    end_year = YearField("année de fin")
    preamble = models.TextField(
        "préambule", blank=True, help_text="Un paragraphe par bloc séparé d'une ligne vide."
    )
    preconditions_heading = models.CharField(
        "titre des conditions de réussite préalables", max_length=300, blank=True
    )
    preconditions = models.TextField(
        "conditions de réussite préalables", blank=True, help_text="Une condition par ligne."
    )
    # The version of everything the protocol's pages and PDF show: moved by every write
    # (services/content_changes.record_change).
    last_changed_at = models.DateTimeField("dernière modification", default=timezone.now)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    history = HistoricalRecords()
    objects = ProtocolQuerySet.as_manager()

    class Meta:
        verbose_name = "protocole"
        verbose_name_plural = "protocoles"
        ordering = ["territory__position", "-start_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "deliberation_reference"],
                name="%(app_label)s_%(class)s_unique_territory_deliberation",
            ),
            years_in_order(),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("territory_detail", kwargs={"slug": self.territory.slug})

    @property
    def precondition_list(self):
        return precondition_lines(self.preconditions)

    @property
    def period(self):
        return year_span(self.start_year, self.end_year)


class ThematicSectionQuerySet(models.QuerySet):
    def for_territory(self, territory):
        return self.filter(protocol__territory=territory)

    def for_thematic(self, thematic):
        return self.filter(thematic=thematic)

    def in_document_order(self):
        return self.order_by(*ThematicSection.tree.document_order)


class ThematicSection(models.Model):
    """One thematic as one protocol words and frames it."""

    tree = TreePath("")

    protocol = models.ForeignKey(
        Protocol, verbose_name="protocole", on_delete=models.CASCADE, related_name="sections"
    )
    thematic = models.ForeignKey(
        "commitments.Thematic",
        verbose_name="thématique",
        on_delete=models.PROTECT,
        related_name="sections",
    )
    position = models.PositiveIntegerField("ordre", default=0)
    heading = models.CharField("intitulé dans le protocole", max_length=300)
    subtitle = models.TextField("sous-titre", blank=True)
    objective = models.TextField(
        "objectif stratégique de la thématique",
        blank=True,
        help_text="« Objectif stratégique : … » énoncé au niveau de la thématique.",
    )
    priorities_heading = models.CharField("intitulé des priorités", max_length=300, blank=True)
    priorities = models.TextField(
        "priorités pour le territoire", blank=True, help_text="Une priorité par ligne."
    )
    intro = models.TextField(
        "texte d'introduction", blank=True, help_text="Texte libre avant les objectifs."
    )
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    # The version of what the protocol page shows of this section (its text, its tree, their
    # tracking): moved by every write to them (services/content_changes.record_change), and
    # part of the key of the section's cached fragment (rendering/protocol_fragments.py).
    last_changed_at = models.DateTimeField("dernière modification", default=timezone.now)

    history = HistoricalRecords()
    objects = ThematicSectionQuerySet.as_manager()

    class Meta:
        verbose_name = "section thématique"
        verbose_name_plural = "sections thématiques"
        ordering = ["protocol", "position"]
        constraints = [unique_position("protocol")]

    def __str__(self):
        return self.heading

    def get_absolute_url(self):
        return f"{self.protocol.get_absolute_url()}#{self.anchor}"

    @property
    def anchor(self):
        return f"section-{self.pk}"

    @property
    def priority_list(self):
        return [line.strip() for line in self.priorities.splitlines() if line.strip()]
