"""Indicators: the measured quantities that say whether a protocol reaches its quantified goals.

- `IndicatorDefinition`: what is measured — a unique code, a name, a unit, the decimals shown,
  how it is computed. Indicators that mean the same thing in several territories share one, so
  that they can be compared. A model of its own rather than a code repeated on each indicator:
  the name, the unit and the decimals are written once and cannot drift between territories
  (two « taux de scolarisation » in different units could not be compared), and comparing
  territories reads one definition.
- `Indicator`: one territory's measure of a definition, attached to the commitment it measures
  — exactly one of a strategic objective, an operational objective or an action (one nullable
  key per level and a check constraint, as ProgressUpdate does for its targets) — with its
  optional scope (a QPV or an area as the protocol names it), the desired direction, the
  source of its figures, a baseline (value, year) and a target: a value, or a factor of the
  baseline (« multiplier par 2 »), with a year and/or the horizon as the text writes it
  (« à l'horizon 2030 », « à échéances de 15/20 ans »), possibly a minimum (« au minimum
  30 % »); and the protocol's sentence that states it (`wording`). The direction belongs to
  the indicator, not the definition: the same share of social housing is to rise in one city
  and to fall in another.
- `IndicatorValue`: the value of one year, with its source, comment, author and the time it
  was recorded. One row per year: a new value for a year already recorded replaces it, the
  previous one kept in the history (services/indicator_writes.record_indicator_value).

Validation is written once, here, and every path runs it through `full_clean` (the admin's
forms, the seed, services/indicator_writes.py which the tracking space and the imports call):
- a value, a baseline and a target lie in their unit's range (UNIT_BOUNDS: a percentage
  between 0 and 100, a count or an amount not negative) with no more decimals than the
  definition shows (`value_error`);
- a value's year lies between the indicator's baseline year (FIRST_YEAR, 2000, when it has
  none) and the current year, never in the future (`year_error`). Values may predate the
  protocol: the texts themselves cite figures of 2015 and 2017 for a protocol of 2019;
- changing an indicator (its definition, its baseline year) or a definition (its unit, its
  decimals) is refused when a value already recorded would no longer pass these rules.
The database refuses two values for one year, an indicator without exactly one commitment, a
baseline year without its value, and a target given both as a value and as a factor.

Queries: `Indicator.clean` reads the commitment's territory and the recorded values (two
queries); `IndicatorDefinition.clean` reads its indicators' figures (two queries).
"""

from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from commitments.enums import Direction, Unit
from commitments.models.nodes import Action, Node, OperationalObjective, StrategicObjective
from commitments.models.progress import COMMENT_MAX_LENGTH
from commitments.models.years import FIRST_YEAR, LAST_YEAR, YearField
from perer.lib.user_names import display_name

# The Indicator foreign key that points at each level of commitment.
COMMITMENT_FIELDS = {
    StrategicObjective: "strategic_objective",
    OperationalObjective: "operational_objective",
    Action: "action",
}
MAX_DECIMALS = 4
# Figures: up to 10 digits before the decimal point, MAX_DECIMALS after.
FIGURE: dict[str, Any] = {"max_digits": 10 + MAX_DECIMALS, "decimal_places": MAX_DECIMALS}

# (lowest, highest) of each unit; None: no bound.
UNIT_BOUNDS = {
    Unit.PERCENT: (0, 100),
    Unit.PER_THOUSAND: (0, 1000),
    Unit.COUNT: (0, None),
    Unit.EUROS: (0, None),
}
OUT_OF_RANGE = {
    Unit.PERCENT: "Un pourcentage est compris entre 0 et 100",
    Unit.PER_THOUSAND: "Un taux pour mille est compris entre 0 et 1 000",
    Unit.COUNT: "Un nombre ne peut pas être négatif",
    Unit.EUROS: "Un montant en euros ne peut pas être négatif",
}
ONE_COMMITMENT = (
    "Choisissez l'engagement que mesure l'indicateur : un objectif stratégique, un objectif "
    "opérationnel ou une action (un seul des trois)."
)
DUPLICATE_YEAR = (
    "Une valeur est déjà enregistrée pour cette année : modifiez-la plutôt (la valeur "
    "remplacée reste dans l'historique)."
)


def french_number(value):
    """« 35 », « 35,5 », « -3 »: a figure as a French message writes it (no trailing zeros)."""
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")


def decimals_of(value):
    exponent = Decimal(value).normalize().as_tuple().exponent
    # A letter only for NaN and infinities, which the figures' fields refuse.
    assert isinstance(exponent, int), value
    return max(0, -exponent)


def value_error(value, unit, decimals):
    """The French message for a figure outside its unit's range, or with more decimals than the
    definition shows; None when it is fine."""
    low, high = UNIT_BOUNDS[unit]
    shown = french_number(value)
    if value < low or (high is not None and value > high):
        return f"{OUT_OF_RANGE[unit]} (« {shown} » n'est pas possible)."
    if decimals_of(value) > decimals:
        if decimals == 0:
            return f"Indiquez un nombre entier (« {shown} » a des décimales)."
        plural = "s" if decimals > 1 else ""
        return f"Indiquez au plus {decimals} décimale{plural} (« {shown} »)."
    return None


def year_error(year, baseline_year):
    """The French message for a value's year in the future or before the indicator's baseline
    year; None when it is fine. A year outside FIRST_YEAR–LAST_YEAR is the YearField's to
    report (one message)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    current = timezone.localdate().year
    if year > current:
        return f"L'année ne peut pas être dans le futur (année en cours : {current})."
    if baseline_year is not None and year < baseline_year:
        return (
            f"L'année ne peut pas précéder l'année de référence de l'indicateur ({baseline_year})."
        )
    return None


class IndicatorDefinition(models.Model):
    code = models.SlugField(
        "code",
        max_length=80,
        help_text="Identifiant commun aux territoires qui mesurent la même chose, par exemple "
        "« scolarisation-moins-3-ans ». Lettres minuscules, chiffres et tirets.",
    )
    name = models.CharField("nom", max_length=200)
    unit = models.CharField("unité", max_length=20, choices=Unit.choices)
    decimals = models.PositiveSmallIntegerField(
        "décimales",
        default=0,
        validators=[MaxValueValidator(MAX_DECIMALS)],
        help_text=f"Nombre de décimales des valeurs (0 à {MAX_DECIMALS}).",
    )
    definition = models.TextField(
        "définition", blank=True, help_text="Ce qui est mesuré et comment le chiffre est calculé."
    )
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "définition d'indicateur"
        verbose_name_plural = "définitions d'indicateurs"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="%(app_label)s_%(class)s_unique_code"),
        ]

    def __str__(self):
        return self.name

    @property
    def symbol(self):
        return Unit(self.unit).symbol

    def clean(self):
        """The figures already recorded under this definition must fit a new unit or a new
        number of decimals (one query for the values, one for the baselines and targets)."""
        if self._state.adding or not self.unit or self.decimals is None:
            return
        figures = [
            (f"la valeur de {year}", value)
            for year, value in IndicatorValue.objects.filter(
                indicator__definition=self
            ).values_list("year", "value")
        ]
        for baseline, target in Indicator.objects.filter(definition=self).values_list(
            "baseline_value", "target_value"
        ):
            figures += [("une valeur de référence", baseline), ("une valeur cible", target)]
        for what, value in figures:
            if value is not None:
                message = value_error(value, self.unit, self.decimals)
                if message:
                    raise ValidationError(
                        f"Des indicateurs utilisent cette définition et {what} ne respecterait "
                        f"plus l'unité ou les décimales choisies : {message}"
                    )


def measured(model):
    """An indicator's optional key to a level of commitment; its indicators go with it."""
    return models.ForeignKey(
        model,
        verbose_name=model._meta.verbose_name,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
    )


class IndicatorQuerySet(models.QuerySet):
    def for_territory(self, territory):
        return self.filter(territory=territory)

    def for_territories(self, territories):
        return self.filter(territory__in=territories)

    def for_thematic(self, thematic):
        lookups = [
            Q(**{f"{field}__{model.tree.thematic}": thematic})
            for model, field in COMMITMENT_FIELDS.items()
        ]
        return self.filter(Q(*lookups, _connector=Q.OR))

    def with_commitment(self):
        """The definition, the territory and the commitment measured, in the same query."""
        return self.select_related("definition", "territory", *COMMITMENT_FIELDS.values())


class Indicator(models.Model):
    definition = models.ForeignKey(
        IndicatorDefinition,
        verbose_name="définition",
        on_delete=models.PROTECT,
        related_name="indicators",
    )
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire",
        on_delete=models.PROTECT,
        related_name="indicators",
    )
    # The commitment measured: exactly one of the three (check constraint below).
    strategic_objective = measured(StrategicObjective)
    operational_objective = measured(OperationalObjective)
    action = measured(Action)
    scope = models.CharField(
        "périmètre",
        max_length=200,
        blank=True,
        help_text="Un quartier ou un secteur tel que le protocole le nomme (par exemple "
        "« Grande Borne »). Vide : tout le territoire.",
    )
    direction = models.CharField(
        "sens souhaité",
        max_length=10,
        choices=Direction.choices,
        blank=True,
        help_text="Vide quand le texte ne le dit pas (« tendre vers… »).",
    )
    source = models.CharField(
        "source des données",
        max_length=200,
        blank=True,
        help_text="Qui produit les chiffres : INSEE, CAF, Éducation nationale, la ville…",
    )
    baseline_value = models.DecimalField("valeur de référence", null=True, blank=True, **FIGURE)
    baseline_year = YearField("année de référence")
    target_value = models.DecimalField("valeur cible", null=True, blank=True, **FIGURE)
    target_factor = models.DecimalField(
        "cible relative : valeur de référence multipliée par",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Pour un objectif comme « multiplier par 2 » : 2 (au lieu d'une valeur cible).",
    )
    target_is_minimum = models.BooleanField(
        "la cible est un minimum",
        default=False,
        help_text="« Au minimum 30 % » : l'objectif est atteint dès que la cible est égalée.",
    )
    target_year = YearField("année cible")
    target_horizon = models.CharField(
        "échéance telle que le texte l'écrit",
        max_length=200,
        blank=True,
        help_text="Par exemple « à l'horizon 2030 », « à échéances de 15/20 ans ».",
    )
    wording = models.TextField(
        "formulation du protocole",
        blank=True,
        help_text="La phrase du protocole qui énonce l'objectif ou le chiffre.",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    history = HistoricalRecords()
    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = "indicateur"
        verbose_name_plural = "indicateurs"
        ordering = ["territory__position", "definition__name", "scope"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(strategic_objective__isnull=False)
                    & Q(operational_objective__isnull=True)
                    & Q(action__isnull=True)
                )
                | (
                    Q(strategic_objective__isnull=True)
                    & Q(operational_objective__isnull=False)
                    & Q(action__isnull=True)
                )
                | (
                    Q(strategic_objective__isnull=True)
                    & Q(operational_objective__isnull=True)
                    & Q(action__isnull=False)
                ),
                name="%(app_label)s_%(class)s_exactly_one_commitment",
                violation_error_message=ONE_COMMITMENT,
            ),
            models.UniqueConstraint(
                fields=["definition", "territory", "scope"],
                name="%(app_label)s_%(class)s_unique_per_territory_and_scope",
                violation_error_message="Ce territoire a déjà un indicateur de cette définition "
                "sur ce périmètre : modifiez-le, ou précisez un autre périmètre.",
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True) | Q(baseline_value__isnull=False),
                name="%(app_label)s_%(class)s_baseline_year_has_value",
                violation_error_message="Une année de référence va avec sa valeur.",
            ),
            models.CheckConstraint(
                condition=Q(target_value__isnull=True) | Q(target_factor__isnull=True),
                name="%(app_label)s_%(class)s_one_kind_of_target",
                violation_error_message="Indiquez soit une valeur cible, soit une cible relative, "
                "pas les deux.",
            ),
        ]

    def __str__(self):
        label = f"{self.definition.name} — {self.territory.name}"
        return f"{label} ({self.scope})" if self.scope else label

    @property
    def commitment(self):
        """The strategic objective, operational objective or action measured."""
        for field in COMMITMENT_FIELDS.values():
            if getattr(self, f"{field}_id") is not None:
                return getattr(self, field)
        return None

    def clean(self):
        """The rules of an indicator, whatever writes it (French messages)."""
        errors = {}
        chosen = [
            field
            for field in COMMITMENT_FIELDS.values()
            if getattr(self, f"{field}_id") is not None
        ]
        # Not exactly one: the check constraint's validation says so (ONE_COMMITMENT).
        if len(chosen) == 1 and self.territory_id is not None:
            errors.update(self._commitment_territory_errors(chosen[0]))
        definition = self.definition if self.definition_id else None
        if definition is not None:
            for name in ("baseline_value", "target_value"):
                value = getattr(self, name)
                if value is None:
                    continue
                message = value_error(value, definition.unit, definition.decimals)
                if message:
                    errors[name] = [message]
        errors.update(self._baseline_and_target_errors())
        if not errors and definition is not None and not self._state.adding:
            errors.update(self._stored_value_errors(definition))
        if errors:
            raise ValidationError(errors)

    def _commitment_territory_errors(self, field):
        model = cast(
            type[Node], self._meta.get_field(field).related_model
        )  # a COMMITMENT_FIELDS key
        territory_id = (
            model.objects.filter(pk=getattr(self, f"{field}_id"))
            .values_list(model.tree.lookup("territory", "id"), flat=True)
            .first()
        )
        if territory_id is None or territory_id == self.territory_id:
            return {}
        return {
            field: [
                "Cet engagement appartient au protocole d'un autre territoire : choisissez un "
                "engagement du territoire de l'indicateur (ou changez de territoire)."
            ]
        }

    def _baseline_and_target_errors(self):
        errors = {}
        current = timezone.localdate().year
        if self.baseline_year is not None:
            if self.baseline_value is None:
                errors["baseline_value"] = [
                    f"Indiquez la valeur de référence de {self.baseline_year}."
                ]
            if self.baseline_year > current:
                errors["baseline_year"] = [
                    f"L'année de référence ne peut pas être dans le futur (année en cours : "
                    f"{current})."
                ]
        if self.target_value is not None and self.target_factor is not None:
            errors["target_factor"] = [
                "Indiquez soit une valeur cible, soit une cible relative, pas les deux."
            ]
        has_target = self.target_value is not None or self.target_factor is not None
        if not has_target and (
            self.target_year or self.target_horizon.strip() or self.target_is_minimum
        ):
            errors["target_value"] = [
                "Indiquez la valeur cible (ou la cible relative) que cette échéance ou ce "
                "minimum accompagne."
            ]
        if (
            self.target_year is not None
            and self.baseline_year is not None
            and self.target_year < self.baseline_year
        ):
            errors["target_year"] = [
                f"L'année cible ne peut pas précéder l'année de référence ({self.baseline_year})."
            ]
        return errors

    def _stored_value_errors(self, definition):
        """The values already recorded must still pass the rules with these settings."""
        for year, value in self.yearly_values.values_list("year", "value"):
            message = value_error(value, definition.unit, definition.decimals) or year_error(
                year, self.baseline_year
            )
            if message:
                return {
                    NON_FIELD_ERRORS: [
                        f"La valeur déjà enregistrée pour {year} ne respecterait plus ces "
                        f"réglages : {message}"
                    ]
                }
        return {}


class IndicatorValueQuerySet(models.QuerySet):
    def for_territory(self, territory):
        return self.filter(indicator__territory=territory)

    def for_territories(self, territories):
        return self.filter(indicator__territory__in=territories)


class IndicatorValue(models.Model):
    """The value of an indicator for one year."""

    indicator = models.ForeignKey(
        Indicator,
        verbose_name="indicateur",
        on_delete=models.CASCADE,
        related_name="yearly_values",
    )
    year = YearField("année", null=False, blank=False)
    value = models.DecimalField("valeur", **FIGURE)
    source = models.CharField(
        "source",
        max_length=200,
        blank=True,
        help_text="D'où vient ce chiffre : producteur, publication, date de l'extraction…",
    )
    comment = models.TextField(
        "commentaire", blank=True, validators=[MaxLengthValidator(COMMENT_MAX_LENGTH)]
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="indicator_values",
    )
    recorded_at = models.DateTimeField("enregistrée le", default=timezone.now)

    history = HistoricalRecords()
    objects = IndicatorValueQuerySet.as_manager()

    class Meta:
        verbose_name = "valeur d'indicateur"
        verbose_name_plural = "valeurs d'indicateurs"
        ordering = ["indicator", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year"],
                name="%(app_label)s_%(class)s_one_per_year",
                violation_error_message=DUPLICATE_YEAR,
            ),
        ]

    def __str__(self):
        return f"{self.year} : {french_number(self.value)}"

    @property
    def author_name(self):
        return display_name(self.author, unknown="auteur inconnu")

    def clean(self):
        """The rules every value follows, whatever records it (French messages)."""
        if not self.indicator_id:
            return
        indicator = self.indicator
        errors = {}
        if self.value is not None:
            definition = indicator.definition
            message = value_error(self.value, definition.unit, definition.decimals)
            if message:
                errors["value"] = [message]
        if self.year is not None:
            message = year_error(self.year, indicator.baseline_year)
            if message:
                errors["year"] = [message]
        if errors:
            raise ValidationError(errors)
