"""The protocol's hierarchy: strategic objective → operational objective → action.

A branch may stop at any level: a strategic objective without operational objectives, an
operational objective without actions. Positions keep the documents' order.
"""

from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import (
    Count,
    Deferrable,
    Exists,
    ExpressionWrapper,
    FloatField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from simple_history.models import HistoricalRecords

from commitments.enums import Level
from commitments.models.text_search import SEARCH_CONFIG, match_text
from commitments.models.tracking import TrackedCommitment

SO_TO_TERRITORY = "section__protocol__territory"
OO_TO_TERRITORY = "strategic_objective__" + SO_TO_TERRITORY
ACTION_TO_TERRITORY = "operational_objective__" + OO_TO_TERRITORY


def _subquery_total(queryset, group_field, aggregate):
    """A correlated subquery returning one aggregate over `queryset` grouped by `group_field`."""
    return Subquery(
        queryset.order_by().values(group_field).annotate(total=aggregate).values("total")[:1]
    )


class Node(models.Model):
    """Fields shared by every level of the hierarchy."""

    position = models.PositiveIntegerField("ordre", default=0)
    text = models.TextField("intitulé")
    details = models.TextField(
        "précisions",
        blank=True,
        help_text="Exemples, précisions en italique dans le document. Un paragraphe par bloc "
        "séparé d'une ligne vide.",
    )
    partners = models.ManyToManyField(
        "commitments.Partner", verbose_name="partenaires", blank=True, related_name="%(class)ss"
    )
    axes = models.ManyToManyField(
        "commitments.TransversalAxis",
        verbose_name="axes transversaux",
        blank=True,
        related_name="%(class)ss",
    )
    # Optimistic concurrency: incremented on every save, checked by the admin forms.
    version = models.PositiveIntegerField("version", default=1, editable=False)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.text if len(self.text) <= 90 else self.text[:89] + "…"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version", "updated_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.section_for_url().protocol.get_absolute_url()}#{self.anchor}"

    @property
    def anchor(self):
        return f"{self.anchor_prefix}-{self.pk}"


SEARCH_FIELDS = ("text", "details")


def search_vector():
    """Must stay identical to the expression of the GIN index created in migration 0002."""
    return SearchVector(*SEARCH_FIELDS, config=SEARCH_CONFIG)


class SearchableQuerySet(models.QuerySet):
    def search(self, terms):
        """Commitments whose text or details match `terms` (see text_search.match_text), or
        that are tagged with a transversal axis whose name matches: "illectronisme" finds the
        commitments tagged "Numérique et lutte contre l'illectronisme", whatever their wording.
        """
        from commitments.models.reference import TransversalAxis

        terms = (terms or "").strip()
        if not terms:
            return self
        worded = match_text(self.model.objects.all(), SEARCH_FIELDS, terms).values("pk")
        tagged = self.model.objects.filter(axes__in=TransversalAxis.objects.matching(terms)).values(
            "pk"
        )
        return self.filter(models.Q(pk__in=worded) | models.Q(pk__in=tagged))


class StrategicObjectiveQuerySet(SearchableQuerySet):
    def for_territory(self, territory):
        return self.filter(**{SO_TO_TERRITORY: territory})

    def for_territories(self, territories):
        return self.filter(**{SO_TO_TERRITORY + "__in": territories})

    def for_thematic(self, thematic):
        return self.filter(section__thematic=thematic)

    def with_tree(self):
        return self.select_related("section__protocol__territory", "section__thematic")

    def in_document_order(self):
        return self.order_by(
            "section__protocol__territory__position",
            "section__protocol_id",
            "section__position",
            "position",
        )

    def with_progress(self):
        """Average progress of the branch's leaves, computed by the database.

        Leaves are the actions, and the operational objectives that have no action.
        Annotates `leaf_count`, `progress_sum` and `progress_avg` (None when no leaf).
        """
        actions = Action.objects.filter(operational_objective__strategic_objective=OuterRef("pk"))
        leaf_oos = OperationalObjective.objects.leaves().filter(strategic_objective=OuterRef("pk"))
        group = "operational_objective__strategic_objective"
        return self.annotate(
            leaf_count=Coalesce(_subquery_total(actions, group, Count("pk")), Value(0))
            + Coalesce(_subquery_total(leaf_oos, "strategic_objective", Count("pk")), Value(0)),
            progress_sum=Coalesce(_subquery_total(actions, group, Sum("progress")), Value(0))
            + Coalesce(_subquery_total(leaf_oos, "strategic_objective", Sum("progress")), Value(0)),
        ).annotate(
            progress_avg=ExpressionWrapper(
                1.0 * models.F("progress_sum") / NullIf(models.F("leaf_count"), Value(0)),
                output_field=FloatField(),
            )
        )


class StrategicObjective(Node):
    level = Level.STRATEGIC
    anchor_prefix = "os"

    section = models.ForeignKey(
        "commitments.ThematicSection",
        verbose_name="section thématique",
        on_delete=models.CASCADE,
        related_name="strategic_objectives",
    )
    subheading = models.CharField(
        "sous-titre de regroupement",
        max_length=200,
        blank=True,
        help_text="Sous-titre qui précède cet objectif dans le document (ex. « Emploi : »).",
    )
    operational_heading = models.TextField(
        "intitulé des objectifs opérationnels",
        blank=True,
        help_text="Texte qui introduit les objectifs opérationnels "
        "(ex. « Objectif opérationnel : »).",
    )

    history = HistoricalRecords(m2m_fields=["partners", "axes"])
    objects = StrategicObjectiveQuerySet.as_manager()

    class Meta:
        verbose_name = "objectif stratégique"
        verbose_name_plural = "objectifs stratégiques"
        ordering = ["section", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "position"],
                name="%(app_label)s_%(class)s_unique_position",
                deferrable=Deferrable.DEFERRED,
            ),
        ]

    def section_for_url(self):
        return self.section

    @property
    def territory(self):
        return self.section.protocol.territory


class OperationalObjectiveQuerySet(SearchableQuerySet):
    def leaves(self):
        """Those without actions: with the actions, the leaves that roll-ups average."""
        return self.exclude(Exists(Action.objects.filter(operational_objective=OuterRef("pk"))))

    def for_territory(self, territory):
        return self.filter(**{OO_TO_TERRITORY: territory})

    def for_territories(self, territories):
        return self.filter(**{OO_TO_TERRITORY + "__in": territories})

    def for_thematic(self, thematic):
        return self.filter(strategic_objective__section__thematic=thematic)

    def with_tree(self):
        return self.select_related(
            "strategic_objective__section__protocol__territory",
            "strategic_objective__section__thematic",
            "lead",
        )

    def in_document_order(self):
        return self.order_by(
            "strategic_objective__section__protocol__territory__position",
            "strategic_objective__section__protocol_id",
            "strategic_objective__section__position",
            "strategic_objective__position",
            "position",
        )

    def with_progress(self):
        """Own progress when the objective has no action, else the average of its actions."""
        actions = Action.objects.filter(operational_objective=OuterRef("pk"))
        group = "operational_objective"
        return self.annotate(
            action_count=Coalesce(_subquery_total(actions, group, Count("pk")), Value(0)),
            action_progress_sum=_subquery_total(actions, group, Sum("progress")),
        ).annotate(
            progress_avg=Coalesce(
                ExpressionWrapper(
                    1.0
                    * models.F("action_progress_sum")
                    / NullIf(models.F("action_count"), Value(0)),
                    output_field=FloatField(),
                ),
                ExpressionWrapper(1.0 * models.F("progress"), output_field=FloatField()),
            )
        )


class OperationalObjective(Node, TrackedCommitment):
    level = Level.OPERATIONAL
    anchor_prefix = "oo"

    strategic_objective = models.ForeignKey(
        StrategicObjective,
        verbose_name="objectif stratégique",
        on_delete=models.CASCADE,
        related_name="operational_objectives",
    )

    history = HistoricalRecords(m2m_fields=["partners", "axes"])
    objects = OperationalObjectiveQuerySet.as_manager()

    class Meta(TrackedCommitment.Meta):
        verbose_name = "objectif opérationnel"
        verbose_name_plural = "objectifs opérationnels"
        ordering = ["strategic_objective", "position"]
        constraints = [
            *TrackedCommitment.Meta.constraints,
            models.UniqueConstraint(
                fields=["strategic_objective", "position"],
                name="%(app_label)s_%(class)s_unique_position",
                deferrable=Deferrable.DEFERRED,
            ),
        ]
        indexes = [models.Index(fields=["status"], name="commitments_oo_status_idx")]

    def section_for_url(self):
        return self.strategic_objective.section

    @property
    def territory(self):
        return self.strategic_objective.section.protocol.territory

    def get_public_url(self):
        return reverse("commitment_detail", kwargs={"level": "objectif", "pk": self.pk})


class ActionQuerySet(SearchableQuerySet):
    def for_territory(self, territory):
        return self.filter(**{ACTION_TO_TERRITORY: territory})

    def for_territories(self, territories):
        return self.filter(**{ACTION_TO_TERRITORY + "__in": territories})

    def for_thematic(self, thematic):
        return self.filter(operational_objective__strategic_objective__section__thematic=thematic)

    def with_tree(self):
        return self.select_related(
            "operational_objective__strategic_objective__section__protocol__territory",
            "operational_objective__strategic_objective__section__thematic",
            "lead",
        )

    def in_document_order(self):
        prefix = "operational_objective__strategic_objective__"
        return self.order_by(
            prefix + "section__protocol__territory__position",
            prefix + "section__protocol_id",
            prefix + "section__position",
            prefix + "position",
            "operational_objective__position",
            "position",
        )


class Action(Node, TrackedCommitment):
    level = Level.ACTION
    anchor_prefix = "action"

    operational_objective = models.ForeignKey(
        OperationalObjective,
        verbose_name="objectif opérationnel",
        on_delete=models.CASCADE,
        related_name="actions",
    )

    history = HistoricalRecords(m2m_fields=["partners", "axes"])
    objects = ActionQuerySet.as_manager()

    class Meta(TrackedCommitment.Meta):
        verbose_name = "action"
        verbose_name_plural = "actions"
        ordering = ["operational_objective", "position"]
        constraints = [
            *TrackedCommitment.Meta.constraints,
            models.UniqueConstraint(
                fields=["operational_objective", "position"],
                name="%(app_label)s_%(class)s_unique_position",
                deferrable=Deferrable.DEFERRED,
            ),
        ]
        indexes = [models.Index(fields=["status"], name="commitments_action_status_idx")]

    def section_for_url(self):
        return self.operational_objective.strategic_objective.section

    @property
    def territory(self):
        return self.operational_objective.strategic_objective.section.protocol.territory

    def get_public_url(self):
        return reverse("commitment_detail", kwargs={"level": "action", "pk": self.pk})
