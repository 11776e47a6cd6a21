"""models/indicators.py: the one place of an indicator's rules — the unit's range and decimals,
the years of values (never in the future, never before the baseline's year), one commitment of
the indicator's territory, a baseline and a target as coherent as the text, and the database's
constraints behind them. "The current year" is set with time_machine."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from commitments.enums import Unit
from commitments.models import Indicator, IndicatorValue
from commitments.models.indicators import (
    DUPLICATE_YEAR,
    ONE_COMMITMENT,
    french_number,
    value_error,
    year_error,
)
from tests import factories
from tests.support.admin import build_tree, corbeil, grigny

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
IN_2024 = datetime.datetime(2024, 6, 15, 12, tzinfo=PARIS)


def errors_of(obj):
    """The messages of full_clean, by field."""
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.message_dict


class TestFigures:
    @pytest.mark.parametrize(
        ("value", "unit", "decimals", "expected"),
        [
            ("0", Unit.PERCENT, 0, None),
            ("100", Unit.PERCENT, 0, None),
            ("35.5", Unit.PERCENT, 1, None),
            ("100.5", Unit.PERCENT, 1, "Un pourcentage est compris entre 0 et 100 (« 100,5 »"),
            ("-1", Unit.PERCENT, 0, "Un pourcentage est compris entre 0 et 100 (« -1 »"),
            ("1000", Unit.PER_THOUSAND, 0, None),
            ("1001", Unit.PER_THOUSAND, 0, "Un taux pour mille est compris entre 0 et 1 000"),
            ("2400", Unit.COUNT, 0, None),
            ("-3", Unit.COUNT, 0, "Un nombre ne peut pas être négatif (« -3 »"),
            ("-5", Unit.EUROS, 2, "Un montant en euros ne peut pas être négatif"),
            ("2.5", Unit.COUNT, 0, "Indiquez un nombre entier (« 2,5 » a des décimales)."),
            ("35.25", Unit.PERCENT, 1, "Indiquez au plus 1 décimale (« 35,25 »)."),
            ("35.125", Unit.PERCENT, 2, "Indiquez au plus 2 décimales (« 35,125 »)."),
            ("7.0000", Unit.PERCENT, 0, None),  # trailing zeros are no decimals
        ],
    )
    def test_value_error(self, value, unit, decimals, expected):
        message = value_error(Decimal(value), unit, decimals)
        if expected is None:
            assert message is None
        else:
            assert message.startswith(expected), message

    @given(
        value=st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False),
        decimals=st.integers(min_value=0, max_value=4),
    )
    def test_a_percentage_passes_exactly_in_its_range(self, value, decimals):
        fits = 0 <= value <= 100 and (value * 10**decimals) == int(value * 10**decimals)
        assert (value_error(value, Unit.PERCENT, decimals) is None) is fits

    def test_french_number(self):
        assert french_number(Decimal("35.5000")) == "35,5"
        assert french_number(Decimal("2400.0000")) == "2400"
        assert french_number(Decimal("-3")) == "-3"

    @time_machine.travel(IN_2024, tick=False)
    def test_year_error(self):
        assert year_error(2024, None) is None
        assert year_error(2025, None) == (
            "L'année ne peut pas être dans le futur (année en cours : 2024)."
        )
        assert year_error(2014, 2015) == (
            "L'année ne peut pas précéder l'année de référence de l'indicateur (2015)."
        )
        assert year_error(2015, 2015) is None
        assert year_error(1999, None) is None  # the YearField's message


@pytest.fixture
def tree():
    return build_tree(grigny())


@pytest.fixture
def indicator(tree):
    return factories.IndicatorFactory(action=tree["action"])


@pytest.mark.django_db
class TestValues:
    @time_machine.travel(IN_2024, tick=False)
    def test_this_year_is_accepted_next_year_is_not(self, indicator):
        IndicatorValue(indicator=indicator, year=2024, value=40).full_clean()
        errors = errors_of(IndicatorValue(indicator=indicator, year=2025, value=40))
        assert errors == {
            "year": ["L'année ne peut pas être dans le futur (année en cours : 2024)."]
        }

    @time_machine.travel(datetime.datetime(2031, 1, 1, 0, 30, tzinfo=PARIS), tick=False)
    def test_the_current_year_is_paris_time(self, indicator):
        # 23:30 UTC on 31 December 2030 is already 2031 in Paris.
        IndicatorValue(indicator=indicator, year=2031, value=40).full_clean()

    def test_values_may_predate_the_protocol_back_to_2000(self, indicator):
        assert indicator.action.section.protocol.start_year == 2019
        IndicatorValue(indicator=indicator, year=2000, value=7).full_clean()
        errors = errors_of(IndicatorValue(indicator=indicator, year=1999, value=7))
        assert errors["year"] == [
            "Indiquez une année entre 2000 et 2100 (« 1999 » est hors de cette période)."
        ]

    def test_never_before_the_baseline_year(self, indicator):
        indicator.baseline_value, indicator.baseline_year = 7, 2015
        indicator.save()
        IndicatorValue(indicator=indicator, year=2015, value=7).full_clean()
        errors = errors_of(IndicatorValue(indicator=indicator, year=2014, value=7))
        assert errors["year"] == [
            "L'année ne peut pas précéder l'année de référence de l'indicateur (2015)."
        ]

    def test_the_value_in_the_unit_s_range(self, indicator):
        errors = errors_of(IndicatorValue(indicator=indicator, year=2020, value=Decimal("120")))
        assert errors == {
            "value": ["Un pourcentage est compris entre 0 et 100 (« 120 » n'est pas possible)."]
        }

    def test_the_definition_s_decimals(self, indicator):
        errors = errors_of(IndicatorValue(indicator=indicator, year=2020, value=Decimal("35.5")))
        assert errors == {"value": ["Indiquez un nombre entier (« 35,5 » a des décimales)."]}

    def test_one_value_per_year(self, indicator):
        factories.IndicatorValueFactory(indicator=indicator, year=2020)
        errors = errors_of(IndicatorValue(indicator=indicator, year=2020, value=41))
        assert errors == {NON_FIELD_ERRORS: [DUPLICATE_YEAR]}
        with pytest.raises(IntegrityError), transaction.atomic():
            IndicatorValue.objects.create(indicator=indicator, year=2020, value=41)

    def test_str(self, indicator):
        assert str(IndicatorValue(indicator=indicator, year=2017, value=Decimal("35.0"))) == (
            "2017 : 35"
        )


@pytest.mark.django_db
class TestIndicator:
    def test_a_valid_indicator(self, indicator):
        indicator.full_clean()
        assert indicator.commitment == indicator.action
        assert str(indicator) == f"{indicator.definition.name} — Grigny"
        indicator.scope = "Grande Borne"
        assert str(indicator).endswith("— Grigny (Grande Borne)")

    @pytest.mark.parametrize("levels", [(), ("so", "action")])
    def test_exactly_one_commitment(self, tree, levels):
        fields = {"so": "strategic_objective", "action": "action"}
        indicator = Indicator(
            definition=factories.IndicatorDefinitionFactory(),
            territory=grigny(),
            **{fields[level]: tree[level] for level in levels},
        )
        assert errors_of(indicator)[NON_FIELD_ERRORS] == [ONE_COMMITMENT]
        with pytest.raises(IntegrityError), transaction.atomic():
            indicator.save()

    @pytest.mark.parametrize("level", ["so", "oo", "action"])
    def test_each_level_can_be_measured(self, tree, level):
        field = {"so": "strategic_objective", "oo": "operational_objective"}.get(level, level)
        indicator = Indicator(
            definition=factories.IndicatorDefinitionFactory(),
            territory=grigny(),
            **{field: tree[level]},
        )
        indicator.full_clean()
        indicator.save()
        assert indicator.commitment == tree[level]

    def test_the_commitment_of_another_territory_is_refused(self, tree):
        other = build_tree(corbeil())
        indicator = factories.IndicatorFactory.build(
            definition=factories.IndicatorDefinitionFactory(),
            action=other["action"],
            territory=grigny(),
        )
        assert errors_of(indicator)["action"] == [
            "Cet engagement appartient au protocole d'un autre territoire : choisissez un "
            "engagement du territoire de l'indicateur (ou changez de territoire)."
        ]

    def test_one_indicator_of_a_definition_per_territory_and_scope(self, indicator):
        same = Indicator(
            definition=indicator.definition, territory=grigny(), action=indicator.action
        )
        assert "Ce territoire a déjà un indicateur de cette définition" in str(errors_of(same))
        same.scope = "Grande Borne"
        same.full_clean()

    def test_baseline_and_target_in_the_unit_s_range(self, indicator):
        indicator.baseline_value, indicator.target_value = Decimal("-1"), Decimal("150")
        errors = errors_of(indicator)
        assert errors["baseline_value"][0].startswith("Un pourcentage est compris entre 0 et 100")
        assert errors["target_value"][0].startswith("Un pourcentage est compris entre 0 et 100")

    @time_machine.travel(IN_2024, tick=False)
    def test_baseline_year_goes_with_a_value_and_is_not_in_the_future(self, indicator):
        indicator.baseline_year = 2025
        errors = errors_of(indicator)
        assert errors["baseline_value"] == ["Indiquez la valeur de référence de 2025."]
        assert errors["baseline_year"] == [
            "L'année de référence ne peut pas être dans le futur (année en cours : 2024)."
        ]
        with pytest.raises(IntegrityError), transaction.atomic():
            Indicator.objects.filter(pk=indicator.pk).update(baseline_year=2020)

    def test_a_target_is_a_value_or_a_factor(self, indicator):
        indicator.target_value, indicator.target_factor = 50, 2
        assert errors_of(indicator)["target_factor"] == [
            "Indiquez soit une valeur cible, soit une cible relative, pas les deux."
        ]
        with pytest.raises(IntegrityError), transaction.atomic():
            Indicator.objects.filter(pk=indicator.pk).update(target_value=50, target_factor=2)

    @pytest.mark.parametrize(
        "extra",
        [
            {"target_year": 2030},
            {"target_horizon": "à l'horizon 2030"},
            {"target_is_minimum": True},
        ],
    )
    def test_a_horizon_or_a_minimum_needs_a_target(self, indicator, extra):
        for name, value in extra.items():
            setattr(indicator, name, value)
        assert errors_of(indicator)["target_value"] == [
            "Indiquez la valeur cible (ou la cible relative) que cette échéance ou ce minimum "
            "accompagne."
        ]

    def test_the_target_year_is_not_before_the_baseline_year(self, indicator):
        indicator.baseline_value, indicator.baseline_year = 7, 2015
        indicator.target_value, indicator.target_year = 50, 2010
        assert errors_of(indicator)["target_year"] == [
            "L'année cible ne peut pas précéder l'année de référence (2015)."
        ]

    def test_as_the_texts_write_them(self, tree):
        """The forms the seeded indicators take are all valid."""
        for definition, target in (
            (factories.IndicatorDefinitionFactory(unit=Unit.COUNT), {"target_factor": 2}),
            (
                factories.IndicatorDefinitionFactory(),
                {"target_value": 30, "target_is_minimum": True},
            ),
            (
                factories.IndicatorDefinitionFactory(),
                {"target_value": 50, "target_horizon": "à échéances de 15/20 ans"},
            ),
            (
                factories.IndicatorDefinitionFactory(unit=Unit.COUNT),
                {"target_value": 2400, "target_year": 2030, "target_horizon": "à l'horizon 2030"},
            ),
        ):
            factories.IndicatorFactory.build(
                action=tree["action"], definition=definition, **target
            ).full_clean()

    def test_a_change_that_recorded_values_would_no_longer_pass_is_refused(self, indicator):
        factories.IndicatorValueFactory(indicator=indicator, year=2015, value=7)
        indicator.baseline_value, indicator.baseline_year = 20, 2019
        assert errors_of(indicator)[NON_FIELD_ERRORS] == [
            "La valeur déjà enregistrée pour 2015 ne respecterait plus ces réglages : L'année ne "
            "peut pas précéder l'année de référence de l'indicateur (2019)."
        ]
        indicator.baseline_year = 2015
        indicator.full_clean()

    def test_a_definition_whose_unit_the_values_do_not_fit_is_refused(self, indicator):
        factories.IndicatorValueFactory(indicator=indicator, year=2020, value=Decimal("35.5"))
        # (written directly: a percentage of 0 decimals would refuse 35,5 through full_clean)
        indicator.definition = factories.IndicatorDefinitionFactory(decimals=0)
        assert "La valeur déjà enregistrée pour 2020" in str(errors_of(indicator))


@pytest.mark.django_db
class TestDefinition:
    def test_a_unit_or_decimals_the_figures_do_not_fit_are_refused(self, indicator):
        definition = indicator.definition
        factories.IndicatorValueFactory(indicator=indicator, year=2020, value=80)
        indicator.target_value = 90
        indicator.save()
        definition.decimals = 2
        definition.unit = Unit.COUNT
        definition.full_clean()
        factories.IndicatorValueFactory(indicator=indicator, year=2021, value=Decimal("2.5"))
        definition.decimals = 0
        assert "la valeur de 2021 ne respecterait plus" in str(errors_of(definition))
        definition.decimals = 1
        definition.unit = Unit.PER_THOUSAND
        definition.full_clean()
        indicator.target_value = 1500
        indicator.save()
        assert "une valeur cible ne respecterait plus" in str(errors_of(definition))

    def test_codes_are_unique(self):
        factories.IndicatorDefinitionFactory(code="taux-test")
        duplicate = factories.IndicatorDefinitionFactory.build(code="taux-test", name="Autre")
        assert "code" in errors_of(duplicate)
