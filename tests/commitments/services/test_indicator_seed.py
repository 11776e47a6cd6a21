"""services/indicator_seed.py (run by `seed_protocols`): the indicators of fixtures/indicators.yaml
as written, loaded once, never overwriting an edit nor undoing a deletion, found on the text the
protocol adopted, and a broken entry reported in French with nothing written.

What each indicator holds against the sentence of the sources: test_indicator_seed_sources.py.
"""

import copy
import shutil
from decimal import Decimal
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

import commitments.services.seed
from commitments.enums import Direction, Unit
from commitments.models import (
    Action,
    Indicator,
    IndicatorDefinition,
    IndicatorValue,
    OperationalObjective,
    StrategicObjective,
)
from commitments.services.indicator_seed import FixtureError, seed_indicators
from commitments.services.seed import FIXTURES_DIR, SeedReport

pytestmark = pytest.mark.django_db

FIXTURE = yaml.safe_load((FIXTURES_DIR / "indicators.yaml").read_text(encoding="utf-8"))


def seed(*args):
    out = StringIO()
    call_command("seed_protocols", *args, stdout=out)
    return out.getvalue()


def indicator(code, slug):
    return Indicator.objects.with_commitment().get(definition__code=code, territory__slug=slug)


def indicator_tables():
    """Every row of the indicators' tables and their histories."""
    models = (IndicatorDefinition, Indicator, IndicatorValue)
    tables = {model: list(model.objects.order_by("pk").values()) for model in models}
    tables.update(
        {
            f"history {model.__name__}": list(model.history.order_by("pk").values())
            for model in models
        }
    )
    return tables


def forget_indicators():
    """The database as it was before indicators existed: protocols seeded, no indicator, no
    history of one."""
    Indicator.objects.all().delete()
    IndicatorDefinition.objects.all().delete()
    for model in (IndicatorValue, Indicator, IndicatorDefinition):
        model.history.all().delete()


class TestAsWritten:
    def test_counts(self):
        assert IndicatorDefinition.objects.count() == len(FIXTURE["definitions"]) == 11
        assert Indicator.objects.count() == len(FIXTURE["indicators"]) == 11
        assert IndicatorValue.objects.count() == 2

    def test_grigny_s_children_under_three_in_school(self):
        found = indicator("scolarisation-moins-3-ans", "grigny")
        assert found.definition.unit == Unit.PERCENT
        assert isinstance(found.commitment, Action)
        assert found.commitment.text.startswith(
            "Développement de la scolarisation des enfants de moins de 3 ans"
        )
        assert (found.baseline_value, found.baseline_year) == (7, 2015)
        assert (found.target_value, found.target_year, found.target_horizon) == (50, None, "")
        assert found.direction == Direction.UP
        assert list(found.yearly_values.values_list("year", "value")) == [(2015, 7), (2017, 35)]
        assert set(found.yearly_values.values_list("source", flat=True)) == {
            "Protocole d'Engagements Renforcés et Réciproques GRIGNY (Del 2019 0128)"
        }
        assert found.wording == (
            "tendre vers l'objectif initial de 50% de scolarisation (7% en 2015 > 35% en 2017)"
        )

    def test_evry_s_target_without_baseline(self):
        found = indicator("accompagnement-insertion-jeunes-qpv", "evry-courcouronnes")
        assert isinstance(found.commitment, OperationalObjective)
        assert found.target_value == 60
        assert (found.baseline_value, found.baseline_year, found.target_year) == (None,) * 3
        assert not found.yearly_values.exists()

    def test_a_minimum_a_factor_a_horizon(self):
        minimum = indicator("garantie-jeunes-qpv", "evry-courcouronnes")
        assert (minimum.target_value, minimum.target_is_minimum) == (30, True)
        factor = indicator("contrats-apprentissage-jeunes-qpv", "evry-courcouronnes")
        assert (factor.target_value, factor.target_factor) == (None, Decimal(2))
        chanteloup = indicator("logements-livres", "moissy-cramayel")
        assert (chanteloup.target_value, chanteloup.target_year) == (2400, 2030)
        assert chanteloup.target_horizon == "à l'horizon 2030"
        assert chanteloup.scope == "écoquartier de Chanteloup"
        housing = indicator("part-logements-sociaux", "grigny")
        assert isinstance(housing.commitment, StrategicObjective)
        assert (housing.target_value, housing.target_year) == (50, None)
        assert housing.target_horizon == "à échéances de 15/20 ans"
        assert housing.direction == ""  # « tendre vers »: the text does not say

    def test_every_territory_s_indicators_measure_its_own_commitments(self):
        for found in Indicator.objects.with_commitment():
            assert found.commitment.territory == found.territory

    def test_the_indicators_of_the_seed_are_valid(self):
        for found in Indicator.objects.all():
            found.full_clean()
        for value in IndicatorValue.objects.all():
            value.full_clean()


class TestEditsAndDeletions:
    def test_a_second_run_changes_nothing(self):
        before = indicator_tables()
        seed()
        assert indicator_tables() == before

    def test_edits_survive(self):
        found = indicator("accompagnement-insertion-jeunes-qpv", "evry-courcouronnes")
        found.target_value, found.source = 65, "Mission locale"
        found.save()
        definition = found.definition
        definition.name = "Taux d'accompagnement (corrigé)"
        definition.save()
        value = IndicatorValue.objects.get(year=2017)
        value.value = 36
        value.save()
        seed()
        found.refresh_from_db()
        assert (found.target_value, found.source) == (65, "Mission locale")
        assert IndicatorDefinition.objects.get(pk=definition.pk).name.endswith("(corrigé)")
        assert IndicatorValue.objects.get(year=2017).value == 36

    def test_a_deleted_indicator_or_value_is_not_recreated(self):
        indicator("accompagnement-insertion-jeunes-qpv", "evry-courcouronnes").delete()
        IndicatorValue.objects.filter(year=2015).delete()
        output = seed()
        assert not Indicator.objects.filter(
            definition__code="accompagnement-insertion-jeunes-qpv"
        ).exists()
        assert list(IndicatorValue.objects.values_list("year", flat=True)) == [2017]
        assert "Rien à faire" in output

    def test_reset_reloads_them(self):
        found = indicator("accompagnement-insertion-jeunes-qpv", "evry-courcouronnes")
        IndicatorDefinition.objects.filter(pk=found.definition_id).update(name="Modifié")
        found.delete()
        seed("--reset", "--yes")
        assert Indicator.objects.count() == 11
        assert IndicatorValue.objects.count() == 2
        assert indicator(
            "accompagnement-insertion-jeunes-qpv", "evry-courcouronnes"
        ).definition.name == (
            "Taux d'accompagnement des jeunes en QPV en matière d'insertion et d'emploi"
        )


class TestAnExistingDatabase:
    """Protocols seeded before indicators existed, and edited since."""

    def test_the_indicators_are_loaded_once(self):
        forget_indicators()
        output = seed()
        assert "Créés — indicateurs : 11" in output
        assert "Créés — valeurs d'indicateurs : 2" in output
        assert Indicator.objects.count() == 11
        assert "Rien à faire" in seed()

    def test_a_commitment_reworded_since_its_adoption_is_found(self):
        forget_indicators()
        action = Action.objects.get(text__startswith="Développement de la scolarisation")
        action.text = "Scolarisation des moins de 3 ans (intitulé corrigé)"
        action.save()
        seed()
        assert indicator("scolarisation-moins-3-ans", "grigny").action == action

    def test_a_commitment_deleted_since_its_adoption_is_reported(self):
        forget_indicators()
        Action.objects.get(text__startswith="Développement de la scolarisation").delete()
        output = seed()
        assert (
            "Non chargé — indicateur scolarisation-moins-3-ans (grigny) : engagement supprimé "
            "depuis l'adoption." in output
        )
        assert Indicator.objects.count() == 10


def broken(mutate):
    data = copy.deepcopy(FIXTURE)
    mutate(data)
    return data


def first_indicator(data):
    return data["indicators"][2]  # Grigny's children under three


class TestBrokenEntries:
    """A broken entry stops the load with a French message naming it."""

    @pytest.mark.parametrize(
        ("mutate", "message"),
        [
            (
                lambda data: first_indicator(data).update(definition="inconnue"),
                "indicateur inconnue (grigny) : définition inconnue.",
            ),
            (
                lambda data: first_indicator(data).update(territory="nulle-part"),
                "territoire sans protocole adopté par cette délibération.",
            ),
            (
                lambda data: first_indicator(data).update(commitment="Aucun engagement"),
                "0 engagements du texte adopté commencent par « Aucun engagement »",
            ),
            (
                lambda data: first_indicator(data).update(commitment="Développer"),
                "engagements du texte adopté commencent par « Développer » (il en faut "
                "exactement un).",
            ),
            (
                lambda data: first_indicator(data).update(quote="une phrase inventée"),
                "la citation n'est pas dans le texte de l'engagement.",
            ),
            (
                lambda data: first_indicator(data).pop("quote"),
                "« quote » manque.",
            ),
            (
                lambda data: first_indicator(data)["target"].update(value="cinquante"),
                "« cinquante » n'est pas un nombre.",
            ),
            (
                lambda data: first_indicator(data)["target"].update(value=150),
                "Un pourcentage est compris entre 0 et 100 (« 150 » n'est pas possible).",
            ),
            (
                lambda data: first_indicator(data)["values"].append({"year": 2999, "value": 40}),
                "Indiquez une année entre 2000 et 2100",
            ),
            (
                lambda data: data.update(indicators={"pas": "une liste"}),
                "« indicators » : une liste d'ensembles « clé: valeur » est attendue.",
            ),
            (
                lambda data: data["definitions"][0].update(unit="litres"),
                "définition scolarisation-moins-3-ans",
            ),
        ],
    )
    def test_the_message(self, mutate, message):
        forget_indicators()
        with pytest.raises(FixtureError) as caught:
            seed_indicators(broken(mutate), SeedReport())
        assert message in str(caught.value)

    def test_the_command_refuses_the_file_and_writes_nothing(self, tmp_path, monkeypatch):
        target = tmp_path / "fixtures"
        shutil.copytree(FIXTURES_DIR, target)
        monkeypatch.setattr(commitments.services.seed, "FIXTURES_DIR", target)
        data = broken(lambda data: first_indicator(data)["target"].update(value=150))
        (target / "indicators.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
        forget_indicators()
        with pytest.raises(CommandError) as caught:
            seed()
        assert str(caught.value).startswith("indicators.yaml : indicateur")
        assert "rien n'a été modifié" in str(caught.value)
        assert not Indicator.objects.exists()
        assert not IndicatorDefinition.objects.exists()
