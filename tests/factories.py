import factory
from django.contrib.auth import get_user_model

from commitments import models
from territories.enums import Department, TerritoryKind
from territories.models import Territory, TerritoryMembership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("motdepasse-de-test")


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"Commune test {n}")
    slug = factory.Sequence(lambda n: f"commune-test-{n}")
    kind = TerritoryKind.COMMUNE
    department = Department.ESSONNE
    parent = factory.LazyFunction(
        lambda: (
            Territory.objects.agglomerations().first()
            or Territory.objects.create(
                name="Agglomération test",
                slug="agglomeration-test",
                kind=TerritoryKind.AGGLOMERATION,
                department=Department.ESSONNE_SEINE_ET_MARNE,
            )
        )
    )
    position = 100


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TerritoryMembership

    user = factory.SubFactory(UserFactory)
    territory = factory.SubFactory(TerritoryFactory)


class ThematicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Thematic
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"thematique-{n}")
    name = factory.Sequence(lambda n: f"Thématique {n}")
    short_name = factory.LazyAttribute(lambda o: o.name)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Partner

    name = factory.Sequence(lambda n: f"Partenaire {n}")
    slug = factory.Sequence(lambda n: f"partenaire-{n}")


class AxisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.TransversalAxis

    name = factory.Sequence(lambda n: f"Axe {n}")
    slug = factory.Sequence(lambda n: f"axe-{n}")


class GlossaryTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.GlossaryTerm

    term = factory.Sequence(lambda n: f"SIG{n}")
    slug = factory.Sequence(lambda n: f"sig{n}")
    expansion = factory.Sequence(lambda n: f"Sigle numéro {n}")


class ProtocolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Protocol

    territory = factory.SubFactory(TerritoryFactory)
    title = factory.LazyAttribute(lambda o: f"Protocole {o.territory.name}")
    deliberation_reference = factory.Sequence(lambda n: f"Del test {n}")
    start_year = 2019
    end_year = 2022


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ThematicSection

    protocol = factory.SubFactory(ProtocolFactory)
    thematic = factory.SubFactory(ThematicFactory)
    position = factory.Sequence(lambda n: n + 1)
    heading = factory.LazyAttribute(lambda o: f"Thématique {o.thematic.name}")


class StrategicObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.StrategicObjective

    section = factory.SubFactory(SectionFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Objectif stratégique {n}")


class OperationalObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OperationalObjective

    strategic_objective = factory.SubFactory(StrategicObjectiveFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Objectif opérationnel {n}")


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Action

    operational_objective = factory.SubFactory(OperationalObjectiveFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Action {n}")


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProgressUpdate

    action = factory.SubFactory(ActionFactory)
    status = "en_cours"
    progress = 50
    comment = "Point d'étape"


class IndicatorDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.IndicatorDefinition
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"indicateur-test-{n}")
    name = factory.Sequence(lambda n: f"Indicateur de test {n}")
    unit = "pourcentage"
    decimals = 0


class IndicatorFactory(factory.django.DjangoModelFactory):
    """An indicator measuring an action (pass `action`, or another commitment with action=None);
    its territory is the commitment's."""

    class Meta:
        model = models.Indicator

    definition = factory.SubFactory(IndicatorDefinitionFactory)
    action = factory.SubFactory(ActionFactory)
    territory = factory.LazyAttribute(
        lambda o: (
            next(
                c for c in (o.action, o.operational_objective, o.strategic_objective) if c
            ).territory
        )
    )
    operational_objective = None
    strategic_objective = None


class IndicatorValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.IndicatorValue

    indicator = factory.SubFactory(IndicatorFactory)
    year = 2020
    value = 40
