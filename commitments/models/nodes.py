"""The protocol's hierarchy: strategic objective → operational objective → action.

A branch may stop at any level: a strategic objective without operational objectives, an
operational objective without actions. Positions keep the documents' order.

The leaf rule, written here once (in SQL by `NodeQuerySet.leaves()`, on a loaded tree by
`OperationalObjective.leaves()`): the commitments that count in every roll-up are the actions,
and the operational objectives that have no action (their own status stands for the branch).
An objective with actions is represented by its actions, so nothing is counted twice.

Operational objectives and actions are tracked (TrackedCommitment): their status and progress
are those of their latest progress update (commitments/services/progress_rule.py).
"""

from typing import ClassVar

from django.contrib.postgres.search import SearchVector
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from commitments.enums import CommitmentKind, Level, Status
from commitments.models.constraints import progress_0_100, unique_position, years_in_order
from commitments.models.fulltext import SEARCH_CONFIG, match_text
from commitments.models.paths import TreePath
from commitments.models.reference import TransversalAxis
from commitments.models.years import YearField, YearSpanMixin

SEARCH_FIELDS = ("text", "details")

# What a city project lead may change on their own territory's commitments, besides recording
# progress updates. Partners are part of the adopted text: staff only.
TRACKING_FIELDS = ("pilot", "start_year", "end_year")
# Written by the latest-update rule only (commitments/services/progress_rule.py).
RULE_FIELDS = ("status", "progress")


class StatusWrittenDirectly(Exception):
    """A status or a progress changed on a commitment instead of through a progress update."""


def search_vector():
    """The expression of the GIN indexes of migration 0002, and of the stored documents that
    replaced them (migration 0009, fulltext.StoredDocument)."""
    return SearchVector(*SEARCH_FIELDS, config=SEARCH_CONFIG)


class NodeQuerySet(models.QuerySet):
    """Shared by the three levels: every lookup up the tree comes from the model's `tree`."""

    def for_territory(self, territory):
        return self.filter(**{self.model.tree.territory: territory})

    def for_territories(self, territories):
        return self.filter(**{self.model.tree.lookup("territory", "in"): territories})

    def for_protocols(self, protocols):
        return self.filter(**{self.model.tree.lookup("protocol", "in"): protocols})

    def for_thematic(self, thematic):
        return self.filter(**{self.model.tree.thematic: thematic})

    def with_tree(self):
        """The section, protocol, territory and thematic (and the pilot) in the same query."""
        related = [self.model.tree.territory, self.model.tree.thematic]
        if issubclass(self.model, TrackedCommitment):
            related.append("pilot")
        return self.select_related(*related)

    def in_document_order(self):
        return self.order_by(*self.model.tree.document_order)

    def for_listing(self):
        """Only what a list of links to commitments shows: the text (`str()`), the address and
        the territory's name as `territory_name`, without the levels above (a row of
        `with_tree()` carries five models and the protocol's preamble)."""
        territory_name = models.F(f"{self.model.tree.territory}__name")
        return self.only("text").annotate(territory_name=territory_name)

    def leaves(self):
        """The rows that count in roll-ups (see the module docstring)."""
        if self.model is Action:
            return self
        if self.model is OperationalObjective:
            return self.exclude(Exists(Action.objects.filter(operational_objective=OuterRef("pk"))))
        return self.none()

    def search(self, terms):
        """Commitments whose text or details match `terms` (see fulltext.match_text), or that
        are tagged with a transversal axis whose name matches: "illectronisme" finds the
        commitments tagged "Numérique et lutte contre l'illectronisme", whatever their wording.
        """
        terms = (terms or "").strip()
        if not terms:
            return self
        worded = match_text(self.model.objects.all(), SEARCH_FIELDS, terms, stored=True)
        worded = worded.values("pk")
        tagged = self.model.objects.filter(axes__in=TransversalAxis.objects.matching(terms))
        return self.filter(Q(pk__in=worded) | Q(pk__in=tagged.values("pk")))


class Node(models.Model):
    """Fields shared by every level of the hierarchy."""

    # Set by each level: its lookups up the tree and the prefix of its anchors.
    tree: ClassVar[TreePath]
    anchor_prefix: ClassVar[str]

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

    objects = NodeQuerySet.as_manager()

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
        return f"{self.section.protocol.get_absolute_url()}#{self.anchor}"

    @property
    def section(self):
        """The thematic section, followed in memory (select it with `with_tree()`)."""
        node = self
        for step in self.tree.section.split("__"):
            node = getattr(node, step)
        return node

    @property
    def territory(self):
        return self.section.protocol.territory

    @property
    def anchor(self):
        return f"{self.anchor_prefix}-{self.pk}"


class TrackedCommitment(YearSpanMixin, models.Model):
    """Tracking fields shared by operational objectives and actions.

    `status` and `progress` are those of the latest progress update, copied here by the rule's
    single UPDATE so that lists filter and count them in SQL. No form can edit them
    (editable=False), a save never writes them, and a save refuses a change made to them in
    memory (StatusWrittenDirectly): every path records a progress update instead.
    """

    # Set by each tracked level (as for Node).
    kind: ClassVar[CommitmentKind]
    tree: ClassVar[TreePath]

    status = models.CharField(
        "statut",
        max_length=20,
        choices=Status.choices,
        default=Status.NOT_REPORTED,
        editable=False,
    )
    progress = models.PositiveSmallIntegerField(
        "avancement (%)",
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        editable=False,
    )
    pilot = models.ForeignKey(
        "commitments.Partner",
        verbose_name="pilote",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="piloted_%(class)ss",
    )
    start_year = YearField("année de début")
    end_year = YearField("année de fin")

    class Meta:
        abstract = True
        constraints = [progress_0_100(), years_in_order()]

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_rule_values", (Status.NOT_REPORTED, 0))
        if tuple(getattr(self, name) for name in RULE_FIELDS) != loaded:
            raise StatusWrittenDirectly(
                "Le statut et l'avancement d'un engagement sont ceux de son dernier point "
                "d'avancement : enregistrez un point (services/progress_rule.record_update)."
            )
        if not self._state.adding:
            names = kwargs.get("update_fields")
            if names is None:
                names = [f.name for f in self._meta.concrete_fields if not f.primary_key]
            kwargs["update_fields"] = [name for name in names if name not in RULE_FIELDS]
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_rule_values()
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._remember_rule_values()

    def _remember_rule_values(self):
        self._rule_values = tuple(self.__dict__.get(name) for name in RULE_FIELDS)

    def get_public_url(self):
        return reverse("commitment_detail", kwargs={"kind": self.kind, "pk": self.pk})

    def get_tracking_url(self):
        """Where a lead records a progress update on this commitment (/suivi/…)."""
        return reverse("tracking_commitment", kwargs={"kind": self.kind, "pk": self.pk})


class StrategicObjective(Node):
    level = Level.STRATEGIC
    anchor_prefix = "os"
    tree = TreePath("section")

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

    class Meta:
        verbose_name = "objectif stratégique"
        verbose_name_plural = "objectifs stratégiques"
        ordering = ["section", "position"]
        constraints = [unique_position("section")]


class OperationalObjective(Node, TrackedCommitment):
    level = Level.OPERATIONAL
    kind = CommitmentKind.OPERATIONAL
    anchor_prefix = "oo"
    tree = TreePath("strategic_objective__section")

    strategic_objective = models.ForeignKey(
        StrategicObjective,
        verbose_name="objectif stratégique",
        on_delete=models.CASCADE,
        related_name="operational_objectives",
    )

    history = HistoricalRecords(m2m_fields=["partners", "axes"])

    class Meta(TrackedCommitment.Meta):
        verbose_name = "objectif opérationnel"
        verbose_name_plural = "objectifs opérationnels"
        ordering = ["strategic_objective", "position"]
        constraints = [*TrackedCommitment.Meta.constraints, unique_position("strategic_objective")]
        indexes = [models.Index(fields=["status"], name="commitments_oo_status_idx")]

    def leaves(self):
        """In a loaded tree: its actions, or the objective itself when it has none."""
        return list(self.actions.all()) or [self]


class Action(Node, TrackedCommitment):
    level = Level.ACTION
    kind = CommitmentKind.ACTION
    anchor_prefix = "action"
    tree = TreePath("operational_objective__strategic_objective__section")

    operational_objective = models.ForeignKey(
        OperationalObjective,
        verbose_name="objectif opérationnel",
        on_delete=models.CASCADE,
        related_name="actions",
    )

    history = HistoricalRecords(m2m_fields=["partners", "axes"])

    class Meta(TrackedCommitment.Meta):
        verbose_name = "action"
        verbose_name_plural = "actions"
        ordering = ["operational_objective", "position"]
        constraints = [
            *TrackedCommitment.Meta.constraints,
            unique_position("operational_objective"),
        ]
        indexes = [models.Index(fields=["status"], name="commitments_action_status_idx")]


TRACKED_MODELS = (OperationalObjective, Action)
NODE_MODELS = (StrategicObjective, OperationalObjective, Action)
