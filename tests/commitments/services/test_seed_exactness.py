"""Exactness of the seeded protocols: counts per level, and exact texts of chosen items.

Expected texts are copied from the sources (`../shared/seeds/*.txt`) with only the conversion
markup removed. The counts were checked against the sources' bullets: strategic objectives =
the → / ➔ of each protocol; actions = the ✓ (Grand Paris Sud), • (Grigny) and second-level
"-" (Évry-Courcouronnes); operational objectives = the ○ plus the "-" directly under a
strategic objective.
"""

import pytest

from commitments.models import (
    Action,
    OperationalObjective,
    Protocol,
    StrategicObjective,
    ThematicSection,
)

pytestmark = pytest.mark.django_db

# slug: (sections, strategic objectives, operational objectives, actions)
COUNTS = {
    "grand-paris-sud": (3, 9, 35, 21),
    "corbeil-essonnes": (5, 9, 16, 0),
    "grigny": (5, 20, 49, 17),
    "evry-courcouronnes": (5, 18, 77, 21),
    "moissy-cramayel": (5, 16, 61, 0),
    "ris-orangis": (5, 17, 49, 0),
    "savigny-le-temple": (5, 17, 28, 0),
}

COMMUNE_HEADINGS = [
    "Thématique emploi, développement économique et insertion professionnelle",
    "Thématique éducation, petite enfance et parentalité",
    "Thématique logement et cadre de vie (Mixité sociale)",
    "Thématique sécurité et prévention de la délinquance",
    "Thématique renforcement du lien social",
]
HEADINGS = {
    "grand-paris-sud": [
        "THEMATIQUE EMPLOI ET DEVELOPPEMENT ECONOMIQUE",
        "THEMATIQUE EDUCATION ET PARENTALITE",
        "THEMATIQUE MIXITE SOCIALE",
    ],
    "corbeil-essonnes": COMMUNE_HEADINGS,
    "grigny": COMMUNE_HEADINGS,
    "evry-courcouronnes": COMMUNE_HEADINGS,
    "moissy-cramayel": COMMUNE_HEADINGS,
    "ris-orangis": COMMUNE_HEADINGS,
    # Savigny-le-Temple's protocol ends with the security thematic.
    "savigny-le-temple": [*COMMUNE_HEADINGS[:3], COMMUNE_HEADINGS[4], COMMUNE_HEADINGS[3]],
}
THEMATICS = {
    "grand-paris-sud": ["emploi", "education", "logement"],
    "savigny-le-temple": ["emploi", "education", "logement", "lien-social", "securite"],
}

# The first strategic objective and the last commitment (deepest last item) of each protocol.
FIRST_AND_LAST = {
    "grand-paris-sud": (
        "Favoriser la mise en réseau et la co-construction de projets avec les acteurs de "
        "l'emploi et de l'insertion socioprofessionnelle",
        "Lutte contre les marchands de sommeil et travailler sur la question de l'encadrement "
        "des loyers",
    ),
    "corbeil-essonnes": (
        "Mobiliser les leviers à l'emploi",
        "Renforcer et développer la mixité inter-quartiers pour les publics impliqués dans tous "
        "les dispositifs et les actions sur le territoire.",
    ),
    "grigny": (
        "Développer l'employabilité des publics",
        "Santé, Habitat et Environnement",
    ),
    "evry-courcouronnes": (
        "Développer une politique publique de l'emploi innovante et adaptée au territoire",
        "Développer les actions de prévention en faveur de la santé et du bien-être physique et "
        "mental",
    ),
    "moissy-cramayel": (
        "Favoriser l'insertion professionnelle des publics les plus éloignés de l'emploi",
        "Soutenir les instances démocratiques en faveur des jeunes (CL, conseil de jeunes, "
        "commissions thématiques...)",
    ),
    "ris-orangis": (
        "Permettre et développer l'employabilité des publics éloignés de l'emploi et de la "
        "formation",
        "Par un travail sur la mobilité afin de garantir le croisement et la rencontre des "
        "publics du territoire",
    ),
    "savigny-le-temple": (
        "Lever les freins à l'employabilité du public",
        "Poursuivre et renforcer les actions de prévention et de sensibilisation",
    ),
}


def protocol(slug):
    return Protocol.objects.get(territory__slug=slug, deliberation_reference="Del 2019 0128")


def tree(slug):
    """The commitments of a protocol in document order, as (level, text) pairs."""
    nodes = []
    for section in protocol(slug).sections.order_by("position"):
        for so in section.strategic_objectives.order_by("position"):
            nodes.append(("SO", so.text))
            for oo in so.operational_objectives.order_by("position"):
                nodes.append(("OO", oo.text))
                nodes.extend(("A", action.text) for action in oo.actions.order_by("position"))
    return nodes


def territory_filter(prefix, slug):
    return {prefix + "section__protocol__territory__slug": slug}


@pytest.mark.parametrize("slug", COUNTS)
def test_counts_per_level(slug):
    found = (
        ThematicSection.objects.filter(protocol__territory__slug=slug).count(),
        StrategicObjective.objects.filter(**territory_filter("", slug)).count(),
        OperationalObjective.objects.filter(
            **territory_filter("strategic_objective__", slug)
        ).count(),
        Action.objects.filter(
            **territory_filter("operational_objective__strategic_objective__", slug)
        ).count(),
    )
    assert found == COUNTS[slug]


def test_totals():
    assert ThematicSection.objects.count() == 33
    assert StrategicObjective.objects.count() == 106
    assert OperationalObjective.objects.count() == 315
    assert Action.objects.count() == 59


@pytest.mark.parametrize("slug", HEADINGS)
def test_section_headings_and_thematics(slug):
    sections = protocol(slug).sections.order_by("position")
    assert [s.heading for s in sections] == HEADINGS[slug]
    expected = THEMATICS.get(slug, ["emploi", "education", "logement", "securite", "lien-social"])
    assert [s.thematic.slug for s in sections] == expected


@pytest.mark.parametrize("slug", FIRST_AND_LAST)
def test_first_and_last_commitment(slug):
    nodes = tree(slug)
    first, last = FIRST_AND_LAST[slug]
    assert nodes[0] == ("SO", first)
    assert nodes[-1][1] == last


def test_positions_are_consecutive():
    for section in ThematicSection.objects.all():
        positions = list(section.strategic_objectives.values_list("position", flat=True))
        assert sorted(positions) == list(range(1, len(positions) + 1))
    for oo in OperationalObjective.objects.all():
        positions = list(oo.actions.values_list("position", flat=True))
        assert sorted(positions) == list(range(1, len(positions) + 1))


class TestGrandParisSud:
    def test_thematic_level_objective_and_priorities(self):
        section = protocol("grand-paris-sud").sections.get(position=1)
        assert section.objective == (
            "Le soutien à l'employabilité des publics les plus éloignés de l'emploi et de la "
            "formation"
        )
        assert section.priorities_heading == "Les priorités pour le territoire :"
        assert section.priority_list == [
            "Renforcer l'accès à l'emploi des populations les plus éloignées des marchés du "
            "travail",
            "Travailler à la levée des freins à l'emploi, notamment en matière de lutte contre "
            "l'illectronisme et de freins sociolinguistiques ;",
            # Printed by the conversion after the first objective (continued table cell).
            "Favoriser le lien entre les publics les plus éloignés de l'emploi et les entreprises "
            "/ structures d'accompagnement / acteurs de l'insertion sociale et de la formation "
            "professionnelle.",
        ]

    def test_intro_of_the_mixite_thematic(self):
        section = protocol("grand-paris-sud").sections.get(position=3)
        assert section.intro == (
            "Une mobilisation forte de l'Etat et de l'ensemble des partenaires nécessaire pour "
            "lutter contre les dynamiques de peuplement concourant à la paupérisation grandissante "
            "des territoires et au renforcement des inégalités"
        )

    def test_italic_example_is_the_details_of_its_action(self):
        action = Action.objects.get(text="Agir pour la mobilité des habitants des QPV :")
        assert action.details == (
            "Ex : développement de l'action Mon Agglo à vélo, lien avec les transporteurs, accès "
            "au permis de conduire, freins psychologiques et psychosociaux à la mobilité de "
            "certains habitants, en accompagnant les initiatives prises par les acteurs "
            "locaux,..."
        )
        assert action.operational_objective.text == (
            "Mettre en œuvre des actions, en lien étroit avec les villes et les acteurs locaux "
            "dans les quartiers, notamment avec le soutien de l'Etat pour :"
        )

    def test_several_italic_paragraphs(self):
        action = Action.objects.get(
            text="Rendre les opportunités de formation et d'emploi plus accessibles aux "
            "habitants des quartiers :"
        )
        paragraphs = action.details.split("\n\n")
        assert len(paragraphs) == 7
        assert paragraphs[0].startswith("Missions de la future Maison De l'Emploi du territoire")
        assert paragraphs[3] == (
            "Développer les liens entre le monde de l'entreprise et les publics les plus éloignés "
            "de l'insertion : en déployant le Pacte avec les Quartiers pour Toutes les Entreprises "
            "(PAQTE), actions de proximité avec l'ensemble des acteurs de l'emploi et de la "
            "formation (ex : job dating dans les quartiers...), les outils de liaison et les "
            "partenariats..."
        )

    def test_as_written(self):
        assert Action.objects.filter(
            text__startswith="Co- construire la suite de la démarche lancée dans le cadre de "
            "l'appel à projet « Défi Cartes blanches » : pour une expérimentation"
        ).exists()
        action = Action.objects.get(
            text="Mobiliser l'offre neuve ou récente hors QPV, notamment à bas loyers (PLA-I)"
        )
        assert action.operational_objective.text.startswith("Elargir les opportunités de logement")


class TestCorbeilEssonnes:
    def test_guillemets(self):
        assert OperationalObjective.objects.get(
            text__startswith="Développer l'employabilité des personnes éloignées"
        ).text == (
            "Développer l'employabilité des personnes éloignées du marché du travail. Actualiser "
            "le diagnostic territorial pour réactiver la démarche d'« aller vers » en "
            "réinterrogeant les pratiques, à l'instar de la « médiation nomade », qui mobilise la "
            "présence nocturne ou à des horaires atypiques d'éducateurs qualifiés et en nombre "
            "suffisant."
        )

    def test_priorities_kept_with_their_separators(self):
        section = protocol("corbeil-essonnes").sections.get(position=1)
        assert section.priorities_heading == (
            "Les priorités pour le territoire – des priorités à décliner en objectifs opérationnels"
        )
        assert " ".join(section.priority_list) == (
            "Renforcer l'accès à l'emploi des populations les plus éloignées des marchés du "
            "travail (ex : développement des clauses sociales) ; Travailler à la levée des freins "
            "à l'emploi, notamment en matière de lutte contre l'illectronisme et contre les freins "
            "sociolinguistiques ; Favoriser le lien entre les publics les plus éloignés de "
            "l'emploi et les entreprises / structures d'accompagnement / acteurs de l'insertion "
            "sociale et de la formation professionnelle."
        )


class TestGrigny:
    def test_preamble(self):
        paragraphs = protocol("grigny").preamble.split("\n\n")
        assert len(paragraphs) == 3
        assert paragraphs[0].startswith(
            "Le protocole d'engagements renforcés et réciproques prend nécessairement en compte "
            "les caractéristiques urbaines, démographiques et sociales très particulières de "
            "Grigny et les dynamiques collectives actuellement mises en œuvre sur le territoire."
        )
        assert paragraphs[2] == (
            "Le protocole s'intègre dans les modalités et la trajectoire du Contrat "
            "d'Engagements Budgétaires et Financiers signé le 25 janvier 2019."
        )

    def test_subtitle_and_operational_headings(self):
        grigny = protocol("grigny")
        assert grigny.sections.get(position=2).subtitle == (
            "Favoriser les parcours éducatifs en visant la réussite dès le plus jeune âge"
        )
        headings = set(
            StrategicObjective.objects.filter(
                section__protocol=grigny, operational_heading__startswith="Objectif"
            ).values_list("operational_heading", flat=True)
        )
        assert {"Objectif opérationnel :", "Objectif opérationnel"} <= headings

    def test_percentages(self):
        assert StrategicObjective.objects.filter(
            text="Transformer progressivement la structure de l'offre de logements par un "
            "rééquilibrage réel LLS/offre privée stabilisée et redressée => tendre vers 50% de "
            "logements sociaux à échéances de 15/20 ans"
        ).exists()
        assert Action.objects.get(text__contains="50% de scolarisation").text == (
            "Développement de la scolarisation des enfants de moins de 3 ans : lutte contre les "
            "retards du langage, premier contact école/parents et tendre vers l'objectif initial "
            "de 50% de scolarisation (7% en 2015 > 35% en 2017),"
        )

    def test_the_repeated_item_is_kept_twice(self):
        texts = OperationalObjective.objects.filter(
            strategic_objective__section__protocol=protocol("grigny"),
            text__startswith="Prendre en compte la prévention situationnelle dans le "
            "renouvellement urbain : développement du dispositif de vidéo protection,",
        )
        assert texts.count() == 2


class TestEvryCourcouronnes:
    def test_preamble(self):
        assert protocol("evry-courcouronnes").preamble == (
            "En complément de sa participation à la dynamique collective engagée au niveau de "
            "l'agglomération, la ville d'Evry-Courcouronnes a mené une démarche de construction du "
            "protocole d'engagements renforcés et réciproques, pilotée par la Maire adjointe en "
            "charge de la Politique de la Ville. Des rencontres avec les élus et les techniciens "
            "de la ville ont permis de définir les orientations stratégiques prioritaires "
            "jusqu'en 2022 et d'alimenter le protocole d'engagements ci-dessous."
        )

    def test_percentages(self):
        assert OperationalObjective.objects.filter(
            text="Porter à 60% le taux d'accompagnement en matière d'insertion et d'emploi des "
            "jeunes en QPV en s'appuyant sur les structures existantes"
        ).exists()
        assert OperationalObjective.objects.filter(
            text="Inclure au minimum 30 % des jeunes en QPV dans le dispositif garantie jeune"
        ).exists()

    def test_italic_cross_reference(self):
        oo = OperationalObjective.objects.get(
            text="Focus sur un facteur de décrochage : les violences à l'encontre des enfants et "
            "des jeunes"
        )
        assert oo.details == "Voir la thématique sécurité, prévention de la délinquance"

    def test_items_after_the_table(self):
        so = StrategicObjective.objects.get(
            text="Promouvoir l'égalité entre les femmes et les hommes, axe transversal à "
            "l'ensemble des thématiques"
        )
        assert so.details == "Déclinaison du plan égalité femmes-hommes de la ville"
        assert [oo.text for oo in so.operational_objectives.order_by("position")] == [
            "Promouvoir une éducation non-stéréotypée",
            "Valoriser des rôles parentaux et familiaux égalitaires",
            "Promouvoir les relations égalitaires entre les sexes",
        ]
        assert so.operational_objectives.get(position=3).actions.order_by("position")[0].text == (
            "Éduquer les enfants et les jeunes à la vie affective, aux relations égalitaires et à "
            "l'importance du consentement et de la réciprocité"
        )


class TestMoissyCramayel:
    FIRST_CONFLICT = (
        "Meilleure gestion des conflits d'usages sur les espaces publics (par exemple jeunes qui "
        "souhaitent jouer, parler ou écouter de la musique et adultes qui partent tôt au travail "
        "...) grâce à davantage de concertation et la mise en place de phases d'urbanisme "
        "transitoire mais aussi d'actions d'accompagnement en lien avec les bailleurs (dans le "
        "cadre de l'abattement TFPB notamment)"
    )
    SECOND_CONFLICT = FIRST_CONFLICT.replace("au travail ...)", "au travail..)")
    COMMERCE = (
        "Revitaliser et diversifier l'offre commerciale en introduisant davantage de "
        "concertation, en amont entre les commerçants et la ville ou avec les autres partenaires "
        "(par exemple : organisation de petits déjeuners de concertation avec les commerçants "
        "sur des thématiques précises et de futurs aménagements, favoriser la rencontre "
        "d'acteurs = commerçant avec bailleur commercial ou propriétaire du patrimoine "
        "environnant)"
    )

    def test_duplicated_bullets_are_kept_as_written(self):
        so = StrategicObjective.objects.get(
            text="Favoriser le rééquilibrage de l'offre locative et renforcer la diversification "
            "résidentielle à l'échelle des quartiers dans le cadre de la mixité sociale"
        )
        texts = [oo.text for oo in so.operational_objectives.order_by("position")]
        assert len(texts) == 7
        assert texts[0] == self.COMMERCE
        assert texts[1].startswith(
            "Poursuivre quantitativement et qualitativement l'offre de logements, en la "
            "diversifiant, notamment sur l'écoquartier de Chanteloup (2400 logements à l'horizon "
            "2030) – en misant"
        )
        assert texts[5:] == [self.SECOND_CONFLICT, self.COMMERCE]

    def test_first_occurrence_of_the_conflict_item(self):
        so = StrategicObjective.objects.get(
            text="Améliorer le cadre de vie et l'usage des espaces collectifs"
        )
        assert so.operational_objectives.order_by("position").last().text == self.FIRST_CONFLICT

    def test_copropriete_items_after_the_table(self):
        so = StrategicObjective.objects.get(
            text="Prévenir les difficultés d'occupation sociales des copropriétés en difficulté"
        )
        assert [oo.text for oo in so.operational_objectives.order_by("position")] == [
            "Améliorer le parc existant en anticipant mieux son vieillissement",
            "Identifier les copropriétés fragilisées en établissant des diagnostics précis (état "
            "du bâti, ressources des ménages ..) / un tableau de bord des copropriétés...",
            "La mise en œuvre d'un plan de soutien aux copropriétés repérées comme fragiles en "
            "lien avec le niveau intercommunal",
            "Associer les syndicats à certaines démarches (par exemple en matière de gestion des "
            "déchets) et mobiliser aussi les habitants",
            "Maintenir des espaces de proximité",
        ]


class TestRisOrangis:
    def test_preconditions(self):
        ris = protocol("ris-orangis")
        assert ris.preconditions_heading == (
            "Conditions de réussite préalables à l'application du Protocole d'Engagements "
            "Renforcés et Réciproques"
        )
        assert len(ris.precondition_list) == 4
        assert ris.precondition_list[0] == (
            "Respect par l'Etat de ses engagements sur la pérennisation des moyens au profit des "
            "projets et des dispositifs développés au sein des quartiers prioritaires"
        )
        assert ris.precondition_list[3].endswith(
            "(vigilance suite à la fusion des services publics dont la Maison de l'Emploi et la "
            "Maison Départementale des Solidarités)"
        )

    def test_subheadings(self):
        subheadings = [
            so.subheading
            for so in StrategicObjective.objects.filter(
                section__protocol=protocol("ris-orangis"), section__position__lte=2
            ).order_by("section__position", "position")
        ]
        # Stored on every objective of the group (the pages print a group's heading once).
        assert subheadings == [
            "Emploi :",
            "Insertion :",
            "Insertion :",
            "Parentalité :",
            "Education :",
            "Education :",
        ]

    def test_items_after_the_table(self):
        section = protocol("ris-orangis").sections.get(position=5)
        objectives = list(section.strategic_objectives.order_by("position"))
        assert [so.text for so in objectives[-2:]] == [
            "Poursuivre le travail engagé à l'échelle du territoire pour promouvoir l'Egalité "
            "Femmes/Hommes",
            "Encourager et garantir l'accès à la culture pour tous",
        ]
        assert [oo.text for oo in objectives[-1].operational_objectives.order_by("position")] == [
            "Par le développement de la pratique musicale au travers du projet Demos",
            "Par la reconduction des ateliers nomades, en partenariat avec le musée du Quai Branly",
            "Par le renforcement des dynamiques culturelles « hors les murs »",
            "Par un travail sur la mobilité afin de garantir le croisement et la rencontre des "
            "publics du territoire",
        ]


class TestSavignyLeTemple:
    def test_objective_repeated_in_two_thematics(self):
        texts = StrategicObjective.objects.filter(
            section__protocol=protocol("savigny-le-temple"),
            text="Renforcer l'attractivité des quartiers en Politique de la ville",
        )
        assert sorted(texts.values_list("section__thematic__slug", flat=True)) == [
            "lien-social",
            "logement",
        ]

    def test_branches_that_stop_early(self):
        section = protocol("savigny-le-temple").sections.get(position=5)
        objectives = section.strategic_objectives.order_by("position")
        assert [so.text for so in objectives] == [
            "Poursuivre l'action de médiation sociale et l'action de proximité",
            "Lutter contre les incivilités et les dégradations",
            "Poursuivre et renforcer les actions de prévention et de sensibilisation",
        ]
        assert not OperationalObjective.objects.filter(strategic_objective__in=objectives).exists()
